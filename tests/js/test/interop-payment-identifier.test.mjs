// The x402 `payment-identifier` extension (idempotency keys) against the official v2 server and the
// official extension helpers, unmodified from npm: a route of @x402/express declares the extension
// with @x402/extensions' declarePaymentIdentifierExtension, our wrapFetch pays it on anvil (settled
// by the official facilitator), and the payload the server received passes the official checks
// (validatePaymentIdentifierRequirement, and extractAndValidatePaymentIdentifier, which validates
// the echoed info against the declared JSON schema with ajv).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePrivateKey } from 'viem/accounts';
import {
  PAYMENT_IDENTIFIER, declarePaymentIdentifierExtension, extractAndValidatePaymentIdentifier,
  validatePaymentIdentifierRequirement,
} from '@x402/extensions/payment-identifier';
import {
  assertSettled, balanceOf, mint, officialChain,
} from '../lib/chain.mjs';
import { decodeBase64Json, exactEvmOption, startOfficialV2Server } from '../lib/official-servers.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();

const NETWORK = 'eip155:31337';
const PRICE = 10_000n;
const RANDOM_ID = /^pay_[0-9a-f]{32}$/;

/** The payment a request carried, decoded, or undefined. */
const paymentOf = (req) => decodeBase64Json(req.headers['payment-signature']);

/**
 * An official v2 server on anvil with `/order` (declares the extension, required), `/optional`
 * (declares it, not required) and `/plain` (does not). The declaring handlers check the payment the
 * way the official examples do and answer with the id they were given.
 */
async function setup(t) {
  const { token, facilitator, payTo } = await officialChain(t, NETWORK);
  const accepts = exactEvmOption({ network: NETWORK, payTo, asset: token.address, amount: PRICE, name: 'USDC', version: '2' });
  const identified = (required) => (req, res) => {
    const payment = paymentOf(req);
    const requirement = validatePaymentIdentifierRequirement(payment, required);
    const { id, validation } = extractAndValidatePaymentIdentifier(payment);
    if (!requirement.valid || !validation.valid) return res.status(400).json({ requirement, validation });
    return res.json({ id });
  };
  const server = await startOfficialV2Server({
    facilitator,
    routes: [
      { method: 'POST', path: '/order', accepts, extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(true) }, handler: identified(true) },
      { method: 'GET', path: '/optional', accepts, extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(false) }, handler: identified(false) },
      { method: 'GET', path: '/plain', accepts, handler: (req, res) => res.json({ extensions: paymentOf(req).extensions ?? null }) },
    ],
  });
  t.after(() => server.close());
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, 10_000_000n);
  const pay = x402.wrapFetch(fetch, {
    wallets: [wallet],
    policy: { assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }] },
  });
  return { token, payTo, server, wallet, pay };
}

/** The paid requests the server saw for `path`, decoded. */
const paidTo = (server, path) => server.seen.filter((r) => r.path === path && r.headers['payment-signature']).map(paymentOf);

async function json(response) {
  const text = await response.text();
  assert.equal(response.status, 200, `status ${response.status}: ${text}`);
  return JSON.parse(text);
}

test('a route requiring payment-identifier is paid with an id the official helpers accept; settled on anvil', async (t) => {
  const { token, payTo, server, wallet, pay } = await setup(t);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };
  const response = await pay(`${server.url}/order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":1}' });
  const { id } = await json(response);
  assert.match(id, RANDOM_ID);
  const receipt = x402.getPaymentReceipt(response);
  await assertSettled(token, receipt.transaction, { payer: wallet.address, payTo, before, price: PRICE });

  // The echo keeps what the server declared (required, the schema) and adds the id, nothing else.
  const [payment] = paidTo(server, '/order');
  assert.deepEqual(payment.extensions, {
    [PAYMENT_IDENTIFIER]: { ...declarePaymentIdentifierExtension(true), info: { required: true, id } },
  });
  // The facilitator was handed the same payload.
  assert.equal(server.facilitatorCalls.settle.length, 1);
  assert.equal(server.facilitatorCalls.settle[0].payload.extensions[PAYMENT_IDENTIFIER].info.id, id);

  // Each payment gets its own random id.
  const again = await json(await pay(`${server.url}/order`, { method: 'POST', body: '{"sku":2}' }));
  assert.match(again.id, RANDOM_ID);
  assert.notEqual(again.id, id);
});

test('a per-call paymentId is the id sent; repeated, the same payment is sent again, which the official server does not charge twice', async (t) => {
  const { token, server, wallet, pay } = await setup(t);
  const paymentId = 'order_2026-11-23_0001';
  const before = await balanceOf(token, wallet.address);
  assert.deepEqual(await json(await pay(`${server.url}/optional`, undefined, { paymentId })), { id: paymentId });
  // The official server keeps no ids: the payment sent again is refused as already used (402).
  const again = await pay(`${server.url}/optional`, undefined, { paymentId });
  assert.equal(again.status, 402, await again.text());
  assert.equal(x402.getPaymentReceipt(again)?.success, false);
  const sent = server.seen.filter((r) => r.path === '/optional' && r.headers['payment-signature']);
  assert.equal(sent.length, 2);
  assert.equal(sent[1].headers['payment-signature'], sent[0].headers['payment-signature'], 'the same payment');
  assert.deepEqual(paymentOf(sent[0]).extensions[PAYMENT_IDENTIFIER].info, { required: false, id: paymentId });
  assert.equal(await balanceOf(token, wallet.address), before - PRICE, 'charged once');
  // Refused, it is not sent a third time: the next call under the id makes a new payment.
  assert.deepEqual(await json(await pay(`${server.url}/optional`, undefined, { paymentId })), { id: paymentId });
  const third = server.seen.filter((r) => r.path === '/optional' && r.headers['payment-signature']).at(-1);
  assert.notEqual(third.headers['payment-signature'], sent[0].headers['payment-signature']);

  // A route that declares nothing gets no extension, whatever the caller asked.
  assert.deepEqual(await json(await pay(`${server.url}/plain`, undefined, { paymentId })), { extensions: null });
});

test('a malformed paymentId is refused before any request or signature', async (t) => {
  const { server, pay } = await setup(t);
  for (const paymentId of ['short_id', 'x'.repeat(129), 'has space in the id 0001', 'ünïcode_payment_id_0001', 42, {}]) {
    await assert.rejects(
      pay(`${server.url}/order`, { method: 'POST' }, { paymentId }),
      (error) => error instanceof x402.X402Error && error.code === 'INVALID_ARGUMENT' && /paymentId/.test(error.message),
      String(paymentId),
    );
  }
  assert.equal(server.seen.length, 0, 'nothing was sent');
});

test('createPaymentPayload takes paymentId; the official validation accepts the result', async (t) => {
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  const declared = declarePaymentIdentifierExtension(true);
  const paymentRequired = {
    x402Version: 2,
    resource: { url: 'https://api.example.com/order' },
    accepts: [{
      scheme: 'exact', network: 'eip155:8453', amount: '10000', asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
      payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', maxTimeoutSeconds: 60, extra: { name: 'USD Coin', version: '2' },
    }],
    extensions: { [PAYMENT_IDENTIFIER]: declared, other: { info: { kept: true } } },
  };
  const given = await x402.createPaymentPayload(paymentRequired, 0, wallet, { paymentId: 'agent-task-000000042' });
  assert.deepEqual(given.extensions, {
    [PAYMENT_IDENTIFIER]: { ...declared, info: { required: true, id: 'agent-task-000000042' } },
    other: { info: { kept: true } },
  });
  assert.deepEqual(extractAndValidatePaymentIdentifier(given), { id: 'agent-task-000000042', validation: { valid: true } });
  // The server's own declaration is not changed by the call.
  assert.deepEqual(paymentRequired.extensions[PAYMENT_IDENTIFIER], declarePaymentIdentifierExtension(true));

  const random = await x402.createPaymentPayload(paymentRequired, 0, wallet);
  assert.match(random.extensions[PAYMENT_IDENTIFIER].info.id, RANDOM_ID);
  assert.equal(validatePaymentIdentifierRequirement(random, true).valid, true);

  await assert.rejects(
    x402.createPaymentPayload(paymentRequired, 0, wallet, { paymentId: 'too-short' }),
    (error) => error.code === 'INVALID_ARGUMENT',
  );
});
