// Interop (a): our wrapFetch pays an OFFICIAL x402 v2 server, unmodified from npm: express 5 +
// paymentMiddleware (@x402/express) over x402ResourceServer (@x402/core/server) with the exact EVM
// server scheme (@x402/evm/exact/server). The server settles through the official v2 facilitator
// (@x402/core/facilitator + @x402/evm/exact/facilitator) in-process on anvil: real transactions,
// balances read from the chain. The official client (@x402/fetch) pays the same server as a control,
// so a failure of ours is clearly ours. Each test runs its own anvil and servers and stops them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client } from '@x402/core/client';
import { registerExactEvmScheme as registerExactEvmClientScheme } from '@x402/evm/exact/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import {
  assertSettled, balanceOf, mint, officialChain,
} from '../lib/chain.mjs';
import { decodeBase64Json, exactEvmOption, startOfficialV2Server } from '../lib/official-servers.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();

const NETWORK = 'eip155:31337';
const PRICE = 10_000n; // 0.01 TestUSDC (6 decimals)
const MINTED = 10_000_000n;
const WEATHER = { city: 'Lisbon', weather: 'sunny', temperatureC: 21 };

/** Fresh anvil + TestUSDC + Multicall3 + official facilitator + official v2 server. */
async function setup(t) {
  const { anvil, token, facilitator, payTo } = await officialChain(t, NETWORK);
  const accepts = exactEvmOption({
    network: NETWORK, payTo, asset: token.address, amount: PRICE, name: 'USDC', version: '2',
  });
  const server = await startOfficialV2Server({
    facilitator,
    routes: [
      { method: 'GET', path: '/weather', accepts, handler: (_req, res) => res.json(WEATHER) },
      {
        method: 'POST', path: '/echo', accepts,
        handler: (req, res) => res.json({ received: req.body, contentType: req.headers['content-type'] ?? null }),
      },
    ],
  });
  t.after(() => server.close());
  return { anvil, token, facilitator, payTo, server };
}

/** Our paying fetch with a fresh key funded with `funds`; the custom token is allowed explicitly. */
async function ourClient(t, token, funds = MINTED) {
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, funds);
  const events = [];
  const pay = x402.wrapFetch(fetch, {
    wallets: [wallet],
    policy: {
      assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }],
    },
    onEvent: (event) => events.push(event.type),
  });
  return { wallet, pay, events };
}

/** The requests the server saw: first unpaid, then exactly one paid retry carrying PAYMENT-SIGNATURE. */
function assertOnePaidRetry(server, path) {
  const hits = server.seen.filter((r) => r.path === path);
  assert.equal(hits.length, 2, `server saw ${hits.length} requests to ${path}`);
  assert.equal(hits[0].headers['payment-signature'], undefined);
  assert.equal(hits[1].headers['x-payment'], undefined, 'a v2 payment never goes in X-PAYMENT');
  const payment = decodeBase64Json(hits[1].headers['payment-signature']);
  assert.ok(payment, 'the retry carries PAYMENT-SIGNATURE');
  return { hits, payment };
}

/** Our retry is the same request plus the payment header: no other header added, changed or lost. */
function assertOnlyPaymentHeaderAdded(hits) {
  const { 'payment-signature': payment, ...rest } = hits[1].headers;
  assert.ok(payment);
  assert.deepEqual(rest, hits[0].headers);
}

test('our wrapFetch pays an official v2 @x402/express server; settled on anvil by the official facilitator', async (t) => {
  const { token, payTo, server, facilitator } = await setup(t);
  const { wallet, pay, events } = await ourClient(t, token);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };

  const response = await pay(`${server.url}/weather`);
  const text = await response.text();
  assert.equal(response.status, 200, `status ${response.status}: ${text}`);
  assert.deepEqual(JSON.parse(text), WEATHER);

  const receipt = x402.getPaymentReceipt(response);
  assert.ok(receipt, 'a receipt is attached to the paid response');
  assert.equal(receipt.success, true);
  assert.equal(receipt.network, NETWORK);
  assert.equal(getAddress(receipt.payer), wallet.address);
  await assertSettled(token, receipt.transaction, { payer: wallet.address, payTo, before, price: PRICE });

  // The official server got a well-formed v2 payload that echoes its own requirement verbatim.
  const { payment } = assertOnePaidRetry(server, '/weather');
  assert.equal(payment.x402Version, 2);
  assert.equal(server.facilitatorCalls.settle.length, 1);
  const settled = server.facilitatorCalls.settle[0];
  assert.equal(settled.result.success, true);
  assert.equal(settled.result.transaction, receipt.transaction);
  assert.deepEqual(payment.accepted, settled.requirements);
  assert.equal(getAddress(payment.payload.authorization.from), wallet.address);
  assert.equal(server.handled.length, 1, 'the handler ran once, for the paid request');

  // The transaction is the facilitator's (it pays the gas), and our receipt matches the header.
  const tx = await token.publicClient.getTransaction({ hash: receipt.transaction });
  assert.equal(getAddress(tx.from), facilitator.gasPayer);
  const header = decodeBase64Json(response.headers.get('payment-response'));
  assert.equal(header.transaction, receipt.transaction);
  assert.ok(events.includes('settled'), `events: ${events}`);
  assert.ok(!events.includes('failed'), `events: ${events}`);
});

test('our wrapFetch pays an official v2 POST route and the handler sees the JSON body', async (t) => {
  const { token, payTo, server } = await setup(t);
  const { wallet, pay } = await ourClient(t, token);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };
  const sent = { query: 'forecast', days: 3, tags: ['rain', 'wind'], note: 'Ünïcødé ✓' };

  const response = await pay(`${server.url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sent),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `status ${response.status}: ${text}`);
  assert.deepEqual(JSON.parse(text), { received: sent, contentType: 'application/json' });

  const { hits, payment } = assertOnePaidRetry(server, '/echo');
  assertOnlyPaymentHeaderAdded(hits);
  assert.deepEqual(hits[0].body, sent, 'the first request carried the body');
  assert.deepEqual(hits[1].body, sent, 'the paid retry carried the same body');
  assert.equal(hits[1].method, 'POST');
  assert.equal(payment.x402Version, 2);
  assert.equal(server.handled.length, 1);
  assert.deepEqual(server.handled[0].body, sent, 'the handler saw the JSON body');

  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt?.success, true);
  await assertSettled(token, receipt.transaction, { payer: wallet.address, payTo, before, price: PRICE });
});

test('control: the official @x402/fetch client pays the same official v2 server', async (t) => {
  const { token, payTo, server } = await setup(t);
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const client = new x402Client();
  registerExactEvmClientScheme(client, { signer: account, networks: [NETWORK] });
  client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const pay = wrapFetchWithPayment(fetch, client);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, account.address) };

  const response = await pay(`${server.url}/weather`);
  const text = await response.text();
  assert.equal(response.status, 200, `status ${response.status}: ${text}`);
  assert.deepEqual(JSON.parse(text), WEATHER);
  const receipt = decodePaymentResponseHeader(response.headers.get('payment-response'));
  assert.equal(receipt.success, true);
  await assertSettled(token, receipt.transaction, { payer: account.address, payTo, before, price: PRICE });
  assertOnePaidRetry(server, '/weather');
});

test('a payment the official v2 server refuses comes back as 402 with its reason, paid only once', async (t) => {
  const { token, payTo, server } = await setup(t);
  // Funded below the price: the official facilitator's verify fails and nothing settles.
  const { wallet, pay, events } = await ourClient(t, token, PRICE - 1n);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };

  const response = await pay(`${server.url}/weather`);
  assert.equal(response.status, 402);
  const challenge = decodeBase64Json(response.headers.get('payment-required'));
  assert.ok(challenge?.error, 'the official server says why in PAYMENT-REQUIRED');
  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt?.success, false);
  assert.equal(receipt.errorReason, challenge.error, "our receipt carries the server's reason");
  assert.equal(receipt.status, 402);

  assertOnePaidRetry(server, '/weather'); // exactly one payment attempt, never a second one
  assert.equal(server.handled.length, 0);
  assert.equal(server.facilitatorCalls.settle.length, 0);
  assert.ok(events.includes('failed') && !events.includes('settled'), `events: ${events}`);
  assert.equal(await balanceOf(token, payTo), before.payee);
  assert.equal(await balanceOf(token, wallet.address), before.payer);
});
