import { KEY, PKG_NODE_ENTRY } from './lib/fixtures.mjs';
import { startPaidServer, alternateLatency, fetchOk, plainRoundTrips } from './lib/paid.mjs';
const x = await import(PKG_NODE_ENTRY);
const server = await startPaidServer(x.verifyPayment);
const wallet = x.evmPrivateKeyWallet(KEY);
const ours = x.wrapFetch(fetch, { wallets: [wallet] });
const header = x.encodePaymentHeader(await x.createPaymentPayload(server.paymentRequired, 0, wallet));
// The least a client can do: read the header, sign with our wasm, retry.
async function minimal(url) {
  const r = await fetch(url);
  if (r.status !== 402) return r;
  await r.arrayBuffer();
  const pr = x.decodeHeader ? null : null;
  const required = JSON.parse(Buffer.from(r.headers.get('payment-required'), 'base64').toString());
  const payload = await x.createPaymentPayload(required, 0, wallet);
  const h = x.encodePaymentHeader(payload);
  return fetch(url, { headers: { 'PAYMENT-SIGNATURE': h } });
}
const sign = async () => x.encodePaymentHeader(await x.createPaymentPayload(server.paymentRequired, 0, wallet));
const r = await alternateLatency([
  { name: 'ours', fn: () => fetchOk(ours, server.url) },
  { name: 'minimal', fn: () => fetchOk(minimal, server.url) },
  { name: 'plain', fn: () => plainRoundTrips(server.url, header) },
], { perSide: 900, block: 25, warmup: 50 });
for (const k of Object.keys(r)) console.log(k, r[k].p50.toFixed(3), 'overhead', (r[k].p50 - r.plain.p50).toFixed(3));
const t0 = performance.now(); for (let i = 0; i < 2000; i++) await sign(); console.log('sign+encode', ((performance.now()-t0)/2000).toFixed(3));
await server.close();
