// A user's Node 20 ESM script: `npm install <tarball>`, then `import ... from 'x402-wasm'` by name
// (the exports map's "node" condition), and one paid request to the local x402 v2 server.
// Exits 0 when the request was paid, verified and answered with the resource and its receipt.
import { wrapFetch, evmPrivateKeyWallet, getPaymentReceipt, X402Error } from 'x402-wasm';
import * as x402 from 'x402-wasm';
import { startServer, check, PAYER_KEY, PAYER, REQUIREMENT } from '../lib/server.mjs';

const entry = import.meta.resolve('x402-wasm');
check(/\/node_modules\/x402-wasm\/index\.node\.js$/.test(entry), `x402-wasm resolved to ${entry}, expected the node entry`);
check(import.meta.resolve('x402-wasm/worker').endsWith('/node_modules/x402-wasm/worker/index.node.js'), 'x402-wasm/worker: node entry');

const server = await startServer(x402);
try {
  // Usable right after import: no init call.
  const wallet = evmPrivateKeyWallet(PAYER_KEY);
  check(wallet.address === PAYER, `wallet address ${wallet.address}`);
  const events = [];
  const pay = wrapFetch(fetch, {
    wallets: [wallet],
    policy: { maxPerPayment: '0.05', budget: { total: '1.00' } },
    onEvent: (e) => events.push(e.type),
  });

  const response = await pay(server.url('/paid'), { method: 'POST', body: JSON.stringify({ q: 'weather' }) });
  const text = await response.text();
  check(response.status === 200, `status ${response.status}: ${text}`);
  check(JSON.parse(text).message === 'paid content', `body ${text}`);
  const receipt = getPaymentReceipt(response);
  check(receipt?.success === true, `receipt ${JSON.stringify(receipt)}`);
  check(server.settlements.length === 1 && receipt.transaction === server.settlements[0].transaction, 'receipt transaction = settled transaction');
  check(server.payments.length === 1 && server.payments[0].verification.payer === PAYER, 'one payment, from the payer');
  check(server.payments[0].payload.accepted.amount === REQUIREMENT.amount, 'paid the asked amount');
  check(events.join(',') === 'payment_required,approved,signed,settled', `events ${events}`);

  // Typed errors through the package entry: a cap below the price refuses before signing.
  const capped = wrapFetch(fetch, { wallets: [wallet], policy: { maxPerPayment: '0.001' } });
  const refused = await capped(server.url('/paid')).then(() => null, (e) => e);
  check(refused instanceof X402Error && refused.code === 'PAYMENT_LIMIT_EXCEEDED', `capped: ${refused?.code ?? refused}`);
  check(server.payments.length === 1, 'a refused payment sends nothing');
  console.log(`node: paid ${server.url('/paid')} -> ${response.status}, tx ${receipt.transaction}`);
} finally {
  await server.close();
}
