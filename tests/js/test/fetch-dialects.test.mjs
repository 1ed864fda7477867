// wrapFetch in each 402 dialect (issue 5, section 1.2 and 1.6): x402 v2 in the PAYMENT-REQUIRED
// header, v2 in the body only, and the v1 body; the retry header and payload follow the dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor, usdc, usdcV1, countingWallet, PAY_TO } from '../lib/paid-server.mjs';

const x402 = await loadX402();

test('dialect v2 header: the retry carries PAYMENT-SIGNATURE with the requirement echoed verbatim', async (t) => {
  // Unknown keys, unusual key order and an extension must all come back unchanged.
  const requirement = { futureField: { z: 1, a: [2, 'x'] }, ...usdc(), zzz: 'last' };
  const extensions = { 'payment-identifier': { info: { required: false } }, custom: { n: 1 } };
  const server = await serverFor(t, {
    routes: { '/v2': { accepts: [requirement], extensions, resource: { url: 'https://example.test/v2', description: 'd', extraKey: true } } },
  });
  const { wallet, calls, address } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  const response = await paying(server.url('/v2'));
  assert.equal(response.status, 200);
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(server.payments.length, 1);
  const [payment] = server.payments;
  assert.equal(payment.header, 'payment-signature');
  assert.equal(payment.request.headers['x-payment'], undefined);
  assert.equal(payment.payload.x402Version, 2);
  assert.equal(JSON.stringify(payment.payload.accepted), JSON.stringify(requirement));
  assert.deepEqual(payment.payload.resource, { url: 'https://example.test/v2', description: 'd', extraKey: true });
  // Echoed as declared; payment-identifier with the id the client adds to its info.
  const id = payment.payload.extensions?.['payment-identifier']?.info?.id;
  assert.match(id, /^pay_[0-9a-f]{32}$/);
  for (const [k, v] of Object.entries(extensions)) {
    const expected = k === 'payment-identifier' ? { ...v, info: { ...v.info, id } } : v;
    assert.deepEqual(payment.payload.extensions?.[k], expected, `extension ${k}`);
  }
  assert.deepEqual(payment.verification, { isValid: true, payer: address, nonce: payment.payload.payload.authorization.nonce });
  assert.equal(payment.payload.payload.authorization.to, PAY_TO);
  assert.equal(payment.payload.payload.authorization.value, '10000');

  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt.success, true);
  assert.equal(receipt.transaction, payment.settlement.transaction);
  assert.equal(receipt.network, 'eip155:84532');
  assert.equal(receipt.payer, address);
  assert.equal(receipt.status, 200);
  assert.deepEqual(await response.json(), { paid: true, path: '/v2', method: 'GET' });
});

test('dialect v2 body-only: a 402 with the PaymentRequired only in its JSON body is paid with PAYMENT-SIGNATURE', async (t) => {
  const server = await serverFor(t, { routes: { '/v2b': { mode: 'v2-body', accepts: [usdc({ amount: '2500' })] } } });
  const { wallet, calls } = countingWallet(x402);
  const asked = [];
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: (q) => { asked.push(q); return true; } });
  const response = await paying(server.url('/v2b'), { method: 'POST', body: 'b' });
  assert.equal(response.status, 200);
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(server.requests[0].headers['payment-required'], undefined);
  const [payment] = server.payments;
  assert.equal(payment.header, 'payment-signature');
  assert.equal(payment.payload.x402Version, 2);
  assert.equal(payment.verification.isValid, true);
  assert.equal(asked[0].amountFormatted, '0.0025 USDC');
  assert.equal(asked[0].resource, server.url('/v2b'));
  assert.equal(x402.getPaymentReceipt(response).transaction, payment.settlement.transaction);
});

test('dialect v2 body-only and v1 body: a JSON body that starts with a UTF-8 BOM is read as response.json() reads it', async (t) => {
  const server = await serverFor(t, {
    routes: {
      '/v2bom': { mode: 'v2-body', bom: true, accepts: [usdc()] },
      '/v1bom': { mode: 'v1', bom: true, accepts: [usdcV1()] },
    },
  });
  const unpaid = await fetch(server.url('/v1bom'));
  const raw = new Uint8Array(await unpaid.clone().arrayBuffer());
  assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the body starts with a BOM');
  assert.equal((await unpaid.json()).x402Version, 1);
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  for (const path of ['/v2bom', '/v1bom']) {
    const response = await paying(server.url(path));
    assert.equal(response.status, 200, path);
  }
  assert.equal(calls.signTypedData.length, 2);
  assert.deepEqual(server.payments.map((p) => [p.header, p.payload.x402Version, p.verification.isValid]), [
    ['payment-signature', 2, true],
    ['x-payment', 1, true],
  ]);
});

test('dialect v1 body: the retry uses X-PAYMENT, the payload is x402Version 1, the receipt comes from X-PAYMENT-RESPONSE', async (t) => {
  const server = await serverFor(t, { routes: { '/v1': { mode: 'v1', accepts: [usdcV1({ maxAmountRequired: '20000' })] } } });
  const { wallet, calls, address } = countingWallet(x402);
  const asked = [];
  const events = [];
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    onPaymentRequired: (q) => { asked.push(q); return true; },
    onEvent: (e) => events.push(e),
  });
  const response = await paying(server.url('/v1'), { method: 'POST', body: 'v1 body', headers: { 'x-h': '1' } });
  assert.equal(response.status, 200);
  assert.equal(calls.signTypedData.length, 1);
  const [first, retry] = server.requests;
  assert.equal(retry.headers['payment-signature'], undefined, 'a v1 retry must not send PAYMENT-SIGNATURE');
  assert.ok(retry.headers['x-payment']);
  assert.equal(first.headers['x-payment'], undefined);
  assert.equal(retry.body.toString(), 'v1 body');
  assert.equal(retry.headers['x-h'], '1');
  const [payment] = server.payments;
  assert.equal(payment.header, 'x-payment');
  assert.deepEqual(Object.keys(payment.payload).sort(), ['network', 'payload', 'scheme', 'x402Version']);
  assert.equal(payment.payload.x402Version, 1);
  assert.equal(payment.payload.scheme, 'exact');
  assert.equal(payment.payload.network, 'base-sepolia');
  assert.equal(payment.payload.payload.authorization.value, '20000');
  assert.deepEqual(payment.verification, { isValid: true, payer: address, nonce: payment.payload.payload.authorization.nonce });
  assert.equal(asked[0].amountFormatted, '0.02 USDC');
  assert.equal(asked[0].requirement.network, 'eip155:84532');
  assert.equal(asked[0].requirement.amount, '20000');

  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt.success, true);
  assert.equal(receipt.transaction, payment.settlement.transaction);
  assert.equal(receipt.network, 'eip155:84532', 'receipts name networks in CAIP-2');
  assert.deepEqual(events.map((e) => e.type), ['payment_required', 'approved', 'signed', 'settled']);
  assert.equal(events[3].receipt.transaction, payment.settlement.transaction);
});

test('dialect v1 body: a refused v1 payment returns the 402 with the X-PAYMENT-RESPONSE reason', async (t) => {
  const server = await serverFor(t, { routes: { '/v1': { mode: 'v1', accepts: [usdcV1()], refuse: 'insufficient_funds' } } });
  const { wallet } = countingWallet(x402);
  const events = [];
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onEvent: (e) => events.push(e) });
  const response = await paying(server.url('/v1'));
  assert.equal(response.status, 402);
  assert.equal(server.payments.length, 1);
  assert.equal(server.payments[0].verification.isValid, true);
  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt.success, false);
  assert.equal(receipt.errorReason, 'insufficient_funds');
  assert.equal(receipt.status, 402);
  assert.equal(events.at(-1).type, 'failed');
  assert.equal(events.at(-1).receipt.errorReason, 'insufficient_funds');
});

for (const [mode, accepts] of [['v1', [usdcV1()]], ['v2-body', [usdc()]], ['normal', [usdc()]]]) {
  test(`dialect ${mode}: a refusal without PAYMENT-RESPONSE takes its reason from the new challenge`, async (t) => {
    const server = await serverFor(t, { routes: { '/r': { mode, accepts, refuse: 'invalid_exact_evm_payload_authorization_valid_before', noReceipt: true } } });
    const paying = x402.wrapFetch(fetch, { wallets: [countingWallet(x402).wallet] });
    const response = await paying(server.url('/r'));
    assert.equal(response.status, 402);
    assert.equal(server.payments.length, 1);
    assert.equal(response.headers.get('payment-response'), null);
    const receipt = x402.getPaymentReceipt(response);
    assert.equal(receipt.success, false);
    assert.equal(receipt.errorReason, 'invalid_exact_evm_payload_authorization_valid_before');
    assert.equal(receipt.network, 'eip155:84532');
    // The body is still the caller's to read.
    assert.equal(response.bodyUsed, false);
    await response.text();
  });
}

test('dialect v1 body: a wallet whose signature does not recover its address is caught before anything is sent', async (t) => {
  const server = await serverFor(t, { routes: { '/v1': { mode: 'v1', accepts: [usdcV1()] } } });
  const { wallet } = countingWallet(x402);
  const other = countingWallet(x402, { key: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a' });
  // Claims one address, signs with another key.
  const lying = { ...wallet, signTypedData: (td) => other.wallet.signTypedData(td) };
  const paying = x402.wrapFetch(fetch, { wallets: [lying] });
  await assert.rejects(paying(server.url('/v1')), { name: 'X402Error', code: 'SIGNER_MISMATCH' });
  assert.equal(server.payments.length, 0);
  assert.equal(server.requests.length, 1);
  // Aborted while the account's code is read (is it a Safe?): the abort, not SIGNER_MISMATCH.
  const controller = new AbortController();
  const reason = new Error('gone');
  const hanging = { ...lying, getCode: () => { controller.abort(reason); return new Promise(() => {}); } };
  const aborted = x402.wrapFetch(fetch, { wallets: [hanging] })(server.url('/v1'), { signal: controller.signal });
  await assert.rejects(aborted, (e) => e === reason);
  assert.equal(server.payments.length, 0);
});

test('dialect: the header takes precedence over a different body on a v2 402', async (t) => {
  // The header says 0.01 on Base Sepolia; the body (a v1 document) says 0.02: the header wins.
  const server = await serverFor(t, { routes: { '/mixed': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const header = x402.encodeHeader({ x402Version: 2, resource: { url: server.url('/mixed') }, accepts: [usdc()] });
  let call = 0;
  const custom = async (request) => {
    call += 1;
    if (call === 1) {
      return new Response(JSON.stringify({ x402Version: 1, error: 'x', accepts: [usdcV1({ maxAmountRequired: '20000' })] }), {
        status: 402, headers: { 'payment-required': header, 'content-type': 'application/json' },
      });
    }
    return fetch(request);
  };
  const paying = x402.wrapFetch(custom, { wallets: [wallet] });
  const response = await paying(server.url('/mixed'));
  assert.equal(response.status, 200);
  assert.equal(server.payments[0].header, 'payment-signature');
  assert.equal(server.payments[0].payload.accepted.amount, '10000');
});
