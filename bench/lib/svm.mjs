// Solana `exact` inputs of the SVM payload-creation benchmark, and the official client with its
// JSON-RPC answered in process. The requirement carries extra.recentBlockhash, decimals and
// tokenProgram, so our client makes no RPC call at all; the official one still asks getAccountInfo
// for the mint once per client (then caches it), which the stub below answers from fixed data.
import { createHash } from 'node:crypto';

export const SOLANA_MAINNET = 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp';
export const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
export const USDC_MINT = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';

const seedOf = (label) => new Uint8Array(createHash('sha256').update(`x402-wasm/bench/${label}`).digest());
/** The payer's 32-byte ed25519 seed (a fixed test key, never funded). */
export const SVM_SEED = seedOf('payer');
/** Its address, checked against both libraries' derivations in run.mjs. */
export const SVM_PAYER = '6n87jG7uPMLGcwfE6N52xKz9G1x3r1dsg9tjD98uZVtq';
const PAY_TO = '3Wd3Zh4aqiZkZ2HTCWsvZMHae68S4dFmnHQB3fVb532b'; // public key of seedOf('payTo')
const FEE_PAYER = 'EbcE3zfieySmHHrDKu6ERDJXRTjSocXK7qcyinAVSn17'; // public key of seedOf('feePayer')
const BLOCKHASH = '8bMho5946euBGUGP6g18jxUUvgbHUy2zpeYg5NAZg5WG'; // base58(sha256(.../blockhash))
/** The 16 memo bytes our side is given (the official client draws its own). */
export const MEMO_BYTES = '78343032207761736d2062656e636821';

export const SVM_REQUIREMENT = {
  scheme: 'exact',
  network: SOLANA_MAINNET,
  amount: '10000',
  asset: USDC_MINT,
  payTo: PAY_TO,
  maxTimeoutSeconds: 60,
  extra: { feePayer: FEE_PAYER, recentBlockhash: BLOCKHASH, decimals: 6, tokenProgram: TOKEN_PROGRAM },
};

export const SVM_PAYMENT_REQUIRED = {
  x402Version: 2,
  resource: { url: 'https://api.example.com/premium-data', description: 'Premium market data', mimeType: 'application/json' },
  accepts: [SVM_REQUIREMENT],
};

/** SPL Mint account data (82 bytes): no authorities, supply 10^15, 6 decimals, initialized. */
function mintAccountData() {
  const d = Buffer.alloc(82);
  d.writeBigUInt64LE(10n ** 15n, 36);
  d[44] = 6;
  d[45] = 1;
  return d.toString('base64');
}
const MINT_DATA = mintAccountData();

/**
 * A fetch that answers Solana JSON-RPC in process (no socket): getAccountInfo for the mint and
 * getLatestBlockhash, from fixed data. `calls` lists the methods asked.
 */
export function rpcStubFetch() {
  const calls = [];
  const context = { slot: 300000000, apiVersion: '2.1.0' };
  async function stub(input, init) {
    const body = init?.body ?? (input instanceof Request ? await input.text() : undefined);
    const msg = JSON.parse(body);
    calls.push(msg.method);
    let result;
    if (msg.method === 'getAccountInfo' && msg.params?.[0] === USDC_MINT) {
      result = {
        context,
        value: { data: [MINT_DATA, 'base64'], executable: false, lamports: 1461600, owner: TOKEN_PROGRAM, rentEpoch: 0, space: 82 },
      };
    } else if (msg.method === 'getLatestBlockhash') {
      result = { context, value: { blockhash: BLOCKHASH, lastValidBlockHeight: 312345678 } };
    }
    const reply = result ? { jsonrpc: '2.0', id: msg.id, result }
      : { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `bench stub: ${msg.method}` } };
    return new Response(JSON.stringify(reply), { headers: { 'content-type': 'application/json' } });
  }
  return { fetch: stub, calls };
}
