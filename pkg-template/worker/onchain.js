// When a facilitator's /settle gives no answer (a timeout, a 5xx, a dropped connection), the payment
// may have settled anyway: the payer would be charged and not served. For an EIP-3009 payment on a
// network the gate has a JSON-RPC URL for (`rpc` option), the chain is asked: the token emits
// AuthorizationUsed(authorizer, nonce) when it executes the signed authorization (a cancellation
// emits AuthorizationCanceled instead), and the transaction that did is the settlement.
import { X402Error } from '../errors.js';
import { aborted, discard, readCapped } from '../body.js';
import { caip2 } from './receipt.js';

/** keccak256("AuthorizationUsed(address,bytes32)"), the EIP-3009 event. */
const AUTHORIZATION_USED = '0x98de503528ee59b575ef0c0a2576a82497bfc029a5685b209e9ec333479b10a5';
/** keccak256("Transfer(address,address,uint256)"), the ERC-20 event. */
const TRANSFER = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
/** Blocks looked back from the head: far more than a /settle (90 s by default) spans on any chain. */
const LOOKBACK = 1000n;
/** Times the logs are read, a second apart: a transaction sent just before the timeout may still mine. */
const TRIES = 3;
/** The longest the whole lookup may take (ms), whatever the node does; and the largest answer read (bytes). */
const LOOKUP_MS = 5000;
const MAX_ANSWER = 1024 * 1024;
/**
 * How far (seconds) a block's timestamp may be before the moment this /settle began and still be
 * taken as its transaction: the chain's clock and the Worker's differ a little. An older one is an
 * earlier settlement of the same payment (a replay that another isolate's store let through).
 */
const CLOCK_SKEW_S = 5;

/**
 * `rpc`: `{ [network]: url }` (EVM networks, CAIP-2; http(s) URLs), or a function of env returning
 * one (checked when called); undefined when absent. Throws INVALID_ARGUMENT for anything else.
 * @returns {Record<string, string> | Function | undefined}
 */
export function checkRpc(rpc, where) {
  if (rpc === undefined || typeof rpc === 'function') return rpc;
  const plain = rpc !== null && typeof rpc === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(rpc));
  const entries = plain ? Object.entries(rpc) : null;
  const bad = entries === null || entries.some(([network, url]) => !/^eip155:\d+$/.test(network) || !httpUrl(url));
  if (bad) throw new X402Error(`${where}: rpc must map EVM networks ("eip155:<chain id>") to http(s) JSON-RPC URLs`, 'INVALID_ARGUMENT');
  return rpc;
}

function httpUrl(url) {
  if (typeof url !== 'string') return false;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The settlement of `payment` (a decoded v1 or v2 payload) for `requirement` found on chain in a
 * block of `began` (Unix seconds: when this /settle began) or later, or undefined when it is not
 * found, not an EIP-3009 payment, or no RPC URL is given for its network, or the node behind it
 * says it serves another chain.
 */
export async function settledOnChain(payment, requirement, rpc, began) {
  const network = requirement?.network;
  const named = typeof network === 'string' ? caip2(network) : undefined;
  const url = named === undefined ? undefined : rpc?.[named];
  const authorization = payment?.payload?.authorization;
  const { from, to, value, nonce } = authorization ?? {};
  const address = /^0x[0-9a-fA-F]{40}$/;
  if (!url || !address.test(from) || !address.test(to) || !/^\d{1,78}$/.test(value) || !/^0x[0-9a-fA-F]{64}$/.test(nonce)) return undefined;
  const chainId = BigInt(named.slice('eip155:'.length));
  const topics = [AUTHORIZATION_USED, word(from), nonce.toLowerCase()];
  let onChain = false; // the node said it serves the payment's chain
  const deadline = Date.now() + LOOKUP_MS;
  for (let attempt = 0; attempt < TRIES && Date.now() < deadline - 1000; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => { setTimeout(resolve, 1000); });
    try {
      // Once per check: a URL mapped to another chain (or a node saying so) is not asked further.
      if (!onChain) {
        if (quantity(await call(url, 'eth_chainId', [], deadline)) !== chainId) return undefined;
        onChain = true;
      }
      const head = quantity(await call(url, 'eth_blockNumber', [], deadline));
      const fromBlock = head > LOOKBACK ? head - LOOKBACK : 0n;
      const filter = { address: requirement.asset, fromBlock: `0x${fromBlock.toString(16)}`, toBlock: 'latest', topics };
      const logs = await call(url, 'eth_getLogs', [filter], deadline);
      for (const used of Array.isArray(logs) ? logs : []) {
        // Only a log the filter asked for, in the blocks it asked about.
        if (used?.removed === true || !isEvent(used, requirement.asset, topics) || !HASH.test(used.transactionHash)) continue;
        if (quantity(used.blockNumber) < fromBlock) continue;
        // The payer's nonce was used; by this authorization only if the same transaction moved its
        // value from the payer to its recipient right then (the payer may have signed another
        // authorization under the same nonce, and had that one executed instead).
        if (await transferredWith(url, used, requirement.asset, { from, nonce, to, value, since: began - CLOCK_SKEW_S }, deadline)) {
          return { success: true, transaction: used.transactionHash, network, payer: from };
        }
      }
    } catch {
      // The node is unreachable or answers nonsense: the outcome stays unknown.
    }
  }
  return undefined;
}

/**
 * Whether `used`'s transaction executed this authorization within the lookup's time: its receipt
 * (status 1) holds the token's AuthorizationUsed(from, nonce) (the log found) and, right after it,
 * the Transfer of `value` from `from` to `to` (what EIP-3009's transferWithAuthorization emits), in
 * a block of `since` or later. The node's answers are checked here, not trusted, and against each
 * other: the log, the receipt, its logs and the block name one transaction in one block.
 */
async function transferredWith(url, used, asset, { from, nonce, to, value, since }, deadline) {
  const tx = used.transactionHash;
  const receipt = await call(url, 'eth_getTransactionReceipt', [tx], deadline);
  if (receipt?.status !== '0x1' || !Array.isArray(receipt.logs)) return false;
  const inBlock = (x) => sameHash(x?.transactionHash, tx) && sameHash(x?.blockHash, used.blockHash) && quantity(x?.blockNumber) === quantity(used.blockNumber);
  const at = receipt.logs.findIndex((log) => isEvent(log, asset, [AUTHORIZATION_USED, word(from), nonce]));
  const [authorized, next] = [receipt.logs[at], receipt.logs[at + 1]];
  if (at < 0 || !inBlock(receipt) || !inBlock(authorized) || !inBlock(next)) return false;
  if (quantity(authorized.logIndex) !== quantity(used.logIndex) || quantity(next.logIndex) !== quantity(used.logIndex) + 1n) return false;
  if (!isEvent(next, asset, [TRANSFER, word(from), word(to)]) || BigInt(next.data) !== BigInt(value)) return false;
  // An older block settled this payment before this /settle began.
  const block = await call(url, 'eth_getBlockByNumber', [receipt.blockNumber, false], deadline);
  return sameHash(block?.hash, used.blockHash) && quantity(block.number) === quantity(used.blockNumber) && Number(quantity(block.timestamp)) >= since;
}

/** A JSON-RPC quantity ("0x" hex) as a BigInt; throws for anything else (the read then fails). */
function quantity(x) {
  if (typeof x !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(x)) throw new Error(`JSON-RPC answer ${JSON.stringify(x)} is not a quantity`);
  return BigInt(x);
}

/** A 32-byte hash (a transaction's, a block's) in hex. */
const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Whether `hash` is a 32-byte hex string equal to `other` (any case). */
const sameHash = (hash, other) => typeof hash === 'string' && HASH.test(hash) && hash.toLowerCase() === String(other).toLowerCase();

/** Whether `log` is emitted by `address` with exactly `topics` (hex, any case). */
function isEvent(log, address, topics) {
  const lower = (x) => String(x).toLowerCase();
  return (
    lower(log?.address) === lower(address) &&
    Array.isArray(log.topics) &&
    log.topics.length === topics.length &&
    log.topics.every((topic, i) => lower(topic) === lower(topics[i]))
  );
}

/** An address as a 32-byte topic. */
const word = (address) => `0x${address.slice(2).toLowerCase().padStart(64, '0')}`;

async function call(url, method, params, deadline) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('JSON-RPC call timed out')), Math.max(0, deadline - Date.now()));
  const stopped = aborted(controller.signal);
  try {
    // The deadline covers the whole answer, body included, whatever the runtime's fetch does with it.
    const response = await Promise.race([fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: controller.signal,
      // A redirect to another host is not followed: a 3xx is a failed read, as a 5xx is.
      redirect: 'manual',
    }), stopped]);
    if (!response.ok || response.redirected === true) {
      discard(response);
      throw new Error(`JSON-RPC ${method} answered ${response.status}`);
    }
    const text = await Promise.race([readCapped(response, MAX_ANSWER, () => new Error('JSON-RPC answer too large')), stopped]);
    const answer = JSON.parse(text);
    if (answer?.error || !('result' in (answer ?? {}))) throw new Error(`JSON-RPC ${method} failed`);
    return answer.result;
  } finally {
    clearTimeout(timer);
  }
}
