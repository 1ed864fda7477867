// The exports' arguments and what they hand back, found by an adversarial review (2026-11-22):
// - a string argument given something else is an INVALID_ARGUMENT X402Error; before, the generated
//   glue passed a number as a string of garbage length, the allocator trapped, and a few thousand
//   such calls mixed with good ones ended the Node process (SIGSEGV);
// - numbers out of range (decimals, a status) are refused instead of wrapped around;
// - decodePaymentResponse keeps what an official server's settlement carries (errorMessage...);
// - the v1 network names are the official SDK's (`@x402/evm/v1`);
// - integers past 2^53 in a server's 402 are read as JSON.parse reads them in a view and an event,
//   and the payment (signed in wasm) still echoes them exactly;
// - a 402 body that grows past the limit only as text (bytes that are not UTF-8) comes back untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVM_NETWORK_CHAIN_ID_MAP } from '@x402/evm/v1';
import { encodePaymentResponseHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { pathToFileURL } from 'node:url';
import { resolveFromProject } from '../lib/pkg.mjs';
import { loadX402 } from '../lib/x402.mjs';
import { paymentRequiredHeaders, usdc, countingWallet } from '../lib/paid-server.mjs';

const x402 = await loadX402();
const coded = (code) => (e) => e instanceof x402.X402Error && e.code === code;

test('string arguments given a number, bigint, null, undefined or object are INVALID_ARGUMENT, and the module keeps working', () => {
  const calls = {
    parseAmount: (v) => x402.parseAmount(v),
    parsePrice: (v) => x402.parsePrice(v, 6),
    formatUnits: (v) => x402.formatUnits(v, 6),
    toCaip2: (v) => x402.toCaip2(v),
    toV1Network: (v) => x402.toV1Network(v),
    decodeHeader: (v) => x402.decodeHeader(v, 'SettlementResponse'),
    'decodeHeader document': (v) => x402.decodeHeader('e30=', v),
    decodePaymentResponse: (v) => x402.decodePaymentResponse(v),
    evmPrivateKeyWallet: (v) => x402.evmPrivateKeyWallet(v),
    recoverTypedDataAddress: (v) => x402.recoverTypedDataAddress({ domain: {}, types: { EIP712Domain: [] }, primaryType: 'EIP712Domain', message: {} }, v),
  };
  for (const [name, call] of Object.entries(calls)) {
    for (const wrong of [10000, 10000n, null, undefined, {}, ['1']]) {
      assert.throws(() => call(wrong), coded('INVALID_ARGUMENT'), `${name}(${typeof wrong})`);
    }
  }
  // What ended the process: bad calls mixed with good ones, thousands of times.
  for (let i = 0; i < 4000; i += 1) {
    assert.throws(() => x402.parseAmount(i), coded('INVALID_ARGUMENT'));
    assert.equal(x402.parseAmount(String(i)), String(i));
    assert.equal(x402.toCaip2(`eip155:${i + 1}`), `eip155:${i + 1}`);
  }
  assert.equal(x402.formatUnits('10000', 6), '0.01');
});

test('numbers out of range are refused, not wrapped around', () => {
  for (const decimals of [256, 262, -1, 1.5, NaN, '6', 6n]) {
    assert.throws(() => x402.parsePrice('1', decimals), coded('INVALID_ARGUMENT'), `parsePrice decimals ${String(decimals)}`);
    assert.throws(() => x402.formatUnits('10000', decimals), coded('INVALID_ARGUMENT'), `formatUnits decimals ${String(decimals)}`);
  }
  assert.equal(x402.parsePrice('1', 70).amount, `1${'0'.repeat(70)}`);
  assert.equal(x402.parsePrice('$1', 0).amount, '1');
  const document = { x402Version: 2, accepts: [usdc()] };
  const headers = paymentRequiredHeaders(document);
  for (const status of [402 + 65536, -402, 402.5, '402']) {
    assert.throws(() => x402.recognizePaymentRequired(status, headers, ''), coded('INVALID_ARGUMENT'), `status ${status}`);
  }
  assert.throws(() => x402.recognizePaymentRequired(200, headers, ''), coded('NOT_402'));
  assert.equal(x402.recognizePaymentRequired(402, headers, '').requirements.length, 1);
});

test('decodePaymentResponse keeps every member of an official server\'s settlement (errorMessage, extra...)', () => {
  const failure = { success: false, errorReason: 'insufficient_funds', errorMessage: 'balance 0 < 10000', payer: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
    transaction: '', network: 'eip155:84532', extra: { attempt: 2 } };
  const header = encodePaymentResponseHeader(failure);
  assert.deepEqual(x402.decodePaymentResponse(header), decodePaymentResponseHeader(header));
  assert.deepEqual(x402.decodePaymentResponse(header), failure);
  // A member nobody has named yet is kept too.
  const later = Buffer.from(JSON.stringify({ ...failure, settledAt: { block: 7 } })).toString('base64');
  assert.deepEqual(x402.decodePaymentResponse(later).settledAt, { block: 7 });
  // Read as JSON.parse reads it, an integer past 2^53 in such a member included.
  const big = Buffer.from(JSON.stringify(failure).replace('"attempt":2', '"attempt":9007199254740993')).toString('base64');
  assert.equal(x402.decodePaymentResponse(big).extra.attempt, JSON.parse('9007199254740993'));
  // decodeHeader hands back what may be passed on (a 402 to pay, a payload to forward): exact, so
  // such an integer is refused, as the document's own error (it was INVALID_ARGUMENT, as if the
  // caller had passed a wrong type).
  assert.throws(() => x402.decodeHeader(big, 'SettlementResponse'), (e) => e.code === 'INVALID_SETTLEMENT_RESPONSE' && /9007199254740993 can't be represented exactly/.test(e.message));
  const required = { x402Version: 2, resource: { url: 'http://api.test/x' }, accepts: [usdc()], extensions: { n: 1 } };
  const bigRequired = Buffer.from(JSON.stringify(required).replace('"n":1', '"n":9007199254740993')).toString('base64');
  assert.throws(() => x402.decodeHeader(bigRequired, 'PaymentRequired'), (e) => e.code === 'INVALID_402' && /9007199254740993/.test(e.message));
  // However large: from 2^64 the JSON parser holds an integer as a float, which the check of the
  // rewritten text missed (2^64 came back as 18446744073709552000).
  for (const n of ['18446744073709551616', '100000000000000000000000', '-18446744073709551617']) {
    const huge = Buffer.from(JSON.stringify(required).replace('"n":1', `"n":${n}`)).toString('base64');
    assert.throws(() => x402.decodeHeader(huge, 'PaymentRequired'), (e) => e.code === 'INVALID_402' && e.message.includes(n), n);
  }
  assert.equal(x402.decodeHeader(Buffer.from(JSON.stringify(required)).toString('base64'), 'PaymentRequired').extensions.n, 1);
});

test('the v1 network names are the official SDK\'s, both ways', () => {
  const names = Object.entries(EVM_NETWORK_CHAIN_ID_MAP);
  assert.ok(names.length >= 20, `${names.length} names`);
  for (const [name, chainId] of names) {
    assert.equal(x402.toCaip2(name), `eip155:${chainId}`, name);
    assert.equal(x402.toV1Network(`eip155:${chainId}`), name, name);
  }
});

test('integers past 2^53 in a 402: the view and the events read them as JSON.parse does; the payment echoes them exactly', async () => {
  const big = '18446744073709551615';
  const requirement = usdc({ extra: { name: 'USDC', version: '2', hint: 1 } });
  const text = JSON.stringify({ x402Version: 2, resource: { url: 'http://api.test/x' }, accepts: [requirement] }).replace('"hint":1', `"hint":${big}`);
  const headers = { 'PAYMENT-REQUIRED': Buffer.from(text).toString('base64') };
  const view = x402.recognizePaymentRequired(402, headers, '');
  assert.equal(view.requirements[0].extra.hint, JSON.parse(big));
  assert.equal(view.requirements[0].amount, requirement.amount);
  let sent;
  const fetch402 = async (request) => {
    const payment = request.headers.get('payment-signature');
    if (payment === null) return new Response('{}', { status: 402, headers });
    sent = Buffer.from(payment, 'base64').toString();
    return new Response('{"ok":true}', { status: 200 });
  };
  for (const options of [{}, { onPaymentRequired: () => true }, { policy: { select: (requirements) => requirements[0].index } }]) {
    const events = [];
    const { wallet, calls } = countingWallet(x402);
    const paying = x402.wrapFetch(fetch402, { wallets: [wallet], onEvent: (e) => events.push(e), ...options });
    const response = await paying('http://api.test/x');
    assert.equal(response.status, 200, Object.keys(options).join());
    assert.equal(calls.signTypedData.length, 1);
    assert.deepEqual(events.map((e) => e.type).slice(0, 2), ['payment_required', 'approved']);
    assert.ok(events.some((e) => e.type === 'signed'));
    assert.equal(events[0].requirements[0].extra.hint, JSON.parse(big));
    assert.equal(events[1].requirement.extra.hint, JSON.parse(big));
    assert.ok(sent.includes(`"hint":${big}`), 'the accepted echo changed the integer');
  }
});

test('a 402 body that grows past the limit only as text (100 KB that is not UTF-8) is returned untouched', async () => {
  const bytes = Buffer.alloc(100_000, 0xe9);
  const fetch402 = async () => new Response(bytes, { status: 402, headers: { 'content-type': 'text/plain; charset=latin1' } });
  const { wallet, calls } = countingWallet(x402);
  const response = await x402.wrapFetch(fetch402, { wallets: [wallet] })('http://api.test/latin1');
  assert.equal(response.status, 402);
  assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
  assert.equal(calls.signTypedData.length, 0);
  // So is one that is really past the limit.
  const over = Buffer.alloc(300_000, 0xe9);
  const response2 = await x402.wrapFetch(async () => new Response(over, { status: 402 }), { wallets: [wallet] })('http://api.test/y');
  assert.equal(response2.status, 402);
  assert.equal((await response2.arrayBuffer()).byteLength, over.length);
  assert.equal(calls.signTypedData.length, 0);
});

test('a misspelt wrapFetch option is refused, not dropped: an approval hook or a cap cannot vanish in silence', async () => {
  const wallet = countingWallet(x402);
  for (const [options, named] of [
    [{ wallets: [wallet], onPaymentRequried: () => false }, /onPaymentRequried \(did you mean onPaymentRequired\?\)/],
    [{ wallets: [wallet], polciy: { maxPerPayment: '0.01' } }, /polciy \(did you mean policy\?\)/],
    [{ wallets: [wallet], onpaymentrequired: () => false }, /did you mean onPaymentRequired\?/],
    [{ wallets: [wallet], budget: { total: '1' } }, /unknown option budget; the options are wallets, policy/],
  ]) {
    assert.throws(() => x402.wrapFetch(fetch, options), (e) => coded('INVALID_ARGUMENT')(e) && named.test(e.message), JSON.stringify(Object.keys(options)));
  }
  assert.deepEqual([wallet.calls.signTypedData.length, wallet.calls.getAddress], [0, 0]);
  // Every documented option is taken.
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet], policy: {}, onPaymentRequired: () => false, onEvent: () => {}, rpc: {}, rpcTimeout: 1000,
    facilitators: [], transactionTimeout: 1000,
  });
  assert.equal(typeof x402.wrapFetch(fetch, { wallets: [wallet], shareBudgetWith: paying }), 'function');
});

// A second review (2026-11-23) of the package layer.
test('wrapFetch given no fetch function, and paymentRequired given no config or routes, are INVALID_ARGUMENT when made', async () => {
  for (const fetch of [null, undefined, {}, 'https://example.test']) {
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [] }), coded('INVALID_ARGUMENT'), String(fetch));
  }
  const worker = await import(pathToFileURL(resolveFromProject('x402-wasm/worker')));
  for (const config of [undefined, null, {}, { facilitator: 'https://f.test' }, { routes: null, facilitator: 'https://f.test' }]) {
    assert.throws(() => worker.paymentRequired(config), coded('INVALID_ARGUMENT'), JSON.stringify(config));
  }
});

test("a key wallet's methods typed as returning a Promise reject (not throw) on bad input and once freed", async () => {
  const evm = x402.evmPrivateKeyWallet(`0x${'11'.repeat(32)}`);
  const sol = x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(7));
  const rejects = async (call, code, what) => {
    let promise;
    assert.doesNotThrow(() => { promise = call(); }, what);
    assert.ok(promise instanceof Promise, what);
    await assert.rejects(promise, coded(code), what);
  };
  await rejects(() => evm.signTypedData({}), 'INVALID_TYPED_DATA', 'evm signTypedData({})');
  await rejects(() => sol.signTransaction(new Uint8Array([1, 2, 3])), 'INVALID_TRANSACTION', 'solana signTransaction(garbage)');
  // Not bytes at all: said so (an object read as a length of infinity was "larger than a packet").
  for (const [value, got] of [[{}, 'object'], [null, 'null'], ['AQID', 'string'], [[1, 2, 3], 'object'], [new DataView(new ArrayBuffer(10)), 'object'], [new Int16Array(10), 'object']]) {
    await assert.rejects(sol.signTransaction(value), (e) => e.code === 'INVALID_ARGUMENT' && e.message === `expected a Uint8Array, got ${got}`, JSON.stringify(value));
  }
  evm.free();
  sol.free();
  await rejects(() => evm.signTypedData({}), 'USED_AFTER_FREE', 'evm after free');
  await rejects(() => evm.sendTransaction({}, { rpcUrl: 'http://127.0.0.1:1' }), 'USED_AFTER_FREE', 'evm sendTransaction after free');
  await rejects(() => sol.signTransaction(new Uint8Array(3)), 'USED_AFTER_FREE', 'solana after free');
});
