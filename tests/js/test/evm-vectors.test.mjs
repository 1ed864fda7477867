// The wasm package, called from JS, reproduces the EVM vectors made by viem and the
// official @x402/evm client (tests/vectors/evm_exact.json): digests, and payloads
// signed with a wasm-held key, with a viem account, and with a raw JSON-RPC style wallet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { vectors } from '../lib/pkg.mjs';
import { loadX402 } from '../lib/x402.mjs';
import { paymentRequiredHeaders } from '../lib/paid-server.mjs';

const x402 = await loadX402();
const { cases, eip2612 } = vectors('evm_exact.json');

/**
 * Both sides without the gas-sponsoring extensions' info: the cases whose official payload carries a
 * permit or a signed approval read the chain from stubs (allowance, nonces, transaction count, fees),
 * which these calls have no RPC for (those payloads are compared whole in tests/evm_vectors.rs, and
 * signed against a real chain in permit2-sponsoring.test.mjs).
 */
function comparable(payload) {
  const copy = structuredClone(payload);
  for (const key of ['eip2612GasSponsoring', 'erc20ApprovalGasSponsoring']) {
    if (copy.extensions?.[key]) delete copy.extensions[key].info;
  }
  return copy;
}

test('typed-data digests equal viem hashTypedData; signers recover', () => {
  for (const c of [...cases, ...eip2612]) {
    assert.equal(x402.hashTypedData(c.typedData), c.digest, c.name);
    assert.equal(x402.recoverTypedDataAddress(c.typedData, c.signature), c.address, c.name);
  }
});

test('payloads from a wasm-held key equal the official client, field for field', async () => {
  for (const c of cases) {
    const wallet = x402.evmPrivateKeyWallet(c.privateKey);
    assert.equal(wallet.address, c.address);
    const payload = await x402.createPaymentPayload(c.paymentRequired, c.acceptedIndex, wallet, {
      now: c.now, nonce: c.nonceBytes, validAfter: 0,
    });
    // Where the server declares payment-identifier, ours adds a random id (the official client adds
    // one only through its hook, appendPaymentIdentifierToExtensions); everything else is equal.
    const identifier = payload.extensions?.['payment-identifier'];
    if (c.paymentRequired.extensions?.['payment-identifier']) {
      assert.match(identifier.info.id, /^pay_[0-9a-f]{32}$/, c.name);
      delete identifier.info.id;
    } else {
      assert.equal(identifier, undefined, c.name);
    }
    assert.deepEqual(comparable(payload), comparable(c.payload), c.name);
    assert.equal(x402.verifyPayment(payload, c.paymentRequired.accepts[c.acceptedIndex], { now: c.now, minValidity: 0 }).isValid, true, c.name);
    wallet.free();
  }
});

test('verifyPayment: a valid payload under an x402 version other than 1 and 2 (or none) is invalid_x402_version', async () => {
  const c = cases[0];
  const wallet = x402.evmPrivateKeyWallet(c.privateKey);
  const payload = await x402.createPaymentPayload(c.paymentRequired, c.acceptedIndex, wallet, { now: c.now, nonce: c.nonceBytes, validAfter: 0 });
  wallet.free();
  const requirement = c.paymentRequired.accepts[c.acceptedIndex];
  const verdict = (p) => x402.verifyPayment(p, requirement, { now: c.now, minValidity: 0 });
  assert.equal(verdict(payload).isValid, true);
  const { x402Version, ...unversioned } = payload;
  assert.equal(x402Version, 2);
  for (const p of [{ ...payload, x402Version: 3 }, { ...payload, x402Version: 0 }, { ...payload, x402Version: '2' }, unversioned]) {
    assert.deepEqual(verdict(p), { isValid: false, invalidReason: 'invalid_x402_version' }, JSON.stringify(p.x402Version));
  }
  // Nor does decodeHeader take such a document (the header as a server would receive it).
  for (const version of [0, 3, 255]) {
    assert.throws(() => x402.decodeHeader(x402.encodeHeader({ ...payload, x402Version: version }), 'PaymentPayload'),
      (e) => e.code === 'UNSUPPORTED_VERSION' && e.message.includes(String(version)));
    assert.throws(() => x402.decodeHeader(x402.encodeHeader({ ...c.paymentRequired, x402Version: version }), 'PaymentRequired'),
      (e) => e.code === 'UNSUPPORTED_VERSION');
  }
  // A later version is named as such whatever its shape (a v1-shaped or odd document too).
  const { accepted, ...v1Shaped } = payload;
  for (const [document, doc] of [['PaymentPayload', { ...v1Shaped, scheme: 'exact', network: 'base', x402Version: 3 }],
    ['PaymentRequired', { x402Version: 3, accepts: 'x' }]]) {
    assert.throws(() => x402.decodeHeader(x402.encodeHeader(doc), document), (e) => e.code === 'UNSUPPORTED_VERSION', document);
  }
  assert.ok(accepted);
  assert.equal(x402.decodeHeader(x402.encodePaymentHeader(payload), 'PaymentPayload').x402Version, 2);
});

test('hashTypedData refuses a mixed-case address with a wrong EIP-55 checksum, as viem does; lower case is taken', async () => {
  const { hashTypedData } = await import('viem');
  const typed = (to) => ({
    domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
    types: { Mail: [{ name: 'to', type: 'address' }] },
    primaryType: 'Mail',
    message: { to },
  });
  const good = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';
  const wrong = '0x209693bC6afc0C5328bA36FaF03C514EF312287C';
  assert.equal(x402.hashTypedData(typed(good)), hashTypedData(typed(good)));
  assert.equal(x402.hashTypedData(typed(good.toLowerCase())), hashTypedData(typed(good.toLowerCase())));
  assert.throws(() => hashTypedData(typed(wrong)), 'viem refuses it too');
  assert.throws(() => x402.hashTypedData(typed(wrong)), (e) => e.code === 'INVALID_ADDRESS' && /checksum/.test(e.message));
});

test('a viem account as the wallet gives the same payloads (BigInt typed data)', async () => {
  for (const c of cases.slice(0, 8)) {
    const account = privateKeyToAccount(c.privateKey);
    const requirement = c.paymentRequired.accepts[c.acceptedIndex];
    const payload = await x402.createPaymentPayload(c.paymentRequired, requirement, account, {
      now: c.now, nonce: c.nonceBytes, validAfter: 0,
    });
    assert.deepEqual(comparable(payload), comparable(c.payload), c.name);
  }
});

test('a wallet that signs with another key is caught before anything is sent', async () => {
  const c = cases[0];
  const other = privateKeyToAccount(cases[1].privateKey);
  const liar = { address: c.address, signTypedData: (td) => other.signTypedData(td) };
  await assert.rejects(
    x402.createPaymentPayload(c.paymentRequired, 0, liar, { now: c.now }),
    (e) => e instanceof x402.X402Error && e.code === 'SIGNER_MISMATCH',
  );
  // The account's code is asked for (chain id given); none, or an error reading it, keeps the
  // refusal, and the message says why the code could not be read.
  const asked = [];
  const getCodes = [
    [async () => '0x', /not as its own address|recovers/],
    [async () => { throw Object.assign(new Error('unsupported'), { code: 4200 }); }, /smart account could not be read: .*unsupported/],
    [async () => 42, /smart account could not be read: getCode must resolve to a hex string/],
  ];
  for (const [getCode, message] of getCodes) {
    const wallet = { ...liar, getCode: (address, context) => { asked.push([address, context]); return getCode(); } };
    await assert.rejects(x402.createPaymentPayload(c.paymentRequired, 0, wallet, { now: c.now }), (e) => e.code === 'SIGNER_MISMATCH' && message.test(e.message));
  }
  const chainId = Number(c.paymentRequired.accepts[0].network.split(':')[1]);
  assert.deepEqual(asked, Array(3).fill([c.address, { chainId }]));
  // Read through `rpc` from a node that is not there: RPC_ERROR (it may work when tried again),
  // naming the mismatch too, with the node's failure as cause.
  const network = c.paymentRequired.accepts[0].network;
  await assert.rejects(
    x402.createPaymentPayload(c.paymentRequired, 0, liar, { now: c.now, rpc: { [network]: 'http://127.0.0.1:9/' } }),
    (e) => e.code === 'RPC_ERROR' && /smart account could not be read/.test(e.message) && e.cause?.code === 'RPC_ERROR',
  );
  // With code (a one-owner Safe, an EIP-7702 account), the signature is sent as the wallet gave it.
  let given;
  const contract = {
    ...liar, signTypedData: async (td) => (given = await other.signTypedData(td)), getCode: async () => '0x6080604052',
  };
  const payload = await x402.createPaymentPayload(c.paymentRequired, 0, contract, { now: c.now });
  assert.equal(given.length, 2 + 65 * 2);
  assert.equal(payload.payload.signature, given);
  assert.equal(payload.payload.authorization.from, c.address);

});

test('wallet failures and bad inputs are coded errors', async () => {
  const c = cases[0];
  const failing = { address: c.address, signTypedData: async () => { throw Object.assign(new Error('wallet crashed'), { code: 'E_CRASH' }); } };
  await assert.rejects(x402.createPaymentPayload(c.paymentRequired, 0, failing),
    (e) => e.code === 'WALLET_ERROR' && e.cause.code === 'E_CRASH' && /wallet error: wallet crashed/.test(e.message));
  const rejecting = { address: c.address, signTypedData: async () => { throw Object.assign(new Error('no'), { code: 'USER_REJECTED' }); } };
  await assert.rejects(x402.createPaymentPayload(c.paymentRequired, 0, rejecting), (e) => e.code === 'USER_REJECTED');
  // An EIP-1193 provider's refusal passed through an adapter of the caller's own: 4001 is the
  // user's refusal, 4100 an account the wallet has not authorised; others are WALLET_ERROR.
  for (const [thrown, code] of [[4001, 'USER_REJECTED'], [4100, 'WALLET_UNAUTHORIZED'], [-32603, 'WALLET_ERROR']]) {
    const raw = { address: c.address, signTypedData: async () => { throw Object.assign(new Error('provider says no'), { code: thrown }); } };
    await assert.rejects(x402.createPaymentPayload(c.paymentRequired, 0, raw), (e) => e.code === code && e.cause?.code === thrown, String(thrown));
  }
  const wallet = x402.evmPrivateKeyWallet(c.privateKey);
  const noDomain = structuredClone(c.paymentRequired);
  delete noDomain.accepts[0].extra;
  await assert.rejects(x402.createPaymentPayload(noDomain, 0, wallet), (e) => e.code === 'MISSING_EIP712_DOMAIN');
  await assert.rejects(x402.createPaymentPayload(c.paymentRequired, { ...c.paymentRequired.accepts[0], amount: '1' }, wallet),
    (e) => e.code === 'REQUIREMENT_NOT_OFFERED');
  assert.throws(() => x402.evmPrivateKeyWallet('0x1234'), (e) => e.code === 'INVALID_PRIVATE_KEY' && !e.message.includes('1234'));
  const secret = 'ff'.repeat(32);
  assert.throws(() => x402.evmPrivateKeyWallet(secret), (e) => e.code === 'INVALID_PRIVATE_KEY' && !e.message.includes(secret));
});

test('default validAfter is ten minutes before now, validBefore now + maxTimeoutSeconds', async () => {
  const c = cases[0];
  const wallet = x402.evmPrivateKeyWallet(c.privateKey);
  const payload = await x402.createPaymentPayload(c.paymentRequired, 0, wallet, { now: 1_800_000_000 });
  assert.equal(payload.payload.authorization.validAfter, String(1_800_000_000 - 600));
  assert.equal(payload.payload.authorization.validBefore, String(1_800_000_000 + c.paymentRequired.accepts[0].maxTimeoutSeconds));
  assert.match(payload.payload.authorization.nonce, /^0x[0-9a-f]{64}$/);
  const again = await x402.createPaymentPayload(c.paymentRequired, 0, wallet, { now: 1_800_000_000 });
  assert.notEqual(again.payload.authorization.nonce, payload.payload.authorization.nonce);
});

// A valid key never shows: not in the errors its wallet's payments throw (message, stack, cause,
// every own property), nor when the wallet object is printed, serialised or inspected.
test('private keys appear in no error, log or serialisation of their wallets', async () => {
  const { inspect } = await import('node:util');
  const c = cases[0];
  const evmKey = c.privateKey.slice(2).toLowerCase();
  const solanaSeed = new Uint8Array(32).map((_, i) => 200 - i);
  const solanaHex = Buffer.from(solanaSeed).toString('hex');
  const evm = x402.evmPrivateKeyWallet(c.privateKey);
  const solana = x402.solanaPrivateKeyWallet(solanaSeed);
  const leaks = (value) => {
    const text = [inspect(value, { depth: 8, showHidden: true, getters: true }), String(value), value?.stack ?? '',
      JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v)) ?? ''].join('\n').toLowerCase();
    return text.includes(evmKey) || text.includes(solanaHex) || text.includes(String([...solanaSeed]));
  };
  for (const wallet of [evm, solana]) assert.equal(leaks(wallet), false);
  const errors = [];
  const noDomain = structuredClone(c.paymentRequired);
  delete noDomain.accepts[0].extra;
  const tooMuch = structuredClone(c.paymentRequired);
  tooMuch.accepts[0].amount = (2n ** 256n).toString();
  const solanaRequired = { x402Version: 2, accepts: [{ scheme: 'exact', network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1', asset: 'x', payTo: 'y', amount: '1', maxTimeoutSeconds: 60 }] };
  for (const [required, wallet] of [[noDomain, evm], [tooMuch, evm], [c.paymentRequired, solana], [solanaRequired, solana], [solanaRequired, evm]]) {
    await x402.createPaymentPayload(required, 0, wallet).then(() => assert.fail('paid'), (e) => errors.push(e));
  }
  // A paying fetch whose policy refuses; a transfer whose node is unreachable.
  const pay = x402.wrapFetch(async () => new Response('{}', { status: 402, headers: paymentRequiredHeaders(c.paymentRequired) }), {
    wallets: [evm, solana], policy: { payTo: { deny: [c.paymentRequired.accepts[0].payTo] } },
  });
  await pay('https://example.test/').then(() => assert.fail('paid'), (e) => errors.push(e));
  await evm.sendTransaction({ chainId: 8453, to: c.address, data: '0x' }, { rpcUrl: 'http://127.0.0.1:9/' })
    .then(() => assert.fail('sent'), (e) => errors.push(e));
  // The key wallets' own methods and getters throw X402Errors as the exports do.
  const freed = x402.evmPrivateKeyWallet(c.privateKey);
  freed.free();
  assert.throws(() => freed.address, (e) => e instanceof x402.X402Error && e.code === 'USED_AFTER_FREE');
  await assert.rejects(async () => freed.signTypedData({}), (e) => e instanceof x402.X402Error && e.code === 'USED_AFTER_FREE');
  assert.ok(errors.length >= 6, `${errors.length} errors`);
  for (const error of errors) {
    assert.ok(error instanceof x402.X402Error, String(error));
    assert.equal(leaks(error), false, `${error.code}: ${error.message}`);
    for (const key of Object.getOwnPropertyNames(error)) assert.equal(leaks(error[key]), false, `${error.code}.${key}`);
  }
});
