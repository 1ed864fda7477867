// Solana `exact` payloads from JS, byte-for-byte against the official @x402/svm client
// (tests/vectors/svm_exact.json), with the SDK's RPC answered by a local stub JSON-RPC server
// (the case's blockhash and mint account). Also: which RPC calls are made (none when the server
// gives recentBlockhash + decimals + tokenProgram), the mint-info cache, and the coded errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { vectors } from '../lib/pkg.mjs';
import { startJsonRpc, accountInfo, rpcError, raw } from '../lib/svm-rpc.mjs';
import { fromHex, fromB64, decodeTransaction, decodeMessage, verifyEd25519, toBase58, fromBase58 } from '../lib/svm-wire.mjs';

const x402 = await loadX402();
const V = vectors('svm_exact.json');
const clone = (v) => JSON.parse(JSON.stringify(v));
const SLOT = { context: { slot: 4242, apiVersion: '2.2.0' } };

/** Starts a stub whose path /v/<i> answers case i, /e/<i> error case i; more routes via `extra`. */
async function startStub(t, extra = {}) {
  const byPath = new Map();
  V.cases.forEach((c, i) => byPath.set(`/v/${i}`, c));
  V.errors.forEach((c, i) => byPath.set(`/e/${i}`, c));
  const rpc = await startJsonRpc((method, params, path) => {
    if (extra[path]) return extra[path](method, params);
    const c = byPath.get(path.replace(/\/cache.*$/, ''));
    if (!c) throw rpcError(-32601, `no route ${path}`);
    return answer(c, method, params);
  });
  t.after(() => rpc.close());
  return rpc;
}

function answer(c, method, params) {
  const accepted = c.paymentRequired.accepts[c.acceptedIndex];
  if (method === 'getLatestBlockhash') {
    return { ...SLOT, value: { blockhash: c.rpc.latestBlockhash, lastValidBlockHeight: c.rpc.lastValidBlockHeight } };
  }
  if (method === 'getAccountInfo') {
    if (params[0] !== accepted.asset || !c.rpc.mint) return { ...SLOT, value: null };
    return { ...SLOT, value: accountInfo({ data: c.rpc.mint.data, owner: c.rpc.mint.owner }) };
  }
  throw rpcError(-32601, `method not found: ${method}`);
}

const wallet = (c) => x402.solanaPrivateKeyWallet(fromHex(c.seed));
const options = (c, url) => {
  const network = c.paymentRequired.accepts[c.acceptedIndex].network;
  const o = { rpc: { [network]: url } };
  if (c.randomBytes?.length) o.memoBytes = c.randomBytes[0];
  return o;
};

/** What our SDK must call for case c (it trusts extra.decimals + extra.tokenProgram; the official client does not). */
function expectedCalls(c) {
  const extra = c.paymentRequired.accepts[c.acceptedIndex].extra ?? {};
  const calls = [];
  const mintGiven = extra.decimals !== undefined && extra.tokenProgram !== undefined;
  if (!mintGiven && !c.mintCacheWarm) calls.push('getAccountInfo');
  if (c.rpcCalls.includes('getLatestBlockhash')) calls.push('getLatestBlockhash');
  return calls;
}

async function rejects(promise, code) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.name, 'X402Error', `not an X402Error: ${e}`);
    assert.equal(e.code, code, `code ${e.code} (${e.message}), wanted ${code}`);
    return e;
  }
  assert.fail(`resolved, wanted ${code}`);
}

test('svm_exact.json is the generated vector file with >= 10 cases, Token-2022 and memo coverage', () => {
  assert.ok(V.cases.length >= 10);
  assert.ok(V.cases.some((c) => c.tokenProgram === V.constants.programs.token2022));
  assert.ok(V.cases.some((c) => c.tokenProgram === V.constants.programs.token));
  assert.ok(V.cases.some((c) => c.paymentRequired.accepts[c.acceptedIndex].extra?.memo));
  assert.ok(V.cases.some((c) => c.randomBytes.length === 1));
});

test('every official vector: same payload (deep equal), same transaction bytes, expected RPC calls', async (t) => {
  const rpc = await startStub(t);
  for (const [i, c] of V.cases.entries()) {
    await t.test(c.name, async () => {
      const url = rpc.url(`/v/${i}`);
      if (c.mintCacheWarm) {
        // The official client had already paid once for this mint: warm our cache the same way.
        await x402.createPaymentPayload(clone(c.paymentRequired), c.acceptedIndex, wallet(c), options(c, url));
      }
      rpc.reset();
      const input = clone(c.paymentRequired);
      const payload = await x402.createPaymentPayload(input, c.acceptedIndex, wallet(c), options(c, url));
      assert.deepEqual(input, c.paymentRequired, 'the input was not mutated');

      // The wire bytes first (the most useful diff when something is off).
      const ours = fromB64(payload.payload.transaction);
      const theirs = fromB64(c.transaction);
      if (Buffer.compare(Buffer.from(ours), Buffer.from(theirs)) !== 0) {
        const om = decodeMessage(decodeTransaction(ours).message);
        assert.deepEqual(om.accountKeys.map(toBase58), c.staticAccounts, 'account keys');
        assert.deepEqual(om.header, [c.header.numRequiredSignatures, c.header.numReadonlySigned, c.header.numReadonlyUnsigned], 'header');
        assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(theirs).toString('hex'), 'transaction bytes');
      }
      assert.deepEqual(payload, c.payload);
      // The header round-trips to the official payload (JSON key order is not compared: ours puts
      // `payload` after `accepted`, which no decoder cares about).
      assert.deepEqual(x402.decodeHeader(x402.encodePaymentHeader(payload), 'PaymentPayload'), c.payload);
      assert.deepEqual(x402.decodeHeader(c.paymentSignatureHeader, 'PaymentPayload'), payload);

      // The signature is the payer's over the message, the fee-payer slot is zero.
      const tx = decodeTransaction(ours);
      assert.ok(tx.signatures[0].every((b) => b === 0));
      assert.ok(verifyEd25519(c.payer, tx.message, tx.signatures[1]));
      assert.equal(wallet(c).address, c.payer);

      // RPC: the same methods as the official client, minus what extra already tells us.
      const methods = rpc.calls.map((k) => k.method);
      assert.deepEqual([...methods].sort(), expectedCalls(c).sort(), `RPC calls ${methods}`);
      for (const call of rpc.calls) {
        if (call.method === 'getLatestBlockhash') assert.deepEqual(call.params, [{ commitment: 'confirmed' }]);
        if (call.method === 'getAccountInfo') {
          assert.equal(call.params[0], c.paymentRequired.accepts[c.acceptedIndex].asset);
          assert.equal(call.params[1]?.encoding, 'base64');
        }
      }

      const verified = x402.verifyPayment(payload, c.paymentRequired.accepts[c.acceptedIndex]);
      assert.equal(verified.isValid, true, verified.invalidReason);
      assert.equal(verified.payer, c.payer);
    });
  }
});

test('the secret forms all give the same wallet and the same bytes', async (t) => {
  const rpc = await startStub(t);
  const c = V.cases[0];
  const seed = fromHex(c.seed);
  const keypair = new Uint8Array([...seed, ...fromBase58(c.payer)]);
  const forms = [seed, [...seed], `0x${c.seed}`, toBase58(seed), keypair, [...keypair], toBase58(keypair)];
  for (const form of forms) {
    const w = x402.solanaPrivateKeyWallet(form);
    assert.equal(w.address, c.payer);
    const payload = await x402.createPaymentPayload(clone(c.paymentRequired), 0, w, options(c, rpc.url('/v/0')));
    assert.equal(payload.payload.transaction, c.transaction);
  }
});

test('recentBlockhash + decimals + tokenProgram in extra: no RPC call at all, same transaction bytes', async (t) => {
  const rpc = await startStub(t);
  for (const i of [0, 2]) {
    const c = V.cases[i]; // Token USDC, Token-2022 PYUSD; random memo
    const pr = clone(c.paymentRequired);
    const req = pr.accepts[c.acceptedIndex];
    req.extra = { ...req.extra, recentBlockhash: c.rpc.latestBlockhash, decimals: c.decimals, tokenProgram: c.tokenProgram };
    const realFetch = globalThis.fetch;
    let fetches = 0;
    globalThis.fetch = (...args) => {
      fetches += 1;
      return realFetch(...args);
    };
    rpc.reset();
    let payload;
    try {
      payload = await x402.createPaymentPayload(pr, c.acceptedIndex, wallet(c), options(c, rpc.url(`/v/${i}`)));
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.equal(fetches, 0, 'no fetch');
    assert.deepEqual(rpc.calls, [], 'no RPC call');
    assert.equal(payload.payload.transaction, c.transaction, 'same bytes as the official client with RPC');
    assert.deepEqual(payload.accepted, req);
    assert.equal(x402.verifyPayment(payload, req).isValid, true);
  }
  // The official vector cases that carry all three also made no call (checked above per case);
  // with only the blockhash given, the mint is still fetched and the blockhash is not.
  const c = V.cases[0];
  const pr = clone(c.paymentRequired);
  pr.accepts[0].extra.recentBlockhash = c.rpc.latestBlockhash;
  rpc.reset();
  const payload = await x402.createPaymentPayload(pr, 0, wallet(c), options(c, rpc.url('/v/0/cache-bh-only')));
  assert.deepEqual(rpc.calls.map((k) => k.method), ['getAccountInfo']);
  assert.equal(payload.payload.transaction, c.transaction);
});


test('extra.decimals as a decimal string is read; one that is not a number up to 255 is ignored and the mint read', async (t) => {
  const rpc = await startStub(t);
  const c = V.cases[0];
  for (const [decimals, methods] of [[String(c.decimals), []], ['six', ['getAccountInfo']], [300, ['getAccountInfo']], [null, ['getAccountInfo']], [{}, ['getAccountInfo']]]) {
    const pr = clone(c.paymentRequired);
    const req = pr.accepts[c.acceptedIndex];
    req.extra = { ...req.extra, recentBlockhash: c.rpc.latestBlockhash, decimals, tokenProgram: c.tokenProgram };
    rpc.reset();
    const payload = await x402.createPaymentPayload(pr, c.acceptedIndex, wallet(c), options(c, rpc.url(`/v/0/cache-decimals-${typeof decimals}-${decimals}`)));
    assert.deepEqual(rpc.calls.map((k) => k.method), methods, JSON.stringify(decimals));
    assert.equal(payload.payload.transaction, c.transaction, `${JSON.stringify(decimals)}: the official client's bytes`);
  }
  // Decimals given without the token program: the mint is read, and its own decimals are used (a
  // TransferChecked with the server's wrong ones would fail), as the official client does.
  const pr = clone(c.paymentRequired);
  const req = pr.accepts[c.acceptedIndex];
  req.extra = { ...req.extra, recentBlockhash: c.rpc.latestBlockhash, decimals: c.decimals + 3 };
  rpc.reset();
  const payload = await x402.createPaymentPayload(pr, c.acceptedIndex, wallet(c), options(c, rpc.url('/v/0/cache-decimals-wrong')));
  assert.deepEqual(rpc.calls.map((k) => k.method), ['getAccountInfo']);
  assert.equal(payload.payload.transaction, c.transaction);
});
test('mint info cache: a second payment for the same mint makes no getAccountInfo call', async (t) => {
  const rpc = await startStub(t);
  const c = V.cases[2]; // Token-2022
  const url = rpc.url('/v/2/cache-test');
  rpc.reset();
  const first = await x402.createPaymentPayload(clone(c.paymentRequired), 0, wallet(c), options(c, url));
  assert.deepEqual(rpc.calls.map((k) => k.method).sort(), ['getAccountInfo', 'getLatestBlockhash']);
  rpc.reset();
  const second = await x402.createPaymentPayload(clone(c.paymentRequired), 0, wallet(c), options(c, url));
  assert.deepEqual(rpc.calls.map((k) => k.method), ['getLatestBlockhash']);
  assert.equal(first.payload.transaction, c.transaction);
  assert.equal(second.payload.transaction, c.transaction, 'the cached decimals and program give the same bytes');
  // Another payer, another amount, same mint and RPC: still cached.
  const other = V.cases.find((k) => k !== c && k.paymentRequired.accepts[k.acceptedIndex].asset === c.paymentRequired.accepts[0].asset);
  if (other) {
    rpc.reset();
    await x402.createPaymentPayload(clone(other.paymentRequired), other.acceptedIndex, wallet(other), options(other, url));
    assert.ok(!rpc.calls.some((k) => k.method === 'getAccountInfo'));
  }
});

test('coded errors for the inputs the official client rejects', async (t) => {
  const rpc = await startStub(t);
  const expected = {
    'extra.feePayer missing': 'INVALID_SOLANA_REQUIREMENT',
    'extra.memo of 257 bytes': 'INVALID_SOLANA_REQUIREMENT',
    'amount 2^64 (over u64)': 'AMOUNT_OVERFLOW',
    'amount not an integer ("1.5")': 'INVALID_AMOUNT',
    'mint owned by the System program (not a token program)': 'INVALID_SOLANA_REQUIREMENT',
    'mint account does not exist': 'INVALID_SOLANA_REQUIREMENT',
  };
  assert.deepEqual(V.errors.map((e) => e.name).sort(), Object.keys(expected).sort());
  for (const [i, c] of V.errors.entries()) {
    await t.test(c.name, async () => {
      rpc.reset();
      const e = await rejects(x402.createPaymentPayload(clone(c.paymentRequired), c.acceptedIndex, wallet(c), {
        rpc: { [c.paymentRequired.accepts[c.acceptedIndex].network]: rpc.url(`/e/${i}`) },
        memoBytes: '00112233445566778899aabbccddeeff',
      }), expected[c.name]);
      assert.ok(e.message.length > 0);
      if (/over u64/.test(c.name)) assert.match(e.message, /2\^64 - 1, the largest SPL token amount/);
      // Requirement errors are found before any RPC; mint errors after getAccountInfo only.
      const methods = rpc.calls.map((k) => k.method);
      if (/feePayer|memo|amount/.test(c.name)) assert.deepEqual(methods, [], `no RPC for ${c.name}`);
      else assert.ok(methods.includes('getAccountInfo'));
    });
  }
});

test('coded errors the official client does not give: a memo that is not text, a key string too long to be one, a transaction the key does not sign', async (t) => {
  const rpc = await startStub(t);
  const c = V.cases[0];
  const document = clone(c.paymentRequired);
  document.accepts[0].extra.memo = 12345; // the official client sends "12345", which its facilitator refuses
  const e = await rejects(x402.createPaymentPayload(document, 0, wallet(c), options(c, rpc.url('/memo'))), 'INVALID_SOLANA_REQUIREMENT');
  assert.match(e.message, /extra\.memo must be a string/);
  assert.deepEqual(rpc.calls, [], 'refused before any RPC');
  // Decoding base58 takes time quadratic in the length: a megabyte is refused by its length.
  assert.throws(() => x402.solanaPrivateKeyWallet('1'.repeat(1_000_000)), (err) => err.code === 'INVALID_PRIVATE_KEY' && /longer than any Solana key/.test(err.message));
  // The vector's transaction, given to a key that is none of its signers.
  const stranger = x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(9));
  t.after(() => stranger.free());
  await assert.rejects(stranger.signTransaction(Buffer.from(c.transaction, 'base64')),
    (err) => err.code === 'SIGNER_MISMATCH' && err.message === `the wallet's key ${stranger.address} is not one of the transaction's required signers`);
});

test('RPC failures are RPC_ERROR', async (t) => {
  const c = V.cases[0];
  const routes = {
    '/err/blockhash': (m, p) => (m === 'getLatestBlockhash' ? (() => { throw rpcError(-32005, 'node is behind'); })() : answer(c, m, p)),
    '/err/account': (m, p) => (m === 'getAccountInfo' ? (() => { throw rpcError(-32602, 'invalid param'); })() : answer(c, m, p)),
    '/err/http500': () => raw({ status: 500, body: 'Internal Server Error', headers: { 'content-type': 'text/plain' } }),
    '/err/noresult': () => raw({ status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 1 }), headers: { 'content-type': 'application/json' } }),
  };
  const rpc = await startStub(t, routes);
  for (const path of Object.keys(routes)) {
    await t.test(path, async () => {
      const e = await rejects(x402.createPaymentPayload(clone(c.paymentRequired), 0, wallet(c), options(c, rpc.url(path))), 'RPC_ERROR');
      assert.match(e.message, /getLatestBlockhash|getAccountInfo/);
    });
  }
  await t.test('connection refused', async () => {
    const closed = await startJsonRpc(() => null);
    const url = closed.url('/');
    await closed.close();
    await rejects(x402.createPaymentPayload(clone(c.paymentRequired), 0, wallet(c), options(c, url)), 'RPC_ERROR');
  });
});

test('malformed RPC answers are coded errors, never a wrong transaction', async (t) => {
  const c = V.cases[0];
  const mint = c.rpc.mint;
  const routes = {
    '/bad/short-mint': (m, p) => (m === 'getAccountInfo' ? { ...SLOT, value: accountInfo({ data: Buffer.alloc(20), owner: mint.owner }) } : answer(c, m, p)),
    '/bad/not-base64': (m, p) => (m === 'getAccountInfo' ? { ...SLOT, value: { ...accountInfo({ data: mint.data, owner: mint.owner }), data: ['%%%', 'base64'] } } : answer(c, m, p)),
  };
  const rpc = await startStub(t, routes);
  for (const path of Object.keys(routes)) {
    await t.test(path, async () => {
      try {
        await x402.createPaymentPayload(clone(c.paymentRequired), 0, wallet(c), options(c, rpc.url(path)));
        assert.fail('resolved');
      } catch (e) {
        assert.equal(e.name, 'X402Error');
        assert.ok(['RPC_ERROR', 'INVALID_SOLANA_REQUIREMENT'].includes(e.code), `${path}: ${e.code} ${e.message}`);
      }
    });
  }
});

// A node that answers getLatestBlockhash without a usable blockhash is an RPC failure; the SDK
// currently reports INVALID_ADDRESS ("not a 32-byte base58 Solana address"), which blames the
// requirement instead of the node (src/wasm/svm.rs: `js(Pubkey::parse(hash))?` on the RPC value).
test('a getLatestBlockhash answer without a valid blockhash is RPC_ERROR', async (t) => {
  const c = V.cases[0];
  const routes = {
    '/bad/blockhash': (m, p) => (m === 'getLatestBlockhash' ? { ...SLOT, value: { blockhash: 'not-base58!', lastValidBlockHeight: 1 } } : answer(c, m, p)),
    '/bad/no-blockhash': (m, p) => (m === 'getLatestBlockhash' ? { ...SLOT, value: null } : answer(c, m, p)),
  };
  const rpc = await startStub(t, routes);
  for (const path of Object.keys(routes)) {
    await t.test(path, async () => {
      await rejects(x402.createPaymentPayload(clone(c.paymentRequired), 0, wallet(c), options(c, rpc.url(path))), 'RPC_ERROR');
    });
  }
});

test('a Solana payment carries the payment-identifier id where declared; the transaction is the official bytes', async (t) => {
  const { declarePaymentIdentifierExtension, extractAndValidatePaymentIdentifier } = await import('@x402/extensions/payment-identifier');
  const rpc = await startStub(t);
  const c = V.cases[0];
  const pr = clone(c.paymentRequired);
  const req = pr.accepts[c.acceptedIndex];
  req.extra = { ...req.extra, recentBlockhash: c.rpc.latestBlockhash, decimals: c.decimals, tokenProgram: c.tokenProgram };
  pr.extensions = { 'payment-identifier': declarePaymentIdentifierExtension(false) };
  const payload = await x402.createPaymentPayload(pr, c.acceptedIndex, wallet(c), { ...options(c, rpc.url('/v/0')), paymentId: 'svm_payment_id_000001' });
  assert.equal(payload.payload.transaction, c.transaction, 'the id is not part of what is signed');
  assert.deepEqual(extractAndValidatePaymentIdentifier(payload), { id: 'svm_payment_id_000001', validation: { valid: true } });
  assert.equal(x402.verifyPayment(payload, req).isValid, true);
});
