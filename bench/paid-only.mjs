// Quick look at one row: our paid-fetch overhead over two plain round trips (no official side).
// Not part of `make bench`; for iterating on wrapFetch's own cost.
//   node bench/paid-only.mjs [requests per side, default 600]
import { KEY } from './lib/fixtures.mjs';
import { startPaidServer, alternateLatency, fetchOk, plainRoundTrips } from './lib/paid.mjs';
import { PKG_NODE_ENTRY } from './lib/fixtures.mjs';

const x = await import(PKG_NODE_ENTRY);
const perSide = Number(process.argv[2] ?? 600);
const server = await startPaidServer(x.verifyPayment);
try {
  const wallet = x.evmPrivateKeyWallet(KEY);
  const ours = x.wrapFetch(fetch, { wallets: [wallet] });
  const header = x.encodePaymentHeader(await x.createPaymentPayload(server.paymentRequired, 0, wallet));
  await fetchOk(ours, server.url);
  await plainRoundTrips(server.url, header);
  const r = await alternateLatency([
    { name: 'ours', fn: () => fetchOk(ours, server.url) },
    { name: 'plain', fn: () => plainRoundTrips(server.url, header) },
  ], { perSide, block: 25, warmup: 50 });
  const ms = (v) => v.toFixed(3);
  console.log(`ours p50 ${ms(r.ours.p50)} p99 ${ms(r.ours.p99)} | plain p50 ${ms(r.plain.p50)} p99 ${ms(r.plain.p99)} | overhead p50 ${ms(r.ours.p50 - r.plain.p50)} ms`);
} finally {
  await server.close();
}
