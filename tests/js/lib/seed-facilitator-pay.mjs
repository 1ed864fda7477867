// Seed 004 ("facilitator-pay"), written from the seed text as a careful server author would: an API
// that answers 402 with { amount, currency, payee, reference, facilitatorUrl, ttl, message } and a
// facilitator that really moves the funds in litesvm, through the Solana JSON-RPC front of
// svm-facilitator.mjs (startLitesvmRpc).
//
//   const f = await startFacilitatorPay({ world, rpcUrl, mint: 'token' });
//   approveFacilitator(world, f.facilitatorAddress, 1_000_000n);   // payer -> SPL delegate (sync)
//   GET  f.url/api/generate                         -> 402 challenge (reference 'pay_' + 12 hex)
//   POST f.facilitatorUrl/pay { amount, currency, payee, reference, payer }
//        -> { txId, signature, timestamp }           (also served under /facilitator/pay)
//   GET  f.url/api/generate + X-Payment-Proof: <signature> + X-Payment-TxId: <txId>
//        -> 200 { result: 'Your AI-generated content' } | 402 { ...fresh challenge, error }
//   POST f.facilitatorUrl/verify { reference, signature, txId } -> { valid, status, ... }
//
// The facilitator: the payer has approved the facilitator's key as SPL delegate of its token
// account (approveFacilitator). /pay sends [Memo(reference), TransferChecked(payer ATA -> payee ATA,
// signed by the facilitator as delegate)] with the facilitator as fee payer (it first creates the
// payee's ATA when missing), and answers txId = the transaction signature and signature = the
// facilitator's Ed25519 signature over `${reference}:${txId}` (both base58), timestamp in unix
// seconds. It refuses (402 { error }) a payer whose token account does not name it delegate, or
// whose allowance or balance is too small; 400 for a malformed request (payer is required: the
// seed's manual flow omits it, and a facilitator cannot guess whom to charge); 409 for a reference
// it already paid. With `apiKey`, /pay needs `authorization: Bearer <apiKey>` (401 otherwise).
// /verify answers { valid: true, status: 'confirmed', reference, txId, amount, currency, payee, payer,
// timestamp } for its own payment with a good signature and a finalized, error-free transaction,
// else { valid: false, status: 'not_found' | 'invalid' | 'invalid_signature' | 'failed', error }.
//
// The API: the retry carries only the signature and the txId, not the reference, so the API finds
// the reference on chain, in the transaction's memo (our convention, which our facilitator follows;
// the seed says the server "verifies the proof on-chain"). It then requires: a reference it issued,
// unused, not expired (now <= issued + ttl, as the seed's custom verifier checks Date.now()); the
// facilitator's /verify valid; the paid amount >= the price (exact), the currency and the payee its
// own; and on chain the payee's associated token account raised by >= the price. Each reference and
// each txId is accepted once. Refusals are 402 with a fresh challenge plus `error`.
import { randomBytes } from 'node:crypto';
import { getTransactionDecoder } from '@solana/kit';
import { FailedTransactionMetadata } from 'litesvm';
import {
  PROGRAMS, ata, b64, compileMessage, decodeMessage, decodeTransaction, fromBase58, fromB64, keyFromSeed, readU64,
  seedFor, signedTransaction, toBase58, u64le, verifyEd25519,
} from './svm-wire.mjs';
import { compareDecimal, messageAccountKeys, readJson, serveJson, toUnits, header } from './seed-common.mjs';
import { rpc } from './chain.mjs';

const RESULT = 'Your AI-generated content';
const MESSAGE = 'Payment required to access this resource';
const txDecoder = getTransactionDecoder(); // litesvm takes @solana/kit Transaction objects

/** base58 text -> bytes, or null when it is not base58 text. */
function fromB58Safe(text) {
  if (typeof text !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]+$/.test(text)) return null;
  try {
    return fromBase58(text);
  } catch {
    return null;
  }
}

/**
 * The payer (world.keys[owner]) approves `delegate` to spend `allowance` atomic units of world's
 * `mint` ('token' | 'token2022') from its ATA: ApproveChecked signed by the owner, fee paid by the
 * world's mint authority, sent straight into litesvm. Throws when it fails.
 */
export function approveFacilitator(world, delegate, allowance, { mint = 'token', owner = 'payer' } = {}) {
  const m = world.mints[mint];
  const instruction = {
    programId: m.program,
    accounts: [
      { address: m.atas[owner], writable: true }, { address: m.mint }, { address: delegate },
      { address: world.keys[owner].address, signer: true },
    ],
    data: [13, ...u64le(allowance), m.decimals],
  };
  const message = compileMessage({ feePayer: world.keys.authority.address, instructions: [instruction], blockhash: world.svm.latestBlockhash() });
  const wire = signedTransaction(message, [world.keys.authority, world.keys[owner]]);
  const result = world.svm.sendTransaction(txDecoder.decode(wire));
  if (result instanceof FailedTransactionMetadata) throw new Error(`approve failed: ${result.err()} ${result.meta().logs().join('\n')}`);
  return result;
}

/** Token account fields (base layout): { mint, owner, amount, delegate, delegatedAmount }. */
function tokenAccount(data) {
  return {
    mint: toBase58(data.slice(0, 32)),
    owner: toBase58(data.slice(32, 64)),
    amount: readU64(data, 64),
    delegate: readU64(data, 72) & 0xffffffffn ? toBase58(data.slice(76, 108)) : null, // COption tag u32
    delegatedAmount: readU64(data, 121),
  };
}

/** The memo text of a base64 wire v0 transaction (first Memo instruction), or null. */
function memoOf(base64Tx) {
  let m;
  try {
    m = decodeMessage(decodeTransaction(fromB64(base64Tx)).message);
  } catch {
    return null; // not a v0 message: not one our facilitator sent
  }
  const keys = m.accountKeys.map(toBase58);
  const ix = m.instructions.find((i) => keys[i.programIdIndex] === PROGRAMS.memo);
  return ix ? Buffer.from(ix.data).toString('utf8') : null;
}

/** Raise of `tokenAccountAddress` (owned by `owner`, for `mint`) in a getTransaction result; null if absent. */
function credited(tx, tokenAccountAddress, mint, owner) {
  const keys = messageAccountKeys(decodeTransaction(fromB64(tx.transaction[0])).message);
  const index = keys.indexOf(tokenAccountAddress);
  if (index < 0) return null;
  const at = (list) => (list ?? []).find((b) => b.accountIndex === index && b.mint === mint && b.owner === owner);
  const post = at(tx.meta.postTokenBalances);
  if (!post) return null;
  return BigInt(post.uiTokenAmount.amount) - BigInt(at(tx.meta.preTokenBalances)?.uiTokenAmount.amount ?? 0);
}

const getTx = (rpcUrl, txId) => rpc(rpcUrl, 'getTransaction', [txId, { encoding: 'base64', commitment: 'finalized', maxSupportedTransactionVersion: 0 }]);

/**
 * Starts the facilitator and the API. `mint`: 'token' | 'token2022'; `amount`: the price, a decimal
 * in token units; `ttl`: seconds; `payee` defaults to world.keys.payee; `facilitatorKey` (from
 * svm-wire keyFromSeed) defaults to a fixed key, airdropped 1 SOL for fees. `now()`: the API's
 * clock (ms). Returns { url (API), apiUrl, facilitatorUrl, facilitatorAddress, issued (Map),
 * payments (Map, the facilitator's), counters: { api, facilitator }, seen, expire(reference), close() }.
 */
export async function startFacilitatorPay({
  world, rpcUrl, mint = 'token', amount = '0.01', currency = 'USDC', ttl = 120, apiKey,
  payee = world.keys.payee.address, facilitatorKey = keyFromSeed(seedFor('seed-004/facilitator')), now = () => Date.now(),
}) {
  const { mint: asset, program, decimals } = world.mints[mint];
  const priceUnits = toUnits(amount, decimals);
  const facilitatorAddress = facilitatorKey.address;
  world.svm.airdrop(facilitatorAddress, 1_000_000_000n);
  const payments = new Map(); // reference -> { reference, txId, signature, amount, units, currency, payee, payer, timestamp }
  const issued = new Map(); // reference -> { reference, expiresAt, used, txId }
  const usedTxIds = new Set();
  const counters = { api: { challenges: 0, served: 0, rejected: 0 }, facilitator: { pay: 0, paid: 0, refused: 0, verify: 0 } };
  const seen = [];
  const account = async (address) => (await rpc(rpcUrl, 'getAccountInfo', [address, { encoding: 'base64', commitment: 'finalized' }]))?.value;

  // ---- facilitator ----
  const pay = async (req, send) => {
    counters.facilitator.pay += 1;
    const refuse = (status, error) => {
      counters.facilitator.refused += 1;
      return send(status, { error });
    };
    if (apiKey !== undefined && header(req, 'authorization') !== `Bearer ${apiKey}`) return refuse(401, 'unauthorized');
    let body;
    try {
      body = (await readJson(req)) ?? {};
    } catch {
      return refuse(400, 'invalid JSON body');
    }
    const text = typeof body.amount === 'number' ? String(body.amount) : body.amount;
    let units;
    try {
      units = toUnits(text, decimals);
    } catch (err) {
      return refuse(400, `invalid amount: ${err.message}`);
    }
    if (units <= 0n) return refuse(400, 'invalid amount: must be positive');
    if (body.currency !== undefined && String(body.currency).toUpperCase() !== currency.toUpperCase()) return refuse(400, `unsupported currency ${body.currency}`);
    if (typeof body.reference !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(body.reference)) return refuse(400, 'invalid reference');
    if (fromB58Safe(body.payee)?.length !== 32) return refuse(400, 'invalid payee');
    if (body.payer === undefined) return refuse(400, 'payer is required');
    if (fromB58Safe(body.payer)?.length !== 32) return refuse(400, 'invalid payer');
    if (payments.has(body.reference)) return refuse(409, 'reference already paid');
    const [source, destination] = [await ata(body.payer, asset, program), await ata(body.payee, asset, program)];
    const held = await account(source);
    if (!held) return refuse(402, 'unknown payer: no token account');
    const state = tokenAccount(fromB64(held.data[0]));
    if (state.delegate !== facilitatorAddress) return refuse(402, 'unknown payer: the facilitator is not its delegate');
    if (state.delegatedAmount < units) return refuse(402, `insufficient allowance (${state.delegatedAmount} < ${units})`);
    if (state.amount < units) return refuse(402, 'insufficient funds');
    if (payments.has(body.reference)) return refuse(409, 'reference already paid');
    payments.set(body.reference, { pending: true }); // reserved while sending

    const instructions = [{ programId: PROGRAMS.memo, accounts: [], data: [...Buffer.from(body.reference, 'utf8')] }];
    if (!(await account(destination))) {
      instructions.push({
        programId: PROGRAMS.ata, data: [1],
        accounts: [
          { address: facilitatorAddress, signer: true, writable: true }, { address: destination, writable: true }, { address: body.payee },
          { address: asset }, { address: PROGRAMS.system }, { address: program },
        ],
      });
    }
    instructions.push({
      programId: program,
      accounts: [{ address: source, writable: true }, { address: asset }, { address: destination, writable: true }, { address: facilitatorAddress, signer: true }],
      data: [12, ...u64le(units), decimals],
    });
    try {
      const { value: { blockhash } } = await rpc(rpcUrl, 'getLatestBlockhash', [{ commitment: 'finalized' }]);
      const wire = signedTransaction(compileMessage({ feePayer: facilitatorAddress, instructions, blockhash }), [facilitatorKey]);
      const txId = await rpc(rpcUrl, 'sendTransaction', [b64(wire), { encoding: 'base64' }]);
      const { value: [status] } = await rpc(rpcUrl, 'getSignatureStatuses', [[txId]]);
      if (!status || status.err) throw new Error(`transfer failed: ${JSON.stringify(status?.err ?? 'not found')}`);
      const signature = toBase58(facilitatorKey.sign(Buffer.from(`${body.reference}:${txId}`, 'utf8')));
      const timestamp = Math.floor(Date.now() / 1000);
      payments.set(body.reference, {
        reference: body.reference, txId, signature, amount: text, units, currency, payee: body.payee, payer: body.payer, timestamp,
      });
      counters.facilitator.paid += 1;
      return send(200, { txId, signature, timestamp });
    } catch (err) {
      payments.delete(body.reference);
      return refuse(502, err.message);
    }
  };

  const verify = async (req, send) => {
    counters.facilitator.verify += 1;
    let body;
    try {
      body = (await readJson(req)) ?? {};
    } catch {
      return send(400, { error: 'invalid JSON body' });
    }
    const { reference, signature, txId } = body;
    if (![reference, signature, txId].every((x) => typeof x === 'string' && x)) return send(400, { error: 'reference, signature and txId are required' });
    const p = payments.get(reference);
    if (!p || p.pending) return send(200, { valid: false, status: 'not_found', error: 'no payment for this reference' });
    if (p.txId !== txId) return send(200, { valid: false, status: 'invalid', error: 'txId does not match the reference' });
    const sig = fromB58Safe(signature);
    if (sig?.length !== 64 || !verifyEd25519(facilitatorAddress, Buffer.from(`${reference}:${txId}`, 'utf8'), sig)) {
      return send(200, { valid: false, status: 'invalid_signature', error: 'signature does not verify' });
    }
    const { value: [status] } = await rpc(rpcUrl, 'getSignatureStatuses', [[txId]]);
    if (!status || status.err || status.confirmationStatus !== 'finalized') return send(200, { valid: false, status: 'failed', error: 'transaction not finalized' });
    const { pending: _p, units: _u, ...record } = p;
    return send(200, { valid: true, status: 'confirmed', ...record });
  };

  const facilitator = await serveJson(async (req, _res, { url, send }) => {
    seen.push({ server: 'facilitator', method: req.method, path: url.pathname, headers: { ...req.headers } });
    const path = url.pathname.replace(/^\/facilitator(?=\/)/, '');
    if (req.method === 'POST' && path === '/pay') return pay(req, send);
    if (req.method === 'POST' && path === '/verify') return verify(req, send);
    return send(404, { error: 'not found' });
  });

  // ---- API ----
  const challenge = () => {
    const reference = `pay_${randomBytes(6).toString('hex')}`;
    issued.set(reference, { reference, expiresAt: now() + ttl * 1000, used: false, txId: null });
    counters.api.challenges += 1;
    return { amount, currency, payee, reference, facilitatorUrl: facilitator.url, ttl: String(ttl), message: MESSAGE };
  };
  const payeeAta = await ata(payee, asset, program);

  /** null when the proof pays `ref`, else the reason. */
  const check = async (ref, proof, txId) => {
    const res = await fetch(`${facilitator.url}/verify`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reference: ref.reference, signature: proof, txId }),
    });
    const v = await res.json();
    if (!res.ok || v.valid !== true) return `facilitator rejected the proof (${v.status ?? res.status})`;
    if (typeof v.amount !== 'string' || compareDecimal(v.amount, amount) < 0) return `paid ${v.amount}, below the price ${amount}`;
    if (String(v.currency).toUpperCase() !== currency.toUpperCase()) return 'wrong currency';
    if (v.payee !== payee) return 'paid to another payee';
    const tx = await getTx(rpcUrl, txId);
    const raised = tx && !tx.meta.err ? credited(tx, payeeAta, asset, payee) : null;
    if (raised === null || raised < priceUnits) return 'the transaction does not pay the payee the price';
    return null;
  };

  const api = await serveJson(async (req, _res, { url, send }) => {
    seen.push({ server: 'api', method: req.method, path: url.pathname, headers: { ...req.headers } });
    if (url.pathname !== '/api/generate') return send(404, { error: 'not found' });
    const [proof, txId] = [header(req, 'X-Payment-Proof'), header(req, 'X-Payment-TxId')];
    if (proof === undefined && txId === undefined) return send(402, challenge());
    const reject = (error) => {
      counters.api.rejected += 1;
      return send(402, { ...challenge(), error });
    };
    if (!proof || !txId) return reject('X-Payment-Proof and X-Payment-TxId are both required');
    if (usedTxIds.has(txId)) return reject('payment already used');
    const tx = await getTx(rpcUrl, txId).catch(() => null);
    if (!tx) return reject('transaction not found');
    if (tx.meta.err) return reject('transaction failed');
    const ref = issued.get(memoOf(tx.transaction[0]) ?? '');
    if (!ref) return reject('unknown reference');
    if (ref.used) return reject('payment already used');
    if (now() > ref.expiresAt) return reject('payment expired');
    ref.used = true; // reserved while checking
    usedTxIds.add(txId);
    const reason = await check(ref, proof, txId).catch((err) => err.message);
    if (reason) {
      ref.used = false;
      usedTxIds.delete(txId);
      return reject(reason);
    }
    ref.txId = txId;
    counters.api.served += 1;
    return send(200, { result: RESULT });
  }, { allowHeaders: ['X-Payment-Proof', 'X-Payment-TxId'] });

  return {
    url: api.url, apiUrl: api.url, facilitatorUrl: facilitator.url, facilitatorAddress, issued, payments, counters, seen,
    payeeAta, asset, priceUnits,
    /** Makes `reference` expire now. */
    expire(reference) {
      const ref = issued.get(reference);
      if (!ref) throw new Error(`unknown reference ${reference}`);
      ref.expiresAt = now() - 1;
    },
    close: () => Promise.all([api.close(), facilitator.close()]),
  };
}
