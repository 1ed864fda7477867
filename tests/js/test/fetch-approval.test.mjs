// wrapFetch approval and events (issue 5, section 4): onPaymentRequired is asked before anything is
// signed; events come in order and carry the requirement and the receipt; getPaymentReceipt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor, usdc, countingWallet, sleep, PAY_TO } from '../lib/paid-server.mjs';

const x402 = await loadX402();

test('approval: onPaymentRequired is asked { requirement, resource, amountFormatted, origin }', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const asked = [];
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: (q) => { asked.push(q); return true; } });
  const response = await paying(server.url('/paid'));
  assert.equal(response.status, 200);
  assert.equal(asked.length, 1);
  const [q] = asked;
  assert.equal(q.amountFormatted, '0.01 USDC');
  assert.equal(q.origin, server.origin);
  assert.equal(q.resource, server.url('/paid'));
  assert.equal(q.requirement.amount, '10000');
  assert.equal(q.requirement.network, 'eip155:84532');
  assert.equal(q.requirement.payTo, PAY_TO);
  assert.equal(q.requirement.scheme, 'exact');
  assert.equal(q.requirement.index, 0);
  assert.deepEqual(q.requirement.raw, usdc());
});

test('approval: nothing is signed before the answer resolves true', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  let answered = false;
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    onPaymentRequired: async () => {
      await sleep(200);
      answered = true;
      return true;
    },
  });
  const pending = paying(server.url('/paid'));
  await sleep(120);
  assert.equal(answered, false);
  assert.equal(calls.signTypedData.length, 0, 'signed before approval');
  assert.equal(calls.getAddress, 0, 'asked the wallet before approval');
  assert.equal(server.payments.length, 0);
  const response = await pending;
  assert.equal(response.status, 200);
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(server.payments.length, 1);
});

for (const answer of [false, undefined, 'yes', 1]) {
  test(`approval: an answer of ${JSON.stringify(answer)} is PAYMENT_REJECTED, with no signature`, async (t) => {
    const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
    const { wallet, calls } = countingWallet(x402);
    const events = [];
    const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: async () => answer, onEvent: (e) => events.push(e) });
    await assert.rejects(paying(server.url('/paid')), { name: 'X402Error', code: 'PAYMENT_REJECTED' });
    assert.equal(calls.signTypedData.length + calls.getAddress, 0);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(events.map((e) => e.type), ['payment_required', 'rejected']);
    assert.equal(events[1].requirement.amount, '10000');
  });
}

test('approval: a rejected payment gives its budget back', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  let allow = false;
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { total: '0.01' } }, onPaymentRequired: () => allow });
  await assert.rejects(paying(server.url('/paid')), { code: 'PAYMENT_REJECTED' });
  allow = true;
  assert.equal((await paying(server.url('/paid'))).status, 200);
  await assert.rejects(paying(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
});

test('approval: a throwing onPaymentRequired rejects the fetch with its error, nothing signed', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  const boom = new Error('dialog crashed');
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: () => { throw boom; } });
  await assert.rejects(paying(server.url('/paid')), (e) => e === boom);
  assert.equal(calls.signTypedData.length, 0);
  assert.equal(server.payments.length, 0);
});

test('approval: a refusal by policy never asks the user', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc({ amount: '5000000' })] } } });
  const { wallet } = countingWallet(x402);
  let asked = 0;
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: () => { asked += 1; return true; } });
  await assert.rejects(paying(server.url('/paid')), { code: 'PAYMENT_LIMIT_EXCEEDED' });
  assert.equal(asked, 0);
});

test('events: success is payment_required, approved, signed, settled (with the receipt)', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls, address } = countingWallet(x402);
  const events = [];
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    onPaymentRequired: () => true,
    onEvent: (e) => events.push({ ...e, signaturesSoFar: calls.signTypedData.length, paymentsSoFar: server.payments.length }),
  });
  const response = await paying(server.url('/paid'));
  assert.deepEqual(events.map((e) => e.type), ['payment_required', 'approved', 'signed', 'settled']);
  const [required, approved, signed, settled] = events;
  assert.equal(required.origin, server.origin);
  // payment_required carries what the server offers, before policy chose.
  assert.deepEqual(required.requirements.map((r) => r.raw), [usdc()]);
  assert.equal(approved.signaturesSoFar, 0);
  assert.equal(signed.signaturesSoFar, 1);
  assert.equal(signed.paymentsSoFar, 0);
  for (const e of [approved, signed, settled]) {
    assert.equal(e.requirement.amount, '10000');
    assert.deepEqual(e.requirement.raw, usdc());
  }
  assert.equal(settled.status, 200);
  const tx = server.payments[0].settlement.transaction;
  assert.deepEqual(settled.receipt, { success: true, transaction: tx, network: 'eip155:84532', payer: address, amount: '10000', status: 200 });
  assert.deepEqual(x402.getPaymentReceipt(response), settled.receipt);
  assert.equal(await response.text(), JSON.stringify({ paid: true, path: '/paid', method: 'GET' }));
});

test('events: a refused payment ends with failed, carrying the decoded errorReason; the 402 is returned', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()], mode: 'refuse', refuseReason: 'insufficient_funds' } } });
  const { wallet, address } = countingWallet(x402);
  const events = [];
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: () => true, onEvent: (e) => events.push(e) });
  const response = await paying(server.url('/paid'));
  assert.equal(response.status, 402);
  assert.deepEqual(events.map((e) => e.type), ['payment_required', 'approved', 'signed', 'failed']);
  const failed = events[3];
  assert.equal(failed.status, 402);
  assert.equal(failed.receipt.success, false);
  assert.equal(failed.receipt.errorReason, 'insufficient_funds');
  assert.equal(failed.receipt.payer, address);
  assert.equal(failed.receipt.status, 402);
  assert.equal(failed.requirement.amount, '10000');
  assert.deepEqual(x402.getPaymentReceipt(response), failed.receipt);
  assert.equal(server.payments.length, 1);
});

test('events: a 402 retry without PAYMENT-RESPONSE still fails, with the reason of its PAYMENT-REQUIRED', async (t) => {
  const header = x402.encodeHeader({ x402Version: 2, error: 'payment_expired', accepts: [usdc()] });
  let calls = 0;
  const custom = async () => {
    calls += 1;
    return new Response('{}', { status: 402, headers: { 'payment-required': header } });
  };
  const events = [];
  const paying = x402.wrapFetch(custom, { wallets: [countingWallet(x402).wallet], onEvent: (e) => events.push(e) });
  const response = await paying('http://127.0.0.1:9/x');
  assert.equal(calls, 2);
  assert.equal(response.status, 402);
  assert.equal(events.at(-1).type, 'failed');
  assert.equal(events.at(-1).receipt.success, false);
  assert.equal(events.at(-1).receipt.errorReason, 'payment_expired');
  assert.equal(x402.getPaymentReceipt(response).errorReason, 'payment_expired');
});

test('events: a throwing onEvent listener does not change the payment', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const paying = x402.wrapFetch(fetch, { wallets: [countingWallet(x402).wallet], onEvent: () => { throw new Error('listener bug'); } });
  const response = await paying(server.url('/paid'));
  assert.equal(response.status, 200);
  assert.equal(x402.getPaymentReceipt(response).success, true);
});

test('receipts: getPaymentReceipt decodes PAYMENT-RESPONSE of any response, and is undefined without one', () => {
  const settlement = { success: true, transaction: `0x${'ab'.repeat(32)}`, network: 'eip155:8453', payer: PAY_TO, amount: '5' };
  const response = new Response('ok', { headers: { 'PAYMENT-RESPONSE': x402.encodeHeader(settlement) } });
  assert.deepEqual(x402.getPaymentReceipt(response), { ...settlement, status: 200 });
  const v1 = new Response('ok', { headers: { 'X-PAYMENT-RESPONSE': x402.encodeHeader(settlement) } });
  assert.equal(x402.getPaymentReceipt(v1).transaction, settlement.transaction);
  assert.equal(x402.getPaymentReceipt(new Response('plain')), undefined);
  assert.throws(() => x402.getPaymentReceipt(new Response('x', { headers: { 'payment-response': '%%%' } })), { name: 'X402Error' });
});

/** An EIP-1193 provider backed by the test key, starting on `chainId`; `reject` makes signing answer 4001. */
function testProvider(options = {}) {
  const inner = x402.evmPrivateKeyWallet(options.key ?? '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
  let chain = options.chainId ?? 84532;
  const methods = [];
  const provider = {
    methods,
    async request({ method, params }) {
      methods.push(method);
      switch (method) {
        case 'eth_accounts':
        case 'eth_requestAccounts':
          return [inner.address.toLowerCase()];
        case 'eth_chainId':
          return `0x${chain.toString(16)}`;
        case 'wallet_switchEthereumChain':
          chain = Number(BigInt(params[0].chainId));
          return null;
        case 'eth_signTypedData_v4': {
          if (options.reject) throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
          assert.equal(params[0].toLowerCase(), inner.address.toLowerCase());
          const { types, domain, primaryType, message } = JSON.parse(params[1]);
          const { EIP712Domain, ...rest } = types;
          assert.ok(EIP712Domain);
          assert.equal(Number(domain.chainId), chain, 'asked to sign for another chain than the current one');
          return inner.signTypedData({ types: rest, domain, primaryType, message });
        }
        default:
          throw Object.assign(new Error(`unsupported ${method}`), { code: 4200 });
      }
    },
  };
  return { provider, address: inner.address };
}

test('wallets: an EIP-1193 provider pays through wrapFetch, switching the chain first', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc({ network: 'eip155:8453', asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', extra: { name: 'USD Coin', version: '2' } })] } } });
  const { provider, address } = testProvider({ chainId: 84532 });
  const paying = x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(provider)] });
  const response = await paying(server.url('/paid'));
  assert.equal(response.status, 200);
  assert.equal(server.payments[0].verification.isValid, true);
  assert.equal(server.payments[0].verification.payer, address);
  assert.ok(provider.methods.includes('wallet_switchEthereumChain'));
  assert.equal(provider.methods.filter((m) => m === 'eth_signTypedData_v4').length, 1);
});

test('wallets: a user rejection in the wallet (4001) is USER_REJECTED; nothing is sent and the budget comes back', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const rejecting = testProvider({ reject: true });
  const events = [];
  const policy = { budget: { total: '0.01' } };
  const paying = x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(rejecting.provider)], policy, onEvent: (e) => events.push(e) });
  await assert.rejects(paying(server.url('/paid')), { name: 'X402Error', code: 'USER_REJECTED' });
  assert.equal(server.payments.length, 0);
  assert.equal(server.requests.length, 1);
  // The failure is an event too, with the requirement and the code the call rejects with.
  assert.deepEqual(events.map((e) => e.type), ['payment_required', 'approved', 'failed']);
  assert.equal(events[2].error, 'USER_REJECTED');
  assert.equal(events[2].spent, false);
  assert.equal(events[2].requirement.amount, '10000');
  assert.match(events[2].message, /rejected/);
  // Same wrapper, the user now accepts: the reserved cent was released.
  rejecting.provider.request = testProvider().provider.request;
  assert.equal((await paying(server.url('/paid'))).status, 200);
});

test('approval: an authorization is valid from when the user approved, not from when the 402 came', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc({ maxTimeoutSeconds: 60 })] } } });
  const { wallet, calls } = countingWallet(x402);
  let approvedAt;
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    onPaymentRequired: () => new Promise((resolve) => setTimeout(() => { approvedAt = Date.now(); resolve(true); }, 1_500)),
  });
  assert.equal((await paying(server.url('/paid'))).status, 200);
  const validBefore = Number(calls.signTypedData[0].message.validBefore);
  assert.ok(validBefore >= Math.floor(approvedAt / 1000) + 60, `validBefore ${validBefore} counts from before the approval (${approvedAt})`);
});
