// What gets signed is what the caller chose, found by an adversarial review (2026-11-22):
// - createPaymentPayload signs the requirement the caller designated, whatever members the
//   server put inside an entry (a `raw` or an `index` of its own), and a recognised challenge's
//   `index` means the same entry as in the server's `accepts`, rejected entries before it or not;
// - a key wallet's handle cannot be forged by code that never held the wallet, and an adapter
//   built on a key wallet with a signTypedData of its own (a confirmation step) is asked;
// - an approval or listener option that is not a function is refused, never read as "none".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { baseUsdc, paymentRequiredHeaders as header, serverFor, usdc, TEST_KEY } from '../lib/paid-server.mjs';

const x402 = await loadX402();

const base = usdc({ maxTimeoutSeconds: 60 });
const signed = (payload) => payload.payload.authorization.value;

test('selection: a server entry carrying a `raw` (and an `index`) of another entry is paid for itself', async () => {
  const expensive = { ...base, amount: '5000000000' };
  const cheap = { ...base, amount: '10000', raw: expensive, index: 1 };
  const document = { x402Version: 2, resource: { url: 'http://api.test/x' }, accepts: [cheap, expensive] };
  const wallet = x402.evmPrivateKeyWallet(TEST_KEY);
  const payload = await x402.createPaymentPayload(document, document.accepts[0], wallet);
  assert.equal(signed(payload), '10000');
  assert.deepEqual(payload.accepted, cheap);
  // The recognised view of entry 0 designates entry 0 too, from the document or from the view.
  const view = x402.recognizePaymentRequired(402, header(document), '');
  assert.deepEqual(view.requirements.map((r) => [r.index, r.amount]), [[0, '10000'], [1, '5000000000']]);
  assert.equal(signed(await x402.createPaymentPayload(document, view.requirements[0], wallet)), '10000');
  assert.equal(signed(await x402.createPaymentPayload(view, view.requirements[0], wallet)), '10000');
  assert.equal(signed(await x402.createPaymentPayload(document, view.requirements[1], wallet)), '5000000000');
});

test('selection: a view whose shown terms are not its entry\'s designates nothing', async () => {
  const document = { x402Version: 2, accepts: [{ ...base, amount: '10000' }, { ...base, amount: '5000000000' }] };
  const view = x402.recognizePaymentRequired(402, header(document), '');
  const wallet = x402.evmPrivateKeyWallet(TEST_KEY);
  // Index 1 dressed in index 0's terms: what the caller reads is not what index 1 costs.
  const dressed = { ...view.requirements[0], index: 1 };
  await assert.rejects(x402.createPaymentPayload(document, dressed, wallet), { code: 'REQUIREMENT_NOT_OFFERED' });
  const { payTo, ...unnamed } = view.requirements[0];
  assert.ok(payTo);
  await assert.rejects(x402.createPaymentPayload(document, unnamed, wallet), { code: 'REQUIREMENT_NOT_OFFERED' });
  await assert.rejects(x402.createPaymentPayload(document, { ...document.accepts[0], amount: '1' }, wallet), { code: 'REQUIREMENT_NOT_OFFERED' });
});

test('selection: an index means the same entry in a recognised challenge as in the document, a rejected entry before it', async () => {
  const document = { x402Version: 2, resource: { url: 'http://api.test/x' }, accepts: [
    { ...base, amount: 'not-a-number' }, { ...base, amount: '10000' }, { ...base, amount: '5000000000' },
  ] };
  const view = x402.recognizePaymentRequired(402, header(document), '');
  assert.deepEqual(view.rejected.map((r) => r.index), [0]);
  const chosen = view.requirements[0];
  assert.deepEqual([chosen.index, chosen.amount], [1, '10000']);
  const wallet = x402.evmPrivateKeyWallet(TEST_KEY);
  assert.equal(signed(await x402.createPaymentPayload(document, chosen.index, wallet)), '10000');
  assert.equal(signed(await x402.createPaymentPayload(view, chosen.index, wallet)), '10000');
  assert.equal(signed(await x402.createPaymentPayload(view, chosen, wallet)), '10000');
  assert.equal(signed(await x402.createPaymentPayload(view, 2, wallet)), '5000000000');
  await assert.rejects(x402.createPaymentPayload(view, 0, wallet), { code: 'REQUIREMENT_NOT_OFFERED' });
  // A view whose indexes are out of any challenge's range is refused, not allocated.
  const far = { ...view, requirements: [{ ...chosen, index: 2 ** 40 }] };
  await assert.rejects(x402.createPaymentPayload(far, 0, wallet), { code: 'INVALID_ARGUMENT' });
});

test('key handles: an object naming a key wallet\'s handle without holding the wallet signs nothing with its key', async () => {
  const hidden = x402.evmPrivateKeyWallet(TEST_KEY);
  const document = { x402Version: 2, accepts: [{ ...base, amount: '1000000', payTo: '0x000000000000000000000000000000000000dEaD' }] };
  for (const id of [1, 2, 3, 4, 5, 6, 7, 8, '1', '00000000000000000000000000000001']) {
    let asked = 0;
    const forged = {
      kind: 'evm', __x402KeyId: id, address: '0x0000000000000000000000000000000000000001',
      async signTypedData() { asked += 1; throw new Error('no key here'); },
    };
    await assert.rejects(x402.createPaymentPayload(document, 0, forged), (e) => e instanceof x402.X402Error, `handle ${id}`);
    assert.equal(asked, 1, `handle ${id}: the forged wallet's own method was not the one used`);
  }
  // Adapters that copy the wallet's members, its real handle included, or forward them from a class
  // of their own: their own signTypedData is the one used.
  let asked = 0;
  const confirm = async () => { asked += 1; throw new Error('no key here'); };
  const copied = { kind: 'evm', address: hidden.address, __x402KeyId: hidden.__x402KeyId, signTypedData: confirm };
  class Forwarding {
    get __x402KeyId() { return hidden.__x402KeyId; }
    get address() { return hidden.address; }
    signTypedData() { return confirm(); }
  }
  for (const adapter of [copied, new Forwarding()]) {
    await assert.rejects(x402.createPaymentPayload(document, 0, adapter), (e) => e instanceof x402.X402Error);
  }
  assert.equal(asked, 2, 'an adapter carrying the real handle was skipped');
  // The wallet itself, and an object inheriting from it unchanged, sign with the key in place.
  const own = await x402.createPaymentPayload(document, 0, hidden);
  assert.equal(own.payload.authorization.from, hidden.address);
  const derived = await x402.createPaymentPayload(document, 0, Object.create(hidden));
  assert.equal(derived.payload.authorization.from, hidden.address);
});

test('key handles: an adapter on a key wallet with its own signTypedData (a confirmation step) is asked, and its refusal stops the payment', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const key = x402.evmPrivateKeyWallet(TEST_KEY);
  let asked = 0;
  let allow = false;
  const confirming = Object.create(key, {
    signTypedData: {
      async value(typedData, options) {
        asked += 1;
        if (!allow) throw Object.assign(new Error('the user said no'), { code: 4001 });
        return key.signTypedData(typedData, options);
      },
    },
  });
  const paying = x402.wrapFetch(fetch, { wallets: [confirming] });
  await assert.rejects(paying(server.url('/paid')), (e) => e instanceof x402.X402Error && /the user said no/.test(e.message));
  assert.deepEqual([asked, server.payments.length], [1, 0]);
  allow = true;
  const response = await paying(server.url('/paid'));
  assert.equal(response.status, 200);
  assert.deepEqual([asked, server.payments.length], [2, 1]);
  assert.equal(server.payments[0].payload.payload.authorization.from, key.address);
});

test('callbacks: onPaymentRequired, onEvent and policy.select that are not functions are INVALID_ARGUMENT, never "none"', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  let signatures = 0;
  const key = x402.evmPrivateKeyWallet(TEST_KEY);
  const wallet = { kind: 'evm', address: key.address, signTypedData: (d, o) => { signatures += 1; return key.signTypedData(d, o); } };
  for (const wrong of [false, true, 'yes', 0, { approve() { return true; } }]) {
    const label = JSON.stringify(wrong);
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: wrong }), { code: 'INVALID_ARGUMENT' }, label);
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [wallet], onEvent: wrong }), { code: 'INVALID_ARGUMENT' }, label);
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [wallet], policy: { select: wrong } }), { code: 'INVALID_ARGUMENT' }, label);
    const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
    await assert.rejects(paying(server.url('/paid'), {}, { onPaymentRequired: wrong }), { code: 'INVALID_ARGUMENT' }, label);
  }
  assert.deepEqual([signatures, server.payments.length], [0, 0]);
  // undefined and null are "none": the payment goes ahead.
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: null, onEvent: undefined });
  assert.equal((await paying(server.url('/paid'), {}, { onPaymentRequired: undefined })).status, 200);
  assert.deepEqual([signatures, server.payments.length], [1, 1]);
});

test('networks: a wallet that names its networks (a smart account) is chosen only on them; other wallets and entries are', async (t) => {
  const server = await serverFor(t, { routes: { '/sepolia': { accepts: [usdc()] }, '/both': { accepts: [usdc(), baseUsdc()] } } });
  const key = x402.evmPrivateKeyWallet(TEST_KEY);
  const asked = [];
  const counting = (name, extra) => ({
    kind: 'evm', address: key.address, ...extra,
    signTypedData: (d, o) => { asked.push([name, d.domain.chainId]); return key.signTypedData(d, o); },
  });
  const bound = counting('bound', { networks: ['eip155:8453'] });
  // Alone, it pays nothing on Base Sepolia, and is not asked.
  await assert.rejects(x402.wrapFetch(fetch, { wallets: [bound] })(server.url('/sepolia')), { code: 'NO_MATCHING_REQUIREMENT' });
  assert.deepEqual(asked, []);
  // Offered both chains (Sepolia first), it pays on its own.
  assert.equal((await x402.wrapFetch(fetch, { wallets: [bound] })(server.url('/both'))).status, 200);
  assert.deepEqual(asked, [['bound', 8453]]);
  // Behind it, a wallet for every chain takes Sepolia's payment.
  const paying = x402.wrapFetch(fetch, { wallets: [bound, counting('any')] });
  assert.equal((await paying(server.url('/sepolia'))).status, 200);
  assert.deepEqual(asked.at(-1), ['any', 84532]);
  assert.equal(server.payments.length, 2);
  // networks is a list of networks (CAIP-2 or v1 names, as policy.prefer takes them), or absent.
  for (const wrong of ['eip155:8453', [8453], {}, true, ['eip155:84532 '], ['base sepolia']]) {
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [counting('wrong', { networks: wrong })] }), { code: 'INVALID_ARGUMENT' }, JSON.stringify(wrong));
  }
  x402.wrapFetch(fetch, { wallets: [counting('absent', { networks: null })] });
  const v1Named = x402.wrapFetch(fetch, { wallets: [counting('v1 name', { networks: ['base-sepolia'] })] });
  assert.equal((await v1Named(server.url('/sepolia'))).status, 200);
  assert.deepEqual(asked.at(-1), ['v1 name', 84532]);
});

test('misspelt: a per-call hook or a policy function not in the API is refused, never dropped; so is a wallet without an address', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  let signatures = 0;
  const key = x402.evmPrivateKeyWallet(TEST_KEY);
  const wallet = { kind: 'evm', address: key.address, signTypedData: (d, o) => { signatures += 1; return key.signTypedData(d, o); } };
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: () => false });
  // Held in a variable, a typo escapes TypeScript's excess-property check: the runtime refuses it.
  const hooks = { onPaymentRequried: () => true };
  await assert.rejects(paying(server.url('/paid'), {}, hooks), (e) => e.code === 'INVALID_ARGUMENT' && /onPaymentRequried/.test(e.message));
  const policy = { selct: (requirements) => requirements[0] };
  assert.throws(() => x402.wrapFetch(fetch, { wallets: [wallet], policy }), (e) => e.code === 'INVALID_POLICY' && /selct/.test(e.message));
  assert.deepEqual([signatures, server.payments.length], [0, 0]);
  // Refused when the paying fetch is made, not after the user approved a payment it cannot sign.
  for (const nameless of [{ kind: 'evm', signTypedData: wallet.signTypedData }, { kind: 'solana', signTransaction: async (b) => b }]) {
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [nameless] }), (e) => e.code === 'INVALID_ARGUMENT' && /address/.test(e.message));
  }
  // The API's own members still work; so do hooks with state of their own (a class instance), and
  // holes in the wallet list (`[evm, connected ? sol : null]`) are skipped as before.
  const ok = x402.wrapFetch(fetch, { wallets: [null, wallet, undefined], policy: { select: (r) => r[0] } });
  assert.equal((await ok(server.url('/paid'), {}, { onPaymentRequired: () => true, onEvent: () => {} })).status, 200);
  class Logger {
    seen = [];
    onEvent(event) { this.seen.push(event.type); }
  }
  const logger = new Logger();
  logger.onEvent = logger.onEvent.bind(logger);
  assert.equal((await ok(server.url('/paid'), {}, logger)).status, 200);
  assert.deepEqual(logger.seen, ['payment_required', 'approved', 'signed', 'settled']);
  assert.deepEqual([signatures, server.payments.length], [2, 2]);
});

test('policy.select that fails or picks what it was not given: the call rejects with a failed event (spent false), nothing signed', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const key = x402.evmPrivateKeyWallet(TEST_KEY);
  for (const [select, check] of [
    [() => 42, (e) => e.code === 'INVALID_ARGUMENT'],
    [() => { throw new Error('selector broke'); }, (e) => e.message === 'selector broke'],
    [async () => { throw new Error('async selector broke'); }, (e) => e.message === 'async selector broke'],
  ]) {
    const events = [];
    const paying = x402.wrapFetch(fetch, { wallets: [key], policy: { select }, onEvent: (e) => events.push(e) });
    await assert.rejects(paying(server.url('/paid')), check);
    assert.deepEqual(events.map((e) => e.type), ['payment_required', 'failed']);
    assert.equal(events[1].spent, false);
    assert.equal(typeof events[1].message, 'string');
  }
  assert.equal(server.payments.length, 0);
});
