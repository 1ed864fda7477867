// CPU per paid call as a budget window fills: a paying fetch with a total-only budget and one with
// a one-hour window each make `calls` payments (default 20,000) to an in-process fake server (no
// network), and the CPU time (process.cpuUsage, so machine load matters little) per call is printed
// per block of 5,000. Both rows should stay flat: a window's check must not grow with the payments
// it holds (it did until 2026-11-23: ~50 ns more per payment already in the window, every call).
//
//   node bench/budget-window.mjs [calls]      (reads dist/pkg, or BENCH_PKG_DIR)
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkgDir = resolve(process.env.BENCH_PKG_DIR ?? join(import.meta.dirname, '..', 'dist', 'pkg'));
if (!existsSync(join(pkgDir, 'index.node.js'))) {
  console.error(`no package at ${pkgDir}: run bash scripts/build.sh first`);
  process.exit(1);
}
const x402 = await import(pathToFileURL(join(pkgDir, 'index.node.js')).href);

const calls = Number(process.argv[2] ?? 20_000);
const block = 5_000;
const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64');
const required = encode({
  x402Version: 2,
  resource: { url: 'http://paid.test/x' },
  accepts: [{
    scheme: 'exact', network: 'eip155:84532', amount: '1', asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', maxTimeoutSeconds: 60, extra: { name: 'USDC', version: '2' },
  }],
});
const settled = encode({ success: true, transaction: `0x${'ab'.repeat(32)}`, network: 'eip155:84532' });
const server = async (request) => (request.headers.get('payment-signature')
  ? new Response('ok', { headers: { 'payment-response': settled } })
  : new Response('{}', { status: 402, headers: { 'payment-required': required } }));

const key = `0x${'11'.repeat(32)}`;
for (const [label, budget] of [
  ['total only', { total: '1000000' }],
  ['1 h window', { window: { seconds: 3600, amount: '1000000' } }],
]) {
  const paying = x402.wrapFetch(server, { wallets: [x402.evmPrivateKeyWallet(key)], policy: { budget } });
  const perBlock = [];
  let last = process.cpuUsage().user;
  for (let i = 1; i <= calls; i += 1) {
    await (await paying('http://paid.test/x')).text();
    if (i % 100 === 0) await new Promise((done) => setImmediate(done));
    if (i % block === 0) {
      const now = process.cpuUsage().user;
      perBlock.push((now - last) / block / 1000);
      last = now;
    }
  }
  const growth = perBlock.at(-1) / perBlock[1];
  console.log(`${label}: CPU ms per paid call, per ${block} calls: ${perBlock.map((ms) => ms.toFixed(2)).join(' ')} (last / second block: ${growth.toFixed(2)}x)`);
}
