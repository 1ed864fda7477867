// Interop (issue 5 §7c): an OFFICIAL x402 v2 Solana route, settled in litesvm.
//   server: express 5 + paymentMiddleware (@x402/express) over x402ResourceServer (@x402/core/server)
//           with the exact SVM server scheme (@x402/svm/exact/server), price { amount, asset: mint }
//           on Solana devnet, payTo the world's payee (which has an ATA for the mint);
//   facilitator: the OFFICIAL one (x402Facilitator + @x402/svm exact facilitator scheme + the
//           official signer over a JSON-RPC front answered by litesvm, see lib/svm-facilitator.mjs),
//           reached through HTTPFacilitatorClient over loopback HTTP.
// Payers: our wrapFetch with solanaPrivateKeyWallet (SPL Token and Token-2022 mints), and as a
// control the official @x402/fetch + @x402/svm client. Balances are read from litesvm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { createKeyPairSignerFromBytes } from '@solana/kit';
import { paymentMiddleware } from '@x402/express';
import { HTTPFacilitatorClient, x402ResourceServer } from '@x402/core/server';
import { x402Client } from '@x402/core/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import { registerExactSvmScheme as registerExactSvmServerScheme } from '@x402/svm/exact/server';
import { ExactSvmScheme as ExactSvmClientScheme } from '@x402/svm/exact/client';
import { createWorld } from '../lib/svm-litesvm.mjs';
import { startSvmFacilitator } from '../lib/svm-facilitator.mjs';
import { listenLoopback, decodeBase64Json } from '../lib/official-servers.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const AMOUNT = 250_000n; // 0.25 TST (6 decimals)
const BODY = { forecast: 'sunny', chain: 'solana' };

/** A litesvm world, the official facilitator over HTTP and the official express server. */
async function setup(t, label, mintName) {
  const world = await createWorld({ label });
  const facilitator = await startSvmFacilitator(t, world);
  const { mint } = world.mints[mintName];

  const resourceServer = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitator.url }));
  registerExactSvmServerScheme(resourceServer, { networks: [world.network] });
  const routes = {
    'GET /svm-weather': {
      accepts: { scheme: 'exact', network: world.network, payTo: world.keys.payee.address, price: { amount: String(AMOUNT), asset: mint }, maxTimeoutSeconds: 60 },
      description: 'Weather paid in an SPL token',
      mimeType: 'application/json',
    },
  };
  const handled = [];
  const app = express();
  app.use(paymentMiddleware(routes, resourceServer));
  app.get('/svm-weather', (req, res) => {
    handled.push(req.path);
    res.json(BODY);
  });
  const server = await listenLoopback(app);
  t.after(() => server.close());
  return { world, facilitator, mint, atas: world.mints[mintName].atas, server, handled, url: `${server.url}/svm-weather` };
}

function snapshot(world, atas) {
  return { payer: world.balance(atas.payer), payee: world.balance(atas.payee), feePayerTokens: world.balance(atas.feePayer) };
}

/** The balance checks after one settled payment of AMOUNT, and the facilitator's record of it. */
function assertSettledOnce({ world, atas, facilitator }, before, transaction) {
  assert.equal(world.balance(atas.payee) - before.payee, AMOUNT, 'the payee received exactly the amount');
  assert.equal(before.payer - world.balance(atas.payer), AMOUNT, 'the payer spent exactly the amount');
  assert.equal(world.balance(atas.feePayer), before.feePayerTokens, 'the fee payer\'s own tokens did not move');
  const sent = facilitator.sent.filter((s) => s.ok);
  assert.equal(sent.length, 1, 'one transaction landed in litesvm');
  assert.equal(sent[0].signature, transaction, 'the receipt names the transaction litesvm executed');
  const settles = facilitator.calls.filter((c) => c.op === 'settle');
  assert.equal(settles.length, 1);
  assert.equal(settles[0].result.success, true);
  assert.equal(settles[0].requirements.extra.feePayer, world.keys.feePayer.address, 'feePayer came from /supported');
}

for (const mintName of ['token', 'token2022']) {
  test(`our wrapFetch pays an official v2 Solana route (${mintName}); the official facilitator settles in litesvm`, async (t) => {
    const ctx = await setup(t, `interop-svm-${mintName}`, mintName);
    const { world, facilitator, mint, atas, url, handled } = ctx;
    const wallet = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
    t.after(() => wallet.free?.());
    const events = [];
    const pay = x402.wrapFetch(fetch, {
      wallets: [wallet],
      rpc: { [world.network]: facilitator.rpcUrl },
      policy: { assets: [{ network: world.network, asset: mint, decimals: 6, symbol: 'TST', maxPerPayment: '1000000' }] },
      onEvent: (e) => events.push(e.type),
    });
    const before = snapshot(world, atas);

    const response = await pay(url);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), BODY);
    const receipt = x402.getPaymentReceipt(response);
    assert.equal(receipt?.success, true, JSON.stringify(receipt));
    assert.equal(receipt.network, world.network);
    assert.equal(receipt.payer, world.keys.payer.address);
    assert.deepEqual(decodeBase64Json(response.headers.get('payment-response')).transaction, receipt.transaction);
    assertSettledOnce(ctx, before, receipt.transaction);
    assert.deepEqual(handled, ['/svm-weather']);
    assert.ok(events.includes('settled'), `events: ${events}`);
    assert.deepEqual(facilitator.calls.map((c) => c.op).filter((op) => op !== 'getSupported'), ['verify', 'settle']);
  });
}

test('control: the official @x402/fetch + @x402/svm client pays the same official route', async (t) => {
  const ctx = await setup(t, 'interop-svm-official', 'token');
  const { world, facilitator, mint, atas, url, handled } = ctx;
  const signer = await createKeyPairSignerFromBytes(world.keys.payer.keypair);
  const client = new x402Client();
  // registerExactSvmScheme (client) takes no RPC URL; register the scheme with one, as its docs allow.
  client.register(world.network, new ExactSvmClientScheme(signer, { rpcUrl: facilitator.rpcUrl }));
  client.setSpendControls({ allowedAssets: [{ network: world.network, asset: mint }] });
  const pay = wrapFetchWithPayment(fetch, client);
  const before = snapshot(world, atas);

  const response = await pay(url);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.deepEqual(JSON.parse(text), BODY);
  const receipt = decodePaymentResponseHeader(response.headers.get('payment-response'));
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  assert.equal(receipt.payer, world.keys.payer.address);
  assertSettledOnce(ctx, before, receipt.transaction);
  assert.deepEqual(handled, ['/svm-weather']);
});
