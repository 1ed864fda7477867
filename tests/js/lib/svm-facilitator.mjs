// The OFFICIAL x402 v2 facilitator for Solana `exact`, unmodified from npm, settling in litesvm:
// `x402Facilitator` (@x402/core/facilitator) with the exact SVM facilitator scheme
// (`registerExactSvmScheme` from @x402/svm/exact/facilitator) over the official signer
// (`toFacilitatorSvmSigner` from @x402/svm, a @solana/kit key pair signer for the world's fee payer)
// whose Solana RPC is a JSON-RPC front on 127.0.0.1 answered from the litesvm world.
//
//   const f = await startSvmFacilitator(t, world);   // stops at t.after (or call f.close())
//   f.url (POST /verify, POST /settle, GET /supported); f.verify / f.settle / f.getSupported;
//   f.rpcUrl (also usable by clients: getLatestBlockhash, getAccountInfo); f.rpc.calls; f.calls; f.sent
//
// The front implements what the official client, signer and scheme ask for: getLatestBlockhash,
// getAccountInfo (base64), getSlot, getBlockHeight, getBalance, getTokenAccountBalance,
// simulateTransaction (sigVerify false is honoured by turning litesvm's sigverify off around the
// simulation: the fee-payer slot is still zero at verify time), sendTransaction (the transaction
// is executed by litesvm at once; like an RPC with skipPreflight, a transaction that fails on chain
// still gets its signature, and its status carries the error), getSignatureStatuses (finalized
// at once), getSignaturesForAddress and getTransaction (base64; see startLitesvmRpc for the
// history they read). Anything else is a JSON-RPC "method not found", so a new need shows up as an
// error.
import { createKeyPairSignerFromBytes, getTransactionDecoder } from '@solana/kit';
import { x402Facilitator } from '@x402/core/facilitator';
import { toFacilitatorSvmSigner } from '@x402/svm';
import { registerExactSvmScheme } from '@x402/svm/exact/facilitator';
import { listenLoopback } from './loopback.mjs';
import { FailedTransactionMetadata } from './svm-litesvm.mjs';
import { startJsonRpc, accountInfo, rpcError } from './svm-rpc.mjs';
import { PROGRAMS, b64, decodeMessage, decodeTransaction, fromB64, readU64, toBase58 } from './svm-wire.mjs';

const txDecoder = getTransactionDecoder();

/** A JSON-able form of litesvm's transaction error (an enum value or a small class instance). */
function errorJson(err) {
  if (err == null) return null;
  if (typeof err !== 'object') return String(err);
  const text = typeof err.toString === 'function' && err.toString !== Object.prototype.toString ? err.toString() : '';
  return { litesvm: text || JSON.stringify(err, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) };
}

const LAMPORTS_PER_SIGNATURE = 5000;
const TOKEN_PROGRAMS = new Set([PROGRAMS.token, PROGRAMS.token2022]);

/**
 * A token account's balance in the RPC's pre/postTokenBalances shape, or null when `address` is
 * not a token account (mints, multisigs and everything else are skipped). Token-2022 accounts with
 * extensions are longer than 165 bytes and carry the account type (2) at byte 165.
 */
function tokenBalance(svm, address, accountIndex) {
  const account = svm.getAccount(address);
  if (!account.exists || !TOKEN_PROGRAMS.has(account.programAddress)) return null;
  const data = account.data;
  const isAccount = data.length === 165 || (data.length > 165 && data.length !== 355 && data[165] === 2);
  if (!isAccount) return null;
  const mint = toBase58(data.slice(0, 32));
  const mintAccount = svm.getAccount(mint);
  const decimals = mintAccount.exists ? mintAccount.data[44] : 0;
  const amount = readU64(data, 64).toString();
  const padded = amount.padStart(decimals + 1, '0');
  const ui = decimals === 0 ? amount : `${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`.replace(/\.?0+$/, '');
  return {
    accountIndex, mint, owner: toBase58(data.slice(32, 64)), programId: account.programAddress,
    uiTokenAmount: { amount, decimals, uiAmount: Number(ui), uiAmountString: ui },
  };
}

/** The static account keys (base58) and version (0 or 'legacy') of a wire message. */
function staticKeys(message) {
  if (message[0] & 0x80) return { keys: decodeMessage(message).accountKeys.map(toBase58), version: 0 };
  let i = 3; // legacy: header, compact-u16 key count, 32-byte keys
  let count = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = message[i++];
    count |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  const keys = [];
  for (let k = 0; k < count; k += 1) keys.push(toBase58(message.slice(i + 32 * k, i + 32 * (k + 1))));
  return { keys, version: 'legacy' };
}

/** Lamports and token balances of `keys` (base58, in message order), as the RPC reports them. */
function snapshot(svm, keys) {
  return {
    lamports: keys.map((k) => Number(svm.getBalance(k) ?? 0n)),
    tokens: keys.map((k, i) => tokenBalance(svm, k, i)).filter(Boolean),
  };
}

/**
 * The JSON-RPC front over `world` (from svm-litesvm createWorld). Returns startJsonRpc's object plus
 * `url`, `sent` (every transaction sent: { signature, ok, error, logs }) and `history` (every
 * transaction litesvm executed successfully through this front, oldest first: { signature, slot,
 * blockTime, wire, keys, meta }).
 *
 * History, as a real (archival) RPC keeps it, for the transactions sent through this front only
 * (litesvm calls made directly, e.g. world setup, are not seen):
 *   - getSignaturesForAddress(address, { limit?, before?, until? }): every transaction whose static
 *     account keys include `address`, newest first, as [{ signature, slot, err: null, memo: null,
 *     blockTime, confirmationStatus: 'finalized' }] (memo is always null here);
 *   - getTransaction(signature, { encoding: 'base64', maxSupportedTransactionVersion: 0 }):
 *     { slot, blockTime, version: 0, transaction: [b64, 'base64'], meta: { err: null, fee,
 *     preBalances, postBalances, preTokenBalances, postTokenBalances, logMessages, ... } } read from
 *     litesvm around the send (token balances for every token account among the static keys; fee =
 *     5000 lamports per signature, no priority fees), null when unknown. Like a real RPC, a v0
 *     transaction needs maxSupportedTransactionVersion >= 0. Other encodings answer null (as this
 *     front always did: the official exact scheme asks for jsonParsed only for smart wallets).
 */
// With { preflight: true }, sendTransaction simulates first unless skipPreflight is set, as real
// RPCs do by default, and answers a failing simulation with JSON-RPC error -32002 ("Transaction
// simulation failed: ...") without executing the transaction. With { confirm: false },
// getSignatureStatuses never reports a status (an RPC that has not seen the transaction yet),
// though sendTransaction still executes it; with { confirm: 'hang' } it never answers at all.
export async function startLitesvmRpc(world, { preflight = false, confirm = true } = {}) {
  const { svm } = world;
  const statuses = new Map(); // signature -> { slot, err }
  const sent = [];
  const history = []; // successful transactions, oldest first
  const bySignature = new Map(); // signature -> history entry
  const context = () => ({ slot: Number(svm.getClock().slot) });
  const wire = (params) => {
    const encoding = params[1]?.encoding ?? 'base58';
    if (encoding !== 'base64') throw rpcError(-32602, `only base64 transactions are supported here (got ${encoding})`);
    return fromB64(params[0]);
  };

  const rpc = await startJsonRpc((method, params) => {
    switch (method) {
      case 'getLatestBlockhash':
        return { context: context(), value: { blockhash: svm.latestBlockhash(), lastValidBlockHeight: 150 } };
      case 'getSlot':
      case 'getBlockHeight':
        return Number(svm.getClock().slot);
      case 'getAccountInfo': {
        const encoding = params[1]?.encoding ?? 'base64';
        if (encoding !== 'base64') throw rpcError(-32602, `only base64 account data is supported here (got ${encoding})`);
        const account = svm.getAccount(params[0]);
        if (!account.exists) return { context: context(), value: null };
        return { context: context(), value: accountInfo({ data: account.data, owner: account.programAddress, lamports: account.lamports, executable: account.executable }) };
      }
      case 'getBalance':
        return { context: context(), value: Number(svm.getBalance(params[0]) ?? 0n) };
      case 'getTokenAccountBalance': {
        const account = svm.getAccount(params[0]);
        if (!account.exists) throw rpcError(-32602, 'Invalid param: could not find account');
        const amount = readU64(account.data, 64);
        const mint = svm.getAccount(toBase58(account.data.slice(0, 32)));
        const decimals = mint.exists ? mint.data[44] : 0;
        return { context: context(), value: { amount: amount.toString(), decimals, uiAmount: null, uiAmountString: amount.toString() } };
      }
      case 'simulateTransaction': {
        const bytes = wire(params);
        const options = params[1] ?? {};
        if (options.replaceRecentBlockhash) throw rpcError(-32602, 'replaceRecentBlockhash is not supported here');
        const sigVerify = options.sigVerify ?? false;
        if (!sigVerify) svm.withSigverify(false);
        let result;
        try {
          result = svm.simulateTransaction(txDecoder.decode(bytes));
        } finally {
          if (!sigVerify) svm.withSigverify(true);
        }
        const failed = result instanceof FailedTransactionMetadata;
        const meta = result.meta();
        return {
          context: context(),
          value: {
            err: failed ? errorJson(result.err()) : null,
            logs: meta.logs(),
            accounts: null,
            unitsConsumed: Number(meta.computeUnitsConsumed()),
            returnData: null,
            ...(options.innerInstructions ? { innerInstructions: [] } : {}),
          },
        };
      }
      case 'sendTransaction': {
        const bytes = wire(params);
        const decoded = decodeTransaction(bytes);
        const signature = toBase58(decoded.signatures[0]);
        if (preflight && !params[1]?.skipPreflight) {
          const simulated = svm.simulateTransaction(txDecoder.decode(bytes));
          if (simulated instanceof FailedTransactionMetadata) {
            const logs = simulated.meta().logs();
            // As a real RPC words it; litesvm's TransactionError 6 is AlreadyProcessed.
            const processed = String(simulated.err()) === '6';
            const err = processed ? 'AlreadyProcessed' : errorJson(simulated.err());
            sent.push({ signature, ok: false, preflight: true, error: err, logs });
            const why = processed ? 'This transaction has already been processed' : JSON.stringify(err);
            throw rpcError(-32002, `Transaction simulation failed: ${why}`, { err, logs });
          }
        }
        let keys = [];
        let version = 0;
        try {
          ({ keys, version } = staticKeys(decoded.message));
        } catch { /* a malformed message: litesvm decides; no history for it */ }
        const before = snapshot(svm, keys);
        const result = svm.sendTransaction(txDecoder.decode(bytes));
        const failed = result instanceof FailedTransactionMetadata;
        const err = failed ? errorJson(result.err()) : null;
        const logs = (failed ? result.meta() : result).logs();
        sent.push({ signature, ok: !failed, error: err, logs });
        if (!failed && keys.length && !bySignature.has(signature)) {
          const after = snapshot(svm, keys);
          const entry = {
            signature, slot: Number(svm.getClock().slot), blockTime: Math.floor(Date.now() / 1000), wire: bytes, keys, version,
            meta: {
              err: null, status: { Ok: null }, fee: LAMPORTS_PER_SIGNATURE * decoded.signatures.length,
              preBalances: before.lamports, postBalances: after.lamports,
              preTokenBalances: before.tokens, postTokenBalances: after.tokens,
              logMessages: logs, innerInstructions: [], rewards: [],
              loadedAddresses: { writable: [], readonly: [] },
              computeUnitsConsumed: Number(result.computeUnitsConsumed()),
            },
          };
          history.push(entry);
          bySignature.set(signature, entry);
        }
        // A transaction litesvm refused before running it (bad signature, already processed...)
        // is what preflight-less RPCs still answer with a signature; its status shows the error.
        if (!statuses.has(signature) || failed === false) statuses.set(signature, { slot: Number(svm.getClock().slot), err });
        return signature;
      }
      case 'getSignatureStatuses':
        if (confirm === 'hang') return new Promise(() => {});
        return {
          context: context(),
          value: (params[0] ?? []).map((signature) => {
            const status = confirm ? statuses.get(signature) : undefined;
            if (!status) return null;
            return {
              slot: status.slot, confirmations: null, err: status.err,
              status: status.err ? { Err: status.err } : { Ok: null }, confirmationStatus: 'finalized',
            };
          }),
        };
      case 'getSignaturesForAddress': {
        const [address, options = {}] = params;
        if (typeof address !== 'string') throw rpcError(-32602, 'Invalid param: address');
        const limit = options.limit ?? 1000;
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw rpcError(-32602, 'Invalid limit; max 1000');
        let newest = [...history].reverse().filter((e) => e.keys.includes(address));
        if (options.before) {
          const at = newest.findIndex((e) => e.signature === options.before);
          newest = at >= 0 ? newest.slice(at + 1) : [];
        }
        if (options.until) {
          const at = newest.findIndex((e) => e.signature === options.until);
          if (at >= 0) newest = newest.slice(0, at);
        }
        return newest.slice(0, limit).map((e) => ({
          signature: e.signature, slot: e.slot, err: null, memo: null, blockTime: e.blockTime, confirmationStatus: 'finalized',
        }));
      }
      case 'getTransaction': {
        const [signature, options = {}] = params;
        const encoding = options.encoding ?? 'json';
        if (encoding !== 'base64') return null;
        const entry = bySignature.get(signature);
        if (!entry) return null;
        const legacy = entry.version === 'legacy';
        if (!legacy && options.maxSupportedTransactionVersion === undefined) {
          throw rpcError(-32015, 'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0');
        }
        return {
          slot: entry.slot, blockTime: entry.blockTime,
          ...(options.maxSupportedTransactionVersion === undefined ? {} : { version: entry.version }),
          transaction: [b64(entry.wire), 'base64'], meta: entry.meta,
        };
      }
      default:
        throw rpcError(-32601, `method not found: ${method}`);
    }
  });
  return { ...rpc, url: rpc.url('/'), sent, history };
}

/** Serves a facilitator object on 127.0.0.1: POST /verify, POST /settle, GET /supported. */
export async function serveFacilitator(facilitator) {
  const json = (value) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const { url, close } = await listenLoopback(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(json(body));
    };
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    const op = { 'GET /supported': 'getSupported', 'POST /verify': 'verify', 'POST /settle': 'settle' }[`${req.method} ${path}`];
    if (!op) return send(404, { error: 'not found' });
    let body = {};
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      if (op !== 'getSupported') body = JSON.parse(Buffer.concat(chunks).toString('utf8')) ?? {};
    } catch {
      return send(400, { error: 'invalid JSON body' });
    }
    const { paymentPayload, paymentRequirements } = body;
    if (op !== 'getSupported' && (!paymentPayload || !paymentRequirements)) {
      return send(400, { error: 'paymentPayload and paymentRequirements are required' });
    }
    try {
      return send(200, op === 'getSupported' ? await facilitator.getSupported() : await facilitator[op](paymentPayload, paymentRequirements));
    } catch (err) {
      const message = err?.message ?? String(err);
      if (op === 'verify') return send(500, { isValid: false, invalidReason: 'unexpected_verify_error', invalidMessage: message });
      if (op === 'settle') return send(500, { success: false, errorReason: 'unexpected_settle_error', errorMessage: message, transaction: '', network: paymentRequirements.network });
      return send(500, { error: message });
    }
  });
  return { url, close };
}

/**
 * The official facilitator for `world` (fee payer: world.keys.feePayer) with its litesvm RPC front,
 * served over HTTP. Every call is recorded in `calls` ({ op, payload, requirements, result }).
 * With `t`, everything stops at t.after. Returns { facilitator, verify, settle, getSupported, url,
 * rpc, rpcUrl, sent, calls, feePayer, close() }.
 */
export async function startSvmFacilitator(t, world) {
  const rpc = await startLitesvmRpc(world);
  const keyPair = await createKeyPairSignerFromBytes(world.keys.feePayer.keypair);
  const signer = toFacilitatorSvmSigner(keyPair, { defaultRpcUrl: rpc.url });
  const facilitator = new x402Facilitator();
  registerExactSvmScheme(facilitator, { signer, networks: world.network });

  const calls = [];
  const record = (op) => async (payload, requirements) => {
    const entry = { op, payload, requirements };
    calls.push(entry);
    entry.result = await facilitator[op](payload, requirements);
    return entry.result;
  };
  const api = {
    verify: record('verify'),
    settle: record('settle'),
    getSupported: async () => {
      calls.push({ op: 'getSupported' });
      return facilitator.getSupported();
    },
  };
  const http = await serveFacilitator(api);
  let closed;
  const close = () => {
    closed ??= Promise.all([http.close(), rpc.close()]);
    return closed;
  };
  t?.after(close);
  return {
    ...api,
    facilitator,
    url: http.url,
    rpc,
    rpcUrl: rpc.url,
    sent: rpc.sent,
    calls,
    feePayer: keyPair.address,
    close,
  };
}
