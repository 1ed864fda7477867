// transactionRequest: the checks the EVM wallet adapters make on a sendTransaction request before
// they hand it to the wallet. The core sends them checked requests; this guards direct callers.
import { X402Error } from '../errors.js';

/**
 * Checks `{ chainId, to, data?, value? }` and returns it with `chainId` and `value` as bigints
 * (value defaults to 0) and `data` as 0x hex (default `0x`). Throws INVALID_ARGUMENT.
 *
 * @param {unknown} tx
 * @returns {{ chainId: bigint, to: `0x${string}`, data: `0x${string}`, value: bigint }}
 */
export function transactionRequest(tx) {
  const bad = (what) => new X402Error(`sendTransaction: ${what}`, 'INVALID_ARGUMENT');
  if (!tx || typeof tx !== 'object') throw bad('the transaction must be an object { chainId, to, data, value }');
  const chainId = integer(tx.chainId);
  if (chainId === undefined || chainId <= 0n) throw bad(`chainId ${tx.chainId} is not a positive integer`);
  if (typeof tx.to !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(tx.to)) throw bad('to must be a 0x address');
  const data = tx.data ?? '0x';
  if (typeof data !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(data)) throw bad('data must be 0x + hex bytes');
  const value = integer(tx.value ?? 0n);
  if (value === undefined || value < 0n) throw bad(`value ${tx.value} is not an amount of wei`);
  return { chainId, to: tx.to, data, value };
}

/** A checked request as eth_sendTransaction takes it: hex quantities, `chainId` named. */
export function rpcTransaction(from, { chainId, to, data, value }) {
  return { from, to, data, value: `0x${value.toString(16)}`, chainId: `0x${chainId.toString(16)}` };
}

/** `hash` when it is a 0x transaction hash; else WALLET_ERROR (the wallet may have sent anyway). */
export function transactionHash(hash, what) {
  if (typeof hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(hash)) {
    throw new X402Error(`${what} did not return a transaction hash`, 'WALLET_ERROR');
  }
  return hash;
}

/** A number, bigint, decimal or 0x string as a bigint; undefined for anything else. */
function integer(value) {
  if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'string') return undefined;
  if (value === '') return undefined;
  try {
    return BigInt(value);
  } catch {
    return undefined;
  }
}

/** The pauses (ms) between reads of the wallet's chain while a switch it accepted takes effect. */
const SWITCH_WAITS = [50, 100, 200, 400, 750];

/**
 * Whether `readChain()` reports `chainId` after a chain switch the wallet accepted: MetaMask
 * resolves wallet_switchEthereumChain before eth_chainId says so (by about half a second), and
 * refuses typed data for the old chain meanwhile, so the chain is read again for up to 1.5 s.
 * Rejects with `signal`'s reason once it aborts.
 *
 * @param {() => Promise<bigint | number>} readChain
 * @param {bigint | number} chainId
 * @param {AbortSignal} [signal]
 */
export async function switchedTo(readChain, chainId, signal) {
  const wanted = BigInt(chainId);
  for (const wait of SWITCH_WAITS) {
    if (BigInt(await readChain()) === wanted) return true;
    signal?.throwIfAborted();
    await pause(wait, signal);
    signal?.throwIfAborted();
  }
  return BigInt(await readChain()) === wanted;
}

/** Resolves after `ms` milliseconds, or as soon as `signal` aborts. */
function pause(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
