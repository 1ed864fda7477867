// A/B of two builds of the package in one process, with the same server and the same
// alternation as paid-only.mjs: `node bench/ab.mjs <old pkg dir> [new pkg dir] [per side]`.
// Not part of `make bench`; for checking that a change to the paying fetch's own cost helps.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { KEY, PKG_NODE_ENTRY } from './lib/fixtures.mjs';
import { startPaidServer, alternateLatency, fetchOk, plainRoundTrips } from './lib/paid.mjs';

const entry = (dir) => pathToFileURL(path.join(path.resolve(dir), 'index.node.js')).href;
const [oldDir, newDir, per = '1000'] = process.argv.slice(2);
const perSide = Number(per);
if (!oldDir || !Number.isSafeInteger(perSide) || perSide < 1) {
  throw new Error('usage: node bench/ab.mjs <old pkg dir> [new pkg dir] [requests per side]');
}
const [oldEntry, newEntry] = [entry(oldDir), newDir ? entry(newDir) : pathToFileURL(PKG_NODE_ENTRY).href];
if (oldEntry === newEntry) throw new Error('bench/ab.mjs: the two sides are the same package');
const a = await import(oldEntry);
const b = await import(newEntry);
// The server verifies with a third instance (a copy of the old package: its modules, and so its
// wasm, are its own): sharing either side's instance warms that side by about 40 us.
const serverDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x402-ab-'));
let server;
try {
  fs.cpSync(oldDir, serverDir, { recursive: true });
  const verifier = await import(entry(serverDir));
  server = await startPaidServer(verifier.verifyPayment);
  const paying = (x) => x.wrapFetch(fetch, { wallets: [x.evmPrivateKeyWallet(KEY)] });
  const [old, now] = [paying(a), paying(b)];
  const header = b.encodePaymentHeader(
    await b.createPaymentPayload(server.paymentRequired, 0, b.evmPrivateKeyWallet(KEY)),
  );
  const r = await alternateLatency([
    { name: 'old', fn: () => fetchOk(old, server.url) },
    { name: 'new', fn: () => fetchOk(now, server.url) },
    { name: 'plain', fn: () => plainRoundTrips(server.url, header) },
  ], { perSide, block: 25, warmup: 50 });
  const ms = (v) => v.toFixed(3);
  for (const side of ['old', 'new']) {
    console.log(`${side} p50 ${ms(r[side].p50)} overhead ${ms(r[side].p50 - r.plain.p50)} ms`);
  }
  console.log(`plain p50 ${ms(r.plain.p50)}`);
} finally {
  await server?.close();
  fs.rmSync(serverDir, { recursive: true, force: true });
}
