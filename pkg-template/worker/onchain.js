// When a facilitator's /settle gives no answer (a timeout, a 5xx, a dropped connection), the payment
// may have settled anyway: the payer would be charged and not served. For an EIP-3009 payment on a
// network the gate has a JSON-RPC URL for (`rpc` option), the chain is asked: the token emits
// AuthorizationUsed(authorizer, nonce) when it executes the signed authorization (a cancellation
// emits AuthorizationCanceled instead), and the transaction that did is the settlement.
import { X402Error } from '../errors.js';
import { readCapped } from '../body.js';

/** keccak256("AuthorizationUsed(address,bytes32)"), the EIP-3009 event. */
const AUTHORIZATION_USED = '0x98de503528ee59b575ef0c0a2576a82497bfc029a5685b209e9ec333479b10a5';
/** Blocks looked back from the head: far more than a /settle (90 s by default) spans on any chain. */
const LOOKBACK = 1000n;
/** Times the logs are read, a second apart: a transaction sent just before the timeout may still mine. */
const TRIES = 3;
/** The longest a JSON-RPC call may take (ms), and the largest answer read (bytes). */
const RPC_MS = 5000;
const MAX_ANSWER = 1024 * 1024;

/**
 * `rpc`: `{ [network]: url }` (CAIP-2 networks, http(s) URLs), checked at startup; undefined when absent.
 * @returns {Record<string, string> | undefined}
 */
export function checkRpc(rpc, where) {
  if (rpc === undefined) return undefined;
  const entries = rpc !== null && typeof rpc === 'object' && !Array.isArray(rpc) ? Object.entries(rpc) : null;
  const bad = entries === null || entries.some(([network, url]) => !/^eip155:\d+$/.test(network) || typeof url !== 'string' || !/^https?:\/\//.test(url));
  if (bad) throw new X402Error(`${where}: rpc must map EVM networks ("eip155:<chain id>") to http(s) JSON-RPC URLs`, 'INVALID_ARGUMENT');
  return rpc;
}

/**
 * The settlement of `payment` (a decoded v1 or v2 payload) for `requirement` found on chain, or
 * undefined when it is not found, not an EIP-3009 payment, or no RPC URL is given for its network.
 */
export async function settledOnChain(payment, requirement, rpc) {
  const network = requirement?.network;
  const url = rpc?.[network];
  const authorization = payment?.payload?.authorization;
  const { from, nonce } = authorization ?? {};
  if (!url || typeof from !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(from) || typeof nonce !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(nonce)) return undefined;
  const filter = (head) => ({
    address: requirement.asset,
    fromBlock: `0x${(head > LOOKBACK ? head - LOOKBACK : 0n).toString(16)}`,
    toBlock: 'latest',
    topics: [AUTHORIZATION_USED, `0x${from.slice(2).toLowerCase().padStart(64, '0')}`, nonce.toLowerCase()],
  });
  for (let attempt = 0; attempt < TRIES; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => { setTimeout(resolve, 1000); });
    try {
      const head = BigInt(await call(url, 'eth_blockNumber', []));
      const logs = await call(url, 'eth_getLogs', [filter(head)]);
      const used = Array.isArray(logs) ? logs.find((log) => log?.removed !== true && typeof log?.transactionHash === 'string') : undefined;
      if (used) return { success: true, transaction: used.transactionHash, network, payer: from };
    } catch {
      // The node is unreachable or answers nonsense: the outcome stays unknown.
    }
  }
  return undefined;
}

async function call(url, method, params) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), RPC_MS);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: controller.signal,
    });
    const text = await readCapped(response, MAX_ANSWER, () => new Error('JSON-RPC answer too large'));
    const answer = JSON.parse(text);
    if (!response.ok || answer?.error || !('result' in (answer ?? {}))) throw new Error(`JSON-RPC ${method} failed`);
    return answer.result;
  } finally {
    clearTimeout(timer);
  }
}
