// x402-wasm/worker in workerd refuses bad payments before the handler runs and before anything is
// settled. A valid payment is made by the official v2 client (@x402/core x402Client + @x402/evm
// exact scheme, unmodified) from the Worker's own 402, then tampered: amount, payTo, expired (the
// client's clock an hour old), not yet valid, wrong chain (accepted.network changed; signed for
// another chain id), a flipped signature byte, replay, malformed base64, not JSON, JSON of the wrong
// shape, unknown x402Version, a v1 payment on a v2-only route, an oversized header. Malformed input
// is 400 + { error: CODE }; a refused payment is 402 + PAYMENT-REQUIRED + PAYMENT-RESPONSE
// { success: false, errorReason }. The facilitator (official v2 on anvil over loopback HTTP) counts
// its calls: no refusal reaches /settle, and the Worker counts its handler calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client, x402HTTPClient } from '@x402/core/client';
import { registerExactEvmScheme as registerExactEvmClientScheme } from '@x402/evm/exact/client';
import { anvilAccount, balanceOf, mint } from '../lib/chain.mjs';
import {
  MINTED, NETWORK, PRICE, assertServedWeather, decodeJsonHeader, encodeJsonHeader, startHelperWorker, v2Chain, weatherRoute,
} from '../lib/worker-harness.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();

const clone = (value) => structuredClone(value);

/** Asserts a 400 with { error: code }. */
async function assertMalformed(response, code) {
  const text = await response.text();
  assert.equal(response.status, 400, text);
  assert.equal(JSON.parse(text).error, code, text);
  assert.equal(response.headers.get('payment-response'), null);
  assert.doesNotMatch(text, /sunny/, 'no resource body');
}

/** Asserts a 402 refusal with PAYMENT-REQUIRED and PAYMENT-RESPONSE { success: false, errorReason: reason }. */
async function assertRefused(response, reason) {
  const text = await response.text();
  assert.equal(response.status, 402, text);
  assert.doesNotMatch(text, /sunny/, 'no resource body');
  const required = decodeJsonHeader(response.headers.get('payment-required'));
  assert.equal(required?.x402Version, 2, 'PAYMENT-REQUIRED present');
  assert.equal(required.accepts.length, 1);
  const settlement = decodeJsonHeader(response.headers.get('payment-response'));
  assert.ok(settlement, 'PAYMENT-RESPONSE present');
  assert.equal(settlement.success, false);
  assert.equal(settlement.errorReason, reason, JSON.stringify(settlement));
  assert.equal(response.headers.get('cache-control'), 'no-store');
}

async function setup(t) {
  const chain = await v2Chain(t);
  const { token, payTo, facilitator } = chain;
  const route = weatherRoute({ asset: token.address, payTo });
  const worker = await startHelperWorker(t, {
    middlewares: [
      { store: 'memory', routes: { 'GET /weather': route }, facilitator: { url: facilitator.url } },
      // Same terms, also asking the facilitator's /verify before the handler.
      { store: 'memory', routes: { 'GET /verified': route }, facilitator: { url: facilitator.url }, verifyWithFacilitator: true },
      // Same terms, settled before the handler runs.
      { store: 'memory', routes: { 'GET /prepaid': route }, facilitator: { url: facilitator.url }, settleBeforeHandler: true },
    ],
  });

  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const client = new x402Client();
  registerExactEvmClientScheme(client, { signer: account, networks: [NETWORK] });
  client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const httpClient = new x402HTTPClient(client);

  /** The Worker's 402 for `path`, as the official client reads it. */
  const challenge = async (path = '/weather') => {
    const response = await worker.fetch(path);
    assert.equal(response.status, 402);
    const body = await response.json();
    return httpClient.getPaymentRequiredResponse((name) => response.headers.get(name), body);
  };
  /** A fresh valid payment payload (JSON) made by the official client. */
  const officialPayment = async (path = '/weather') => client.createPaymentPayload(await challenge(path));
  /** Sends a raw PAYMENT-SIGNATURE value (a payload object is encoded first). */
  const send = (payment, path = '/weather', header = 'PAYMENT-SIGNATURE') => worker.fetch(path, {
    headers: { [header]: typeof payment === 'string' ? payment : encodeJsonHeader(payment) },
  });
  return { ...chain, worker, account, client, challenge, officialPayment, send };
}

test('tampered, expired, wrong-chain, badly signed, replayed and malformed payments are refused before the handler and settle', async (t) => {
  const { token, payTo, facilitator, worker, account, client, challenge, officialPayment, send } = await setup(t);
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, account.address) };

  await t.test('control: the official payment is well formed for this route', async () => {
    const payment = await officialPayment();
    assert.equal(payment.x402Version, 2);
    assert.equal(payment.accepted.network, NETWORK);
    assert.equal(getAddress(payment.payload.authorization.from), account.address);
    assert.equal(payment.payload.authorization.value, String(PRICE));
    // Verified locally by our package against the same requirement: valid.
    const local = x402.verifyPayment(payment, payment.accepted);
    assert.equal(local.isValid, true, JSON.stringify(local));
  });

  await t.test('amount: authorization.value lowered', async () => {
    const payment = await officialPayment();
    payment.payload.authorization.value = '1';
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_authorization_value_mismatch');
  });

  await t.test('amount: accepted.amount and authorization.value both lowered', async () => {
    const payment = await officialPayment();
    payment.accepted.amount = '1';
    payment.payload.authorization.value = '1';
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_authorization_value_mismatch');
  });

  await t.test('amount: authorization.value raised (a payer cannot be charged more than the price either)', async () => {
    const payment = await officialPayment();
    payment.payload.authorization.value = String(PRICE * 2n);
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_authorization_value_mismatch');
  });

  await t.test('payTo: authorization.to changed', async () => {
    const payment = await officialPayment();
    payment.payload.authorization.to = anvilAccount(5).address;
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_recipient_mismatch');
  });

  await t.test('payTo: accepted.payTo and authorization.to both changed', async () => {
    const payment = await officialPayment();
    payment.accepted.payTo = anvilAccount(5).address;
    payment.payload.authorization.to = anvilAccount(5).address;
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_recipient_mismatch');
  });

  await t.test('expired: signed by the official client with a clock one hour old', async () => {
    const required = await challenge();
    const realNow = Date.now;
    Date.now = () => realNow() - 3_600_000; // the client's clock only
    let payment;
    try {
      payment = await client.createPaymentPayload(required);
    } finally {
      Date.now = realNow;
    }
    assert.ok(payment, 'payment created');
    assert.ok(Number(payment.payload.authorization.validBefore) < nowSeconds(), 'validBefore is in the past');
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_authorization_valid_before');
  });

  await t.test('expired: our createPaymentPayload({ now: an hour ago })', async () => {
    const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
    t.after(() => wallet.free());
    const payment = await x402.createPaymentPayload(await challenge(), 0, wallet, { now: nowSeconds() - 3600 });
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_authorization_valid_before');
  });

  await t.test('expiring: validBefore only 2 s away leaves no time to settle', async () => {
    const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
    t.after(() => wallet.free());
    const required = await challenge();
    required.accepts[0].maxTimeoutSeconds = 2; // signed with a 2 s window
    const payment = await x402.createPaymentPayload(required, 0, wallet);
    payment.accepted.maxTimeoutSeconds = 60;
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_authorization_valid_before');
  });

  await t.test('not yet valid: validAfter 45 s ahead', async () => {
    const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
    t.after(() => wallet.free());
    // Within the 60 s window (a validAfter past it is refused when made).
    const payment = await x402.createPaymentPayload(await challenge(), 0, wallet, { validAfter: nowSeconds() + 45 });
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_authorization_valid_after');
  });

  await t.test('wrong chain: accepted.network changed to eip155:8453', async () => {
    const payment = await officialPayment();
    payment.accepted.network = 'eip155:8453';
    await assertRefused(await send(payment), 'invalid_network');
  });

  await t.test('wrong chain: signed for chain id 1, presented for eip155:31337', async () => {
    const required = await challenge();
    const accepted = clone(required.accepts[0]);
    const forMainnet = clone(required);
    forMainnet.accepts[0].network = 'eip155:1';
    const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
    t.after(() => wallet.free());
    const payment = await x402.createPaymentPayload(forMainnet, 0, wallet);
    payment.accepted = accepted; // the route's requirement, verbatim
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_signature');
  });

  await t.test('wrong chain: an official client payment signed on eip155:8453 terms', async () => {
    const required = await challenge();
    const onBase = clone(required);
    onBase.accepts[0].network = 'eip155:8453';
    const baseClient = new x402Client();
    registerExactEvmClientScheme(baseClient, { signer: privateKeyToAccount(generatePrivateKey()), networks: ['eip155:8453'] });
    baseClient.setSpendControls(false);
    const payment = await baseClient.createPaymentPayload(onBase);
    await assertRefused(await send(payment), 'invalid_network');
  });

  await t.test('bad signature: one byte of r flipped', async () => {
    const payment = await officialPayment();
    const sig = payment.payload.signature;
    const i = 2 + 2 * 10; // byte 10 of r
    const flipped = (parseInt(sig.slice(i, i + 2), 16) ^ 0xff).toString(16).padStart(2, '0');
    payment.payload.signature = sig.slice(0, i) + flipped + sig.slice(i + 2);
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_signature');
  });

  await t.test('bad signature: the payer\'s valid signature of another authorization (another nonce)', async () => {
    const payment = await officialPayment();
    const other = await officialPayment();
    payment.payload.signature = other.payload.signature;
    await assertRefused(await send(payment), 'invalid_exact_evm_payload_signature');
  });

  await t.test('malformed base64 -> 400 INVALID_HEADER', async () => {
    await assertMalformed(await send('%%% not base64 %%%'), 'INVALID_HEADER');
  });

  await t.test('base64 of something that is not JSON -> 400 INVALID_JSON', async () => {
    await assertMalformed(await send(Buffer.from('hello, not json').toString('base64')), 'INVALID_JSON');
  });

  await t.test('JSON of the wrong shape (the v2 envelope) -> 400 INVALID_PAYLOAD', async (tt) => {
    const valid = await officialPayment();
    const cases = {
      'accepted missing': (() => { const p = clone(valid); delete p.accepted; return p; })(),
      'payload missing': (() => { const p = clone(valid); delete p.payload; return p; })(),
      'accepted is a string': { ...clone(valid), accepted: 'exact' },
      'payload is a number': { ...clone(valid), payload: 42 },
      'accepted is an array': { ...clone(valid), accepted: [valid.accepted] },
    };
    for (const [name, payment] of Object.entries(cases)) {
      await tt.test(name, async () => assertMalformed(await send(payment), 'INVALID_PAYLOAD'));
    }
    await tt.test('a JSON array (no x402Version to read: either code is a 400)', async () => {
      const response = await send([valid]);
      const code = (await response.clone().json()).error;
      assert.ok(['INVALID_PAYLOAD', 'UNSUPPORTED_VERSION'].includes(code), code);
      await assertMalformed(response, code);
    });
  });

  await t.test('a well-formed envelope whose exact payload lacks the authorization -> 402 invalid_payload', async () => {
    const payment = await officialPayment();
    delete payment.payload.authorization;
    await assertRefused(await send(payment), 'invalid_payload');
  });

  await t.test('unknown x402Version -> 400 UNSUPPORTED_VERSION', async () => {
    const payment = await officialPayment();
    payment.x402Version = 3;
    await assertMalformed(await send(payment), 'UNSUPPORTED_VERSION');
  });

  await t.test('header over 32 KiB -> 400 HEADER_TOO_LARGE', async () => {
    await assertMalformed(await send('A'.repeat(40 * 1024)), 'HEADER_TOO_LARGE');
  });

  await t.test('a v1 X-PAYMENT on a v2-only route -> 402 invalid_x402_version', async () => {
    const payment = await officialPayment();
    const v1 = { x402Version: 1, scheme: 'exact', network: 'base-sepolia', payload: payment.payload };
    await assertRefused(await send(v1, '/weather', 'X-PAYMENT'), 'invalid_x402_version');
  });

  await t.test('none of the refusals ran the handler or reached the facilitator', async () => {
    assert.equal((await worker.stats()).handled, 0, 'handler never ran');
    assert.deepEqual(facilitator.calls, { verify: 0, settle: 0, supported: 0 });
    assert.equal(await balanceOf(token, payTo), before.payee, 'nothing was paid');
    assert.equal(await balanceOf(token, account.address), before.payer);
  });

  await t.test('replay: the same valid header twice; the second is duplicate_settlement', async () => {
    const header = encodeJsonHeader(await officialPayment());
    const first = await send(header);
    await assertServedWeather(first);
    assert.equal(decodeJsonHeader(first.headers.get('payment-response')).success, true);
    await assertRefused(await send(header), 'duplicate_settlement');
    assert.equal((await worker.stats()).handled, 1, 'the handler ran for the first only');
    assert.equal(facilitator.calls.settle, 1, 'settled once');
    assert.equal(await balanceOf(token, payTo), before.payee + PRICE, 'paid exactly once');
  });

  await t.test('replay of a settled payment with a fresh encoding (same authorization, other JSON key order)', async () => {
    // A replay key is the payment (network, payer, nonce), not the header bytes.
    const payment = await officialPayment();
    const header = encodeJsonHeader(payment);
    assert.equal((await send(header)).status, 200);
    const reordered = { payload: payment.payload, accepted: payment.accepted, resource: payment.resource, x402Version: 2 };
    await assertRefused(await send(encodeJsonHeader(reordered)), 'duplicate_settlement');
    assert.equal(facilitator.calls.settle, 2);
  });
});

test('with verifyWithFacilitator, a payment the facilitator refuses (no funds) is 402 before the handler, never settled, and its replay key released', async (t) => {
  const { worker, facilitator, send, challenge, token, payTo } = await setup(t);
  const broke = new x402Client();
  registerExactEvmClientScheme(broke, { signer: privateKeyToAccount(generatePrivateKey()), networks: [NETWORK] });
  broke.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const payment = await broke.createPaymentPayload(await challenge('/verified'));
  const response = await send(payment, '/verified');
  // The facilitator's own reason, passed through (the official v2 facilitator says
  // invalid_exact_evm_insufficient_balance; the spec lists insufficient_funds).
  const reason = decodeJsonHeader(response.headers.get('payment-response'))?.errorReason ?? '';
  assert.match(reason, /insufficient/);
  await assertRefused(response, reason);
  assert.equal((await worker.stats()).handled, 0);
  assert.deepEqual(facilitator.calls, { verify: 1, settle: 0, supported: 0 });

  // The refused payment's replay key was released: the same payer, once funded, can pay.
  const payer = payment.payload.authorization.from;
  await mint(token, payer, MINTED);
  const again = await send(payment, '/verified');
  assert.equal(again.status, 200, await again.clone().text());
  assert.equal(decodeJsonHeader(again.headers.get('payment-response')).success, true);
  assert.deepEqual(facilitator.calls, { verify: 2, settle: 1, supported: 0 });
  assert.equal(await balanceOf(token, payTo), PRICE);
});

test('a valid payment whose settlement fails (payer has no funds) is 402 with success=false and no resource body', async (t) => {
  const { worker, facilitator, send, challenge, token } = await setup(t);
  const broke = new x402Client();
  registerExactEvmClientScheme(broke, { signer: privateKeyToAccount(generatePrivateKey()), networks: [NETWORK] });
  broke.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const payment = await broke.createPaymentPayload(await challenge('/weather'));
  const response = await send(payment);
  const text = await response.text();
  assert.equal(response.status, 402, text);
  assert.doesNotMatch(text, /sunny/, 'no resource body');
  const settlement = decodeJsonHeader(response.headers.get('payment-response'));
  assert.equal(settlement.success, false);
  assert.ok(settlement.errorReason, JSON.stringify(settlement));
  assert.ok(response.headers.get('payment-required'));
  assert.equal(facilitator.calls.settle, 1, 'settle was tried once, after the handler');
});

test('with settleBeforeHandler, a payment whose settlement fails never reaches the handler; a good one is served', async (t) => {
  const { worker, facilitator, send, challenge, token, payTo, client } = await setup(t);
  const broke = new x402Client();
  registerExactEvmClientScheme(broke, { signer: privateKeyToAccount(generatePrivateKey()), networks: [NETWORK] });
  broke.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const unfunded = await send(await broke.createPaymentPayload(await challenge('/prepaid')), '/prepaid');
  const text = await unfunded.text();
  assert.equal(unfunded.status, 402, text);
  assert.doesNotMatch(text, /sunny/);
  assert.equal(decodeJsonHeader(unfunded.headers.get('payment-response')).success, false);
  assert.equal((await worker.stats()).handled, 0, 'the handler never ran');
  assert.equal(facilitator.calls.settle, 1);

  const paid = await send(await client.createPaymentPayload(await challenge('/prepaid')), '/prepaid');
  assert.equal(paid.status, 200, await paid.clone().text());
  assert.equal(decodeJsonHeader(paid.headers.get('payment-response')).success, true);
  assert.deepEqual((await worker.stats()).handledPaths, ['/prepaid']);
  assert.equal(await balanceOf(token, payTo), PRICE);
});
