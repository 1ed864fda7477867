import { KEY, loadOurs } from './lib/fixtures.mjs';
import { startPaidServer, alternateLatency, fetchOk, plainRoundTrips } from './lib/paid.mjs';
import { coldStartPaid } from './lib/cold.mjs';
const x = await loadOurs();
const { privateKeyToAccount } = await import('viem/accounts');
const { x402Client } = await import('@x402/core/client');
const { registerExactEvmScheme } = await import('@x402/evm/exact/client');
const { wrapFetchWithPayment } = await import('@x402/fetch');
const srv = await startPaidServer(x.verifyPayment);
const ours = x.wrapFetch(fetch, { wallets: [x.evmPrivateKeyWallet(KEY)] });
const client = new x402Client(); registerExactEvmScheme(client, { signer: privateKeyToAccount(KEY) }); client.setSpendControls(false);
const theirs = wrapFetchWithPayment(fetch, client);
const p = await x.createPaymentPayload(srv.paymentRequired, 0, x.evmPrivateKeyWallet(KEY));
const hdr = x.encodePaymentHeader(p);
await fetchOk(ours, srv.url); await fetchOk(theirs, srv.url); await plainRoundTrips(srv.url, hdr);
console.log(srv.counts);
let t = performance.now();
const r = await alternateLatency([
  { name: 'ours', fn: () => fetchOk(ours, srv.url) },
  { name: 'official', fn: () => fetchOk(theirs, srv.url) },
  { name: 'plain', fn: () => plainRoundTrips(srv.url, hdr) },
], { perSide: 500, block: 25, warmup: 30 });
for (const [k, v] of Object.entries(r)) console.log(k, v.p50.toFixed(3), v.p99.toFixed(3), v.mean.toFixed(3));
console.log('ms', performance.now() - t, srv.counts);
t = performance.now();
const c = await coldStartPaid(5, srv.url, hdr);
for (const [k, v] of Object.entries(c)) console.log(k, v.median.toFixed(1), v.samples.map((s) => s.toFixed(0)).join(' '));
console.log('ms', performance.now() - t, srv.counts);
await srv.close();
