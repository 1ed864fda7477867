// Values crossing between JS and the wasm core. Out of the core: JSON a server wrote (a 402's
// requirements, a receipt) reaches the caller as plain data, so a member named "__proto__" stays
// a member and never becomes the prototype of the object the caller gets. Into the core: the
// caller's values are read as data (BigInts, byte arrays, integers and fractions kept exact,
// `toJSON` not called) and bounded, with INVALID_ARGUMENT for what is not data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashTypedData as viemHashTypedData } from 'viem';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor, usdc, countingWallet, TEST_KEY } from '../lib/paid-server.mjs';

const x402 = await loadX402();

/** USDC's extra with an own "__proto__" member, as JSON.parse makes it from a server's text. */
const hostileExtra = () => JSON.parse('{"name":"USDC","version":"2","__proto__":{"polluted":true}}');

function assertPlainData(extra, where) {
  assert.equal(Object.getPrototypeOf(extra), Object.prototype, `${where}: the prototype was replaced`);
  assert.equal(extra.polluted, undefined, `${where}: a server's member became inherited`);
  assert.ok(Object.hasOwn(extra, '__proto__'), `${where}: the member was dropped`);
  assert.deepEqual(JSON.parse(JSON.stringify(extra)), JSON.parse(JSON.stringify(hostileExtra())), where);
}

const paymentRequired = (extra) => ({
  x402Version: 2,
  resource: { url: 'https://api.example/paid' },
  accepts: [usdc({ extra })],
});

test('json boundary: "__proto__" in a decoded 402 stays an own member', () => {
  const text = JSON.stringify(paymentRequired(hostileExtra()));
  assert.ok(text.includes('"__proto__"'));
  const decoded = x402.decodeHeader(Buffer.from(text).toString('base64'), 'PaymentRequired');
  assertPlainData(decoded.accepts[0].extra, 'decodeHeader');
});

test('json boundary: "__proto__" in a requirement stays an own member of the payload and of the approval question', async (t) => {
  const wallet = x402.evmPrivateKeyWallet(TEST_KEY);
  const payload = await x402.createPaymentPayload(paymentRequired(hostileExtra()), 0, wallet, { now: 1_700_000_000 });
  assertPlainData(payload.accepted.extra, 'createPaymentPayload');

  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc({ extra: hostileExtra() })] } } });
  const asked = [];
  const paying = x402.wrapFetch(fetch, {
    wallets: [countingWallet(x402).wallet],
    onPaymentRequired: (question) => {
      asked.push(question);
      return false;
    },
  });
  await assert.rejects(paying(server.url('/paid')), { code: 'PAYMENT_REJECTED' });
  assert.equal(asked.length, 1);
  assertPlainData(asked[0].requirement.raw.extra, 'onPaymentRequired');
});

test('json boundary: numbers a server wrote come back as the same numbers, to the last bit', async () => {
  // 17 significant digits are where a decimal parser that is not exact rounds to the wrong double.
  const doubles = [28.274333882308138, 95952622035.21617, 5e-324, 1.7976931348623157e308, -0.30000000000000004];
  // A seeded generator (mulberry32): the same 200 doubles each run, so a failure can be replayed.
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < 200; i += 1) doubles.push((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20));
  const extra = { name: 'USDC', version: '2', fraction: 0.1, tiny: 1e-7, big: 2 ** 60, negative: -42, doubles };
  const wallet = x402.evmPrivateKeyWallet(TEST_KEY);
  const payload = await x402.createPaymentPayload(paymentRequired(extra), 0, wallet, { now: 1_700_000_000 });
  assert.deepEqual(payload.accepted.extra, extra);
  assert.ok(payload.accepted.extra.doubles.every((d, i) => Object.is(d, doubles[i])));
});

test('json boundary: an integer JS cannot hold exactly is refused, not rounded', () => {
  const text = JSON.stringify(paymentRequired({ name: 'USDC', version: '2' }))
    .replace('"version":"2"', '"version":"2","big":12345678901234567890');
  assert.throws(() => x402.decodeHeader(Buffer.from(text).toString('base64'), 'PaymentRequired'), (error) => {
    // The header's own document is at fault, not the caller's argument: its code, INVALID_402.
    assert.equal(error.code, 'INVALID_402');
    assert.match(error.message, /12345678901234567890/);
    return true;
  });
});

const mail = (message, types = [{ name: 'contents', type: 'string' }]) => ({
  domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
  types: { Mail: types },
  primaryType: 'Mail',
  message,
});

test('json boundary: BigInts, byte arrays and unread members of typed data hash as viem hashes them', () => {
  const types = [{ name: 'value', type: 'uint256' }, { name: 'data', type: 'bytes' }, { name: 'contents', type: 'string' }];
  const typed = mail({ value: 2n ** 255n + 1n, data: new Uint8Array([0, 1, 254, 255]), contents: 'hé\u0000"' }, types);
  const expected = viemHashTypedData(typed);
  assert.equal(x402.hashTypedData(typed), expected);
  // A member that is undefined or a function is left out; an object's toJSON is not called
  // (a Date member is an empty object, not its ISO string); neither changes the hash here.
  const extras = { ...typed, message: { ...typed.message, skipped: undefined, fn() {}, when: new Date(0) } };
  assert.equal(x402.hashTypedData(extras), expected);
  // A lone surrogate is read as U+FFFD, as TextEncoder (and so viem) reads it.
  const lone = mail({ contents: 'a\uD800b' });
  assert.equal(x402.hashTypedData(lone), viemHashTypedData(lone));
  const lying = { ...typed, message: { ...typed.message, data: { toJSON: () => '0xdead', 0: 1 } } };
  assert.throws(() => x402.hashTypedData(lying), { code: 'INVALID_TYPED_DATA' });
});

test('json boundary: what is not data is INVALID_ARGUMENT', () => {
  let deep = {};
  for (let i = 0; i < 70; i += 1) deep = { deep };
  const cases = {
    NaN: mail({ contents: NaN }),
    Infinity: mail({ contents: -Infinity }),
    'a function in an array': mail({ contents: 'x', list: [() => 1] }),
    'a symbol member': mail({ contents: Symbol('x') }),
    'nesting past 64 levels': mail(deep),
    'over 4 MiB of text': mail({ contents: 'x'.repeat((4 << 20) + 1) }),
    'a Uint8Array over 1 MiB': mail({ contents: 'x', data: new Uint8Array((1 << 20) + 1) }),
    'a getter that throws': mail({ get contents() { throw new Error('hostile'); } }),
  };
  for (const [name, value] of Object.entries(cases)) {
    assert.throws(() => x402.hashTypedData(value), { code: 'INVALID_ARGUMENT' }, name);
  }
  let cause;
  try {
    x402.hashTypedData(cases['a getter that throws']);
  } catch (error) {
    cause = error.cause;
  }
  assert.equal(cause?.message, 'hostile');
});
