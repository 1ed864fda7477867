// Tests for errors.js (run by tests/js; not shipped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X402Error, guard, sendError, toX402Error, walletError } from './errors.js';

test('a coded Error from the core becomes an X402Error keeping code and cause', () => {
  const cause = new Error('inner');
  // What the core throws: an Error named X402Error, with a code.
  const raw = Object.assign(new Error('bad header'), { name: 'X402Error', code: 'INVALID_HEADER', cause });
  const fn = guard(() => { throw raw; });
  assert.throws(fn, (e) => e instanceof X402Error && e.code === 'INVALID_HEADER'
    && e.message === 'bad header' && e.cause === cause && e.name === 'X402Error');
});

test('errors without a code pass through untouched', () => {
  const plain = new TypeError('x');
  assert.equal(toX402Error(plain), plain);
  assert.throws(guard(() => { throw plain; }), (e) => e === plain);
});

test("coded errors that are not the core's (a wrapped fetch's ECONNREFUSED, a callback's) pass through untouched", () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  assert.equal(toX402Error(refused), refused);
  const own = Object.assign(new Error('mine'), { code: 'WALLET_ERROR' }); // not named X402Error
  assert.equal(toX402Error(own), own);
});

test("wasm-bindgen's error for a freed object becomes USED_AFTER_FREE", () => {
  const raw = new Error('null pointer passed to rust');
  assert.throws(guard(() => { throw raw; }), (e) => e instanceof X402Error && e.code === 'USED_AFTER_FREE' && e.cause === raw);
});

test('guard keeps return values and this', () => {
  const obj = { k: 3, f: guard(function (a) { return this.k + a; }) };
  assert.equal(obj.f(4), 7);
});

test('guard converts rejected promises too', async () => {
  const raw = Object.assign(new Error('no'), { name: 'X402Error', code: 'WALLET_ERROR' });
  const fn = guard(async () => { throw raw; });
  await assert.rejects(fn(), (e) => e instanceof X402Error && e.code === 'WALLET_ERROR');
});

test("walletError: WalletConnect's 5000 is USER_REJECTED, 4200 WALLET_UNSUPPORTED; sendError: code 3 is TRANSACTION_FAILED", () => {
  const cause = new Error('x');
  assert.equal(walletError(cause, 'sign', 5000).code, 'USER_REJECTED');
  assert.equal(walletError(cause, 'sign', 4200).code, 'WALLET_UNSUPPORTED');
  assert.equal(walletError(cause, 'sign', 3).code, 'WALLET_ERROR');
  const failed = sendError(cause, 'eth_sendTransaction', 3);
  assert.equal(failed.code, 'TRANSACTION_FAILED');
  assert.equal(failed.cause, cause);
  assert.equal(sendError(cause, 'eth_sendTransaction', 4001).code, 'USER_REJECTED');
});

test('walletError: a request already open in the wallet (-32002) and a disconnected wallet (4900, 4901) say so', () => {
  const pending = walletError(new Error("Request of type 'eth_requestAccounts' already pending"), 'eth_requestAccounts', -32002);
  assert.equal(pending.code, 'WALLET_ERROR');
  assert.match(pending.message, /already has a request from this site open; finish or dismiss it/);
  assert.match(pending.message, /already pending/, 'the wallet\'s own words are kept');
  assert.match(walletError(new Error('x'), 'sign', 4900).message, /disconnected from every chain/);
  assert.match(walletError(new Error('x'), 'sign', 4901).message, /disconnected from this chain/);
  assert.doesNotMatch(walletError(new Error('x'), 'sign', -32603).message, /disconnected|already has/);
});
