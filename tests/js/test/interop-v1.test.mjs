// Interop (b): our wrapFetch pays an OFFICIAL x402 v1 server, unmodified from npm: express 5 +
// paymentMiddleware from x402-express 1.2.0. Its facilitator is a loopback HTTP server built from
// verify/settle of x402/facilitator (1.2.0) on an anvil started with chain id 84532 and called
// base-sepolia (v1 only knows its fixed network names). The price is the TestUSDC deployed there,
// given as a v1 token amount { amount, asset: { address, decimals, eip712 } }. The official v1
// client (x402-fetch) pays the same server as a control. Each test stops its anvil and servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { decodeXPaymentResponse, wrapFetchWithPayment } from 'x402-fetch';
import {
  anvilAccount, anvilClients, assertSettled, balanceOf, deployTestUSDC, mint, startAnvil,
} from '../lib/chain.mjs';
import {
  decodeBase64Json, startOfficialV1Server, startV1Facilitator, v1TokenPrice,
} from '../lib/official-servers.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();

const CHAIN_ID = 84532;
const V1_NETWORK = 'base-sepolia';
const NETWORK = 'eip155:84532';
const PRICE = 10_000n; // 0.01 TestUSDC (6 decimals)
const MINTED = 10_000_000n;
const WEATHER = { city: 'Porto', weather: 'cloudy', temperatureC: 17 };

/** Fresh anvil (chain 84532) + TestUSDC + v1 facilitator over HTTP + official v1 server. */
async function setup(t) {
  const anvil = await startAnvil({ chainId: CHAIN_ID });
  t.after(() => anvil.stop());
  const token = await deployTestUSDC(anvil);
  token.address = getAddress(token.address);
  const facilitator = await startV1Facilitator({ ...anvil, network: V1_NETWORK });
  t.after(() => facilitator.close());
  const payTo = anvilAccount(2).address;
  const price = v1TokenPrice({ amount: PRICE, address: token.address, decimals: 6, name: 'USDC', version: '2' });
  const server = await startOfficialV1Server({
    facilitatorUrl: facilitator.url,
    payTo,
    routes: [
      { method: 'GET', path: '/weather', price, network: V1_NETWORK, handler: (_req, res) => res.json(WEATHER) },
      {
        method: 'POST', path: '/echo', price, network: V1_NETWORK,
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

/** The requests the server saw: first unpaid, then exactly one paid retry carrying X-PAYMENT. */
function assertOnePaidRetry(server, path) {
  const hits = server.seen.filter((r) => r.path === path);
  assert.equal(hits.length, 2, `server saw ${hits.length} requests to ${path}`);
  assert.equal(hits[0].headers['x-payment'], undefined);
  assert.equal(hits[1].headers['payment-signature'], undefined, 'a v1 payment never goes in PAYMENT-SIGNATURE');
  const payment = decodeBase64Json(hits[1].headers['x-payment']);
  assert.ok(payment, 'the retry carries X-PAYMENT');
  return { hits, payment };
}

/** Our retry is the same request plus the payment header: no other header added, changed or lost. */
function assertOnlyPaymentHeaderAdded(hits) {
  const { 'x-payment': payment, ...rest } = hits[1].headers;
  assert.ok(payment);
  assert.deepEqual(rest, hits[0].headers);
}

test('our wrapFetch pays an official v1 x402-express server; settled on anvil by the v1 facilitator', async (t) => {
  const { token, payTo, server, facilitator } = await setup(t);
  const { wallet, pay, events } = await ourClient(t, token);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };

  const response = await pay(`${server.url}/weather`);
  const text = await response.text();
  assert.equal(response.status, 200, `status ${response.status}: ${text}`);
  assert.deepEqual(JSON.parse(text), WEATHER);

  // The receipt is the official server's X-PAYMENT-RESPONSE, decoded.
  const header = response.headers.get('x-payment-response');
  assert.ok(header, 'the official v1 server sent X-PAYMENT-RESPONSE');
  const receipt = x402.getPaymentReceipt(response);
  assert.ok(receipt, 'a receipt is attached to the paid response');
  assert.equal(receipt.success, true);
  assert.equal(receipt.transaction, decodeXPaymentResponse(header).transaction);
  assert.ok([V1_NETWORK, NETWORK].includes(receipt.network), `receipt network ${receipt.network}`);
  assert.equal(getAddress(receipt.payer), wallet.address);
  await assertSettled(token, receipt.transaction, { payer: wallet.address, payTo, before, price: PRICE });

  // The official server got a v1 payload: { x402Version: 1, scheme, network (v1 name), payload }.
  const { payment } = assertOnePaidRetry(server, '/weather');
  assert.equal(payment.x402Version, 1);
  assert.equal(payment.scheme, 'exact');
  assert.equal(payment.network, V1_NETWORK);
  assert.equal(getAddress(payment.payload.authorization.from), wallet.address);
  assert.equal(getAddress(payment.payload.authorization.to), payTo);
  assert.equal(payment.payload.authorization.value, String(PRICE));
  assert.equal(facilitator.calls.verify.length, 1);
  assert.equal(facilitator.calls.settle.length, 1);
  assert.equal(facilitator.calls.settle[0].result.success, true);
  assert.equal(server.handled.length, 1, 'the handler ran once, for the paid request');

  const tx = await token.publicClient.getTransaction({ hash: receipt.transaction });
  assert.equal(getAddress(tx.from), facilitator.gasPayer);
  assert.ok(events.includes('settled'), `events: ${events}`);
  assert.ok(!events.includes('failed'), `events: ${events}`);
});

test('our wrapFetch pays an official v1 POST route and the handler sees the JSON body', async (t) => {
  const { token, payTo, server } = await setup(t);
  const { wallet, pay } = await ourClient(t, token);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };
  const sent = { query: 'forecast', days: 5, nested: { ok: true }, note: 'Ünïcødé ✓' };

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
  assert.deepEqual(hits[1].body, sent, 'the paid retry carried the same body');
  assert.equal(payment.x402Version, 1);
  assert.equal(server.handled.length, 1);
  assert.deepEqual(server.handled[0].body, sent, 'the handler saw the JSON body');

  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt?.success, true);
  await assertSettled(token, receipt.transaction, { payer: wallet.address, payTo, before, price: PRICE });
});

test('control: the official x402-fetch v1 client pays the same official v1 server', async (t) => {
  const { anvil, token, payTo, server } = await setup(t);
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const { walletClient } = anvilClients(anvil, account); // chain id 84532 -> "base-sepolia" for x402-fetch
  const pay = wrapFetchWithPayment(fetch, walletClient);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, account.address) };

  const response = await pay(`${server.url}/weather`);
  const text = await response.text();
  assert.equal(response.status, 200, `status ${response.status}: ${text}`);
  assert.deepEqual(JSON.parse(text), WEATHER);
  const receipt = decodeXPaymentResponse(response.headers.get('x-payment-response'));
  assert.equal(receipt.success, true);
  await assertSettled(token, receipt.transaction, { payer: account.address, payTo, before, price: PRICE });
  const { payment } = assertOnePaidRetry(server, '/weather');
  assert.equal(payment.x402Version, 1);
});

test('a payment the official v1 server refuses comes back as 402 with its reason, paid only once', async (t) => {
  const { token, payTo, server, facilitator } = await setup(t);
  // Funded below the price: the v1 facilitator's verify answers insufficient_funds, nothing settles.
  const { wallet, pay, events } = await ourClient(t, token, PRICE - 1n);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };

  const response = await pay(`${server.url}/weather`);
  assert.equal(response.status, 402);
  const body = JSON.parse(await response.clone().text());
  assert.equal(body.x402Version, 1);
  assert.equal(body.error, 'insufficient_funds', 'the official v1 server says why in the 402 body');

  assertOnePaidRetry(server, '/weather'); // exactly one payment attempt, never a second one
  assert.equal(server.handled.length, 0);
  assert.equal(facilitator.calls.settle.length, 0);
  assert.ok(events.includes('failed') && !events.includes('settled'), `events: ${events}`);
  assert.equal(await balanceOf(token, payTo), before.payee);
  assert.equal(await balanceOf(token, wallet.address), before.payer);

  // v1 carries the refusal reason in the 402 body's `error` (there is no PAYMENT-REQUIRED header).
  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt?.success, false);
  assert.equal(receipt.status, 402);
  assert.equal(receipt.errorReason, body.error, "our receipt carries the v1 server's reason");
});

test('receipts name the network the same way (CAIP-2) for a v1 settlement and a v1 refusal', async (t) => {
  const { token, server } = await setup(t);
  const { pay } = await ourClient(t, token);
  const paid = x402.getPaymentReceipt(await pay(`${server.url}/weather`));
  assert.equal(paid?.success, true);
  const { pay: poorPay } = await ourClient(t, token, 0n);
  const refused = x402.getPaymentReceipt(await poorPay(`${server.url}/weather`));
  assert.equal(refused?.success, false);
  assert.equal(refused.network, NETWORK);
  assert.equal(paid.network, refused.network, 'x402-wasm names networks in CAIP-2 everywhere (README "Networks")');
});
