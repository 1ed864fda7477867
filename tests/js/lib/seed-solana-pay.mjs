// Seed 001 ("Solana Pay reference style"), written from the seed text as a careful server author
// would, verifying payments on chain through a Solana JSON-RPC (the litesvm front of
// svm-facilitator.mjs startLitesvmRpc, which keeps the history getSignaturesForAddress and
// getTransaction read).
//
//   const s = await startSolanaPayServer({ world, rpcUrl, mint: 'token', amount: '0.25' });
//   POST s.url/api/hello                      -> 402 challenge (a fresh reference each time)
//   GET  s.url/api/verify?reference=R         -> { paid: true, sig } | { paid: false } | 404
//   POST s.url/api/hello + X-Payment-Reference: R -> 200 { message, paid_reference: R } once
//   GET  s.url/.well-known/x402.json          -> discovery document (below)
//   s.references (Map), s.counters, s.seen, s.expire(R), s.close()
//
// Conventions the seed leaves open (ours, documented here):
//   - Tying the repeat to the payment: the seed only says "make the same POST request again". The
//     client repeats it with the header `X-Payment-Reference: <reference>`. Outcomes: a verified,
//     unused reference -> 200 and the reference is consumed; a consumed one -> 402 with a fresh
//     challenge and error 'reference already used'; an unknown one -> 402 fresh, 'unknown
//     reference'; an expired unpaid one -> 402 fresh, 'reference expired'; a live unpaid one is
//     verified on the spot (so a client may skip /api/verify) and, when still unpaid, -> 402 with
//     the SAME challenge and error 'payment not found' (a new reference would invite paying twice).
//   - Expiry: a reference can be verified until expires_at; afterwards /api/verify answers 404 unless
//     it was already found paid (a payment made in time and verified stays redeemable).
//   - Payment check (as @solana/pay's findReference + validateTransfer): the newest finalized,
//     error-free transaction that includes the reference among its account keys and raises the
//     recipient's associated token account (for asset_mint) by >= amount, from pre/postTokenBalances,
//     in atomic units converted exactly with the mint's decimals (read from the mint account), with
//     a block time not after expires_at. A transaction credits one reference only.
//   - Discovery document (/.well-known/x402.json), our shape:
//       { x402: { version: 1, dialect: 'solana-pay-reference' }, chain: 'solana', network,
//         endpoints: [{ path: '/api/hello', method: 'POST', description, price: amount (token units,
//         decimal string), asset: mint, asset_decimals, network, recipient, verify: '/api/verify',
//         reference_ttl_seconds, payment_reference_header: 'X-Payment-Reference' }] }
import { randomBytes } from 'node:crypto';
import { decodeTransaction, fromB64, ata, toBase58 } from './svm-wire.mjs';
import { isoSeconds, messageAccountKeys, serveJson, toUnits, header } from './seed-common.mjs';
import { rpc } from './chain.mjs';

export const REFERENCE_HEADER = 'X-Payment-Reference';
const DESCRIPTION = 'Access to the hello endpoint result';

/**
 * The Solana Pay transfer-request URL (spec: solana:<recipient>?amount&spl-token&reference&label&message).
 * `references` lists all its reference keys (the spec allows several, included in order); default: `[reference]`.
 */
export function solanaPayUrl({ recipient, amount, splToken, reference, references = [reference], label, message }) {
  const query = [
    `amount=${amount}`, `spl-token=${splToken}`, ...references.map((key) => `reference=${key}`),
    `label=${encodeURIComponent(label)}`, `message=${encodeURIComponent(message)}`,
  ];
  return `solana:${recipient}?${query.join('&')}`;
}

/** Reads a mint through the RPC: { program, decimals }. */
async function readMint(rpcUrl, mint) {
  const info = await rpc(rpcUrl, 'getAccountInfo', [mint, { encoding: 'base64', commitment: 'finalized' }]);
  if (!info?.value) throw new Error(`mint ${mint} not found`);
  const data = fromB64(info.value.data[0]);
  if (data.length < 82 || data[45] !== 1) throw new Error(`${mint} is not an initialized mint`);
  return { program: info.value.owner, decimals: data[44] };
}

/**
 * Starts the seed 001 server. `mint` is 'token' | 'token2022' (world.mints) or a mint address;
 * `amount` a decimal string in token units; `recipient` defaults to world.keys.payee; `urlReferences`:
 * more reference keys its solana_pay_url lists before the body's (e.g. an order's). `now()` is the
 * server's clock (ms). Returns { url, close(), references, counters, seen, expire(reference),
 * recipient, recipientAta, asset, decimals, amountUnits }.
 */
export async function startSolanaPayServer({
  world, rpcUrl, mint = 'token', amount, ttlMs = 120_000, network = 'devnet', recipient = world?.keys.payee.address,
  label = 'x402', urlReferences = [], now = () => Date.now(),
}) {
  if (!rpcUrl) throw new Error('rpcUrl is required');
  const asset = world?.mints[mint]?.mint ?? mint;
  const { program, decimals } = await readMint(rpcUrl, asset);
  const amountUnits = toUnits(amount, decimals);
  if (amountUnits <= 0n) throw new Error('amount must be positive');
  const recipientAta = await ata(recipient, asset, program);

  const references = new Map(); // reference -> { reference, createdAt, expiresAt, challenge, paid, sig, consumed }
  const creditedSigs = new Map(); // signature -> reference it paid
  const counters = { challenges: 0, verifyCalls: 0, verifyPaid: 0, verifyUnpaid: 0, verifyNotFound: 0, served: 0, rejected: 0 };
  const seen = [];

  const challenge = () => {
    const reference = toBase58(randomBytes(32));
    const createdAt = now();
    const body = {
      chain: 'solana', network, asset_mint: asset, amount, recipient, reference,
      expires_at: isoSeconds(createdAt + ttlMs), description: DESCRIPTION,
      solana_pay_url: solanaPayUrl({
        recipient, amount, splToken: asset, references: [...urlReferences, reference], label, message: DESCRIPTION,
      }),
    };
    // expires_at is shown to the second; the server keeps the exact instant.
    references.set(reference, { reference, createdAt, expiresAt: createdAt + ttlMs, challenge: body, paid: false, sig: null, consumed: false });
    counters.challenges += 1;
    return body;
  };
  const expired = (ref) => now() > ref.expiresAt;

  /** Does `sig` pay `ref`? Returns null when it does, else the reason. */
  const checkTransaction = async (ref, sig) => {
    if (creditedSigs.has(sig)) return 'transaction already credited to another reference';
    const tx = await rpc(rpcUrl, 'getTransaction', [sig, { encoding: 'base64', commitment: 'finalized', maxSupportedTransactionVersion: 0 }]);
    if (!tx?.meta) return 'transaction not found';
    if (tx.meta.err) return 'transaction failed';
    if (tx.blockTime != null && tx.blockTime * 1000 > ref.expiresAt) return 'paid after the reference expired';
    const keys = messageAccountKeys(decodeTransaction(fromB64(tx.transaction[0])).message);
    const loaded = [...(tx.meta.loadedAddresses?.writable ?? []), ...(tx.meta.loadedAddresses?.readonly ?? [])];
    const all = [...keys, ...loaded];
    if (!all.includes(ref.reference)) return 'reference not in the transaction';
    const index = all.indexOf(recipientAta);
    if (index < 0) return 'recipient token account not in the transaction';
    const balance = (list) => {
      const b = (list ?? []).find((x) => x.accountIndex === index);
      if (!b) return 0n;
      if (b.mint !== asset || b.owner !== recipient) return null;
      return BigInt(b.uiTokenAmount.amount);
    };
    const [pre, post] = [balance(tx.meta.preTokenBalances), balance(tx.meta.postTokenBalances)];
    if (pre === null || post === null) return 'recipient token account is not the recipient\'s for this mint';
    if (post - pre < amountUnits) return `amount not transferred (${post - pre} < ${amountUnits})`;
    return null;
  };

  /** Looks the reference up on chain; marks it paid when a transaction pays it. */
  const verify = async (ref) => {
    if (ref.paid) return true;
    const sigs = await rpc(rpcUrl, 'getSignaturesForAddress', [ref.reference, { commitment: 'finalized', limit: 1000 }]);
    for (const s of sigs) {
      if (s.err !== null || s.confirmationStatus !== 'finalized') continue;
      const reason = await checkTransaction(ref, s.signature);
      ref.lastReason = reason;
      if (reason === null && !ref.paid && !creditedSigs.has(s.signature)) {
        creditedSigs.set(s.signature, ref.reference);
        Object.assign(ref, { paid: true, sig: s.signature });
        return true;
      }
    }
    return ref.paid;
  };

  const http = await serveJson(async (req, res, { url, send }) => {
    const route = `${req.method} ${url.pathname}`;
    seen.push({ route, headers: { ...req.headers }, query: Object.fromEntries(url.searchParams) });
    if (route === 'GET /.well-known/x402.json') {
      return send(200, {
        x402: { version: 1, dialect: 'solana-pay-reference' },
        chain: 'solana',
        network,
        endpoints: [{
          path: '/api/hello', method: 'POST', description: DESCRIPTION, price: amount, asset, asset_decimals: decimals,
          network, recipient, verify: '/api/verify', reference_ttl_seconds: Math.floor(ttlMs / 1000),
          payment_reference_header: REFERENCE_HEADER,
        }],
      });
    }
    if (route === 'GET /api/verify') {
      counters.verifyCalls += 1;
      const ref = references.get(url.searchParams.get('reference') ?? '');
      if (!ref || (expired(ref) && !ref.paid)) {
        counters.verifyNotFound += 1;
        return send(404, { error: 'unknown or expired reference' });
      }
      if (await verify(ref)) {
        counters.verifyPaid += 1;
        return send(200, { paid: true, sig: ref.sig });
      }
      counters.verifyUnpaid += 1;
      return send(200, { paid: false });
    }
    if (route === 'POST /api/hello') {
      const given = header(req, REFERENCE_HEADER);
      if (given === undefined) return send(402, challenge());
      const reject = (error, body = challenge()) => {
        counters.rejected += 1;
        return send(402, { ...body, error });
      };
      const ref = references.get(given.trim());
      if (!ref) return reject('unknown reference');
      if (ref.consumed) return reject('reference already used');
      if (!ref.paid) {
        if (expired(ref)) return reject('reference expired');
        if (!(await verify(ref))) return reject('payment not found', ref.challenge);
      }
      if (ref.consumed) return reject('reference already used'); // a concurrent repeat won
      ref.consumed = true;
      counters.served += 1;
      return send(200, { message: 'Hello from x402 x402!', paid_reference: ref.reference });
    }
    return send(404, { error: 'not found' });
  }, { allowHeaders: [REFERENCE_HEADER] });

  return {
    ...http, references, counters, seen, recipient, recipientAta, asset, decimals, amountUnits, network,
    /** Makes `reference` expire now (or at `at` ms). */
    expire(reference, at = now() - 1) {
      const ref = references.get(reference);
      if (!ref) throw new Error(`unknown reference ${reference}`);
      ref.expiresAt = at;
    },
  };
}
