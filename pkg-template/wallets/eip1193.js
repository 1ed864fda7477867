// eip1193Wallet: an x402 wallet adapter over an injected EIP-1193 provider (MetaMask, Coinbase Wallet,
// WalletConnect, ...). Thin on purpose: it finds the account, puts the wallet on the chain of the
// typed data (or transaction) and asks for eth_signTypedData_v4 (or eth_sendTransaction). What to
// sign or send is the core's business.
import { PROVIDER_STATES, X402Error, accountsWithoutPrompt, ownAdapter, sendError, walletError } from '../errors.js';
import { rpcTransaction, switchedTo, transactionHash, transactionRequest } from './transaction.js';

/** EIP-712 domain members in canonical order, with their types. */
const DOMAIN_FIELDS = [
  ['name', 'string'],
  ['version', 'string'],
  ['chainId', 'uint256'],
  ['verifyingContract', 'address'],
  ['salt', 'bytes32'],
];

/**
 * Wraps an EIP-1193 provider (`window.ethereum`, a WalletConnect provider) as an x402 EVM wallet.
 * Nothing is cached: the account and the chain are read again on every call, since the user can
 * switch either at any time.
 *
 * @param {{ request(args: { method: string, params?: unknown }): Promise<unknown> }} provider
 * @param {{ account?: string, chains?: Record<string, object> | object[] }} [options]
 *   `account` picks one of the wallet's accounts; `chains` holds EIP-3085 `wallet_addEthereumChain`
 *   parameters, keyed by chain id (or as a list), offered when the wallet does not know a chain.
 */
export function eip1193Wallet(provider, options = {}) {
  if (!provider || typeof provider.request !== 'function') {
    throw new X402Error('eip1193Wallet needs an EIP-1193 provider (an object with request())', 'INVALID_ARGUMENT');
  }
  if (options.account !== undefined && typeof options.account !== 'string') {
    throw new X402Error('eip1193Wallet: options.account must be an address string', 'INVALID_ARGUMENT');
  }
  const call = async (method, params, mapError = walletError) => {
    try {
      return await provider.request(params === undefined ? { method } : { method, params });
    } catch (error) {
      throw mapError(error, method, rpcCode(error));
    }
  };

  async function getAddress() {
    let accounts = await accountsWithoutPrompt(
      () => provider.request({ method: 'eth_accounts' }),
      rpcCode,
      (error) => providerError(error, 'eth_accounts'),
    );
    // Only a page that is not connected yet asks the user; a connected one must not re-prompt.
    if (!Array.isArray(accounts) || accounts.length === 0) accounts = await call('eth_requestAccounts');
    const list = Array.isArray(accounts) ? accounts.filter((a) => typeof a === 'string') : [];
    const wanted = options.account?.toLowerCase();
    const address = wanted ? list.find((a) => a.toLowerCase() === wanted) : list[0];
    if (!address) {
      const which = options.account ? `account ${options.account}` : 'an account';
      throw new X402Error(`the wallet did not give ${which}`, 'WALLET_ACCOUNT_UNAVAILABLE');
    }
    return address;
  }

  async function currentChain() {
    const value = await call('eth_chainId');
    const id = asChainId(value);
    if (id === undefined) throw new X402Error(`eth_chainId answered ${value}, not a chain id`, 'WALLET_ERROR');
    return id;
  }

  async function ensureChain(chainId, signal) {
    if ((await currentChain()) === chainId) return;
    const hex = `0x${chainId.toString(16)}`;
    try {
      await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: hex }] });
    } catch (error) {
      const code = rpcCode(error);
      const chain = code === 4902 ? findChain(options.chains, chainId) : undefined;
      // A refusal, a request already pending (-32002) or a disconnected wallet (4900/4901) is
      // not a chain the wallet lacks: it says what happened.
      if (PROVIDER_STATES.includes(code)) throw providerError(error, 'wallet_switchEthereumChain');
      if (!chain) throw chainNotAvailable(chainId, error);
      // After the add, as before it: a refusal or a wallet state says what happened; any other
      // failure (invalid parameters, the chain still unknown) is a chain the wallet cannot use.
      const cannotSwitch = (failure, method, failed) => (failed === 4001 || PROVIDER_STATES.includes(failed)
        ? walletError(failure, method, failed)
        : chainNotAvailable(chainId, failure));
      await call('wallet_addEthereumChain', [{ ...chain, chainId: hex }], cannotSwitch);
      await call('wallet_switchEthereumChain', [{ chainId: hex }], cannotSwitch);
    }
    // Some wallets resolve before switching, or ignore the request: check before signing.
    if (!(await switchedTo(currentChain, chainId, signal))) throw chainNotAvailable(chainId);
  }

  /** `options.signal` (the paying fetch's): no signature is asked for once it has aborted. */
  async function signTypedData(typedData, options) {
    if (!typedData || typeof typedData !== 'object') {
      throw new X402Error('signTypedData needs typed data { domain, types, primaryType, message }', 'INVALID_ARGUMENT');
    }
    const address = await getAddress();
    options?.signal?.throwIfAborted();
    const { domain = {}, types, primaryType, message } = typedData;
    if (domain.chainId != null) await ensureChain(toChainId(domain.chainId), options?.signal);
    // The call may have been aborted while the wallet switched chains.
    options?.signal?.throwIfAborted();
    const present = DOMAIN_FIELDS.filter(([name]) => domain[name] != null);
    const typed = {
      types: { EIP712Domain: present.map(([name, type]) => ({ name, type })), ...types },
      domain: Object.fromEntries(present.map(([name]) => [name, domain[name]])),
      primaryType,
      message,
    };
    const json = JSON.stringify(typed, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    const signature = await call('eth_signTypedData_v4', [address, json]);
    if (typeof signature !== 'string') {
      throw new X402Error('eth_signTypedData_v4 did not return a hex string', 'WALLET_ERROR');
    }
    return signature;
  }

  /**
   * Sends `{ chainId, to, data?, value? }` from the wallet's account on `chainId`; resolves to the
   * hash. `ctx.signal` (the paying fetch's): nothing is sent once it has aborted.
   */
  async function sendTransaction(tx, ctx) {
    const request = transactionRequest(tx);
    const from = await getAddress();
    ctx?.signal?.throwIfAborted();
    await ensureChain(request.chainId, ctx?.signal);
    // The call may have been aborted while the wallet switched chains.
    ctx?.signal?.throwIfAborted();
    // chainId too: a wallet switched to another chain after ensureChain refuses instead of
    // sending the call to the same address on that chain.
    return transactionHash(await call('eth_sendTransaction', [rpcTransaction(from, request)], sendError), 'eth_sendTransaction');
  }

  /** The JSON-RPC receipt of `hash` from the wallet's node, or null while it is pending. */
  async function getTransactionReceipt(hash) {
    return (await call('eth_getTransactionReceipt', [hash])) ?? null;
  }

  /**
   * The code at `address` (eth_getCode), on `context.chainId` when given. The core asks when the
   * wallet's signature does not recover the account's address: a one-owner Safe, an EIP-7702
   * account. Code means the account answers for its own signatures on chain. A read never prompts:
   * a wallet that left that chain since signing is CHAIN_NOT_AVAILABLE, not switched back.
   */
  async function getCode(address, context) {
    if (context?.chainId != null) {
      const chainId = toChainId(context.chainId);
      if ((await currentChain()) !== chainId) throw chainNotAvailable(chainId);
    }
    return call('eth_getCode', [address, 'latest']);
  }

  /**
   * A read-only `eth_call` of `request.data` on `request.to`, on `context.chainId` as getCode: the
   * core reads a token's Permit2 allowance and permit nonce with it (EIP-2612 gas sponsoring).
   */
  async function ethCall(request, context) {
    if (context?.chainId != null) {
      const chainId = toChainId(context.chainId);
      if ((await currentChain()) !== chainId) throw chainNotAvailable(chainId);
    }
    return call('eth_call', [{ to: request.to, data: request.data }, 'latest']);
  }

  // `account` is a member (not only in the closures) so that two adapters of one provider for
  // different accounts differ in value: X402Provider declines an open question when it changes.
  return ownAdapter({ kind: 'evm', getAddress, signTypedData, sendTransaction, getTransactionReceipt, getCode, ethCall, provider, account: options.account });
}

function toChainId(value) {
  const id = asChainId(value);
  if (id === undefined) throw new X402Error(`typed data has chainId ${value}, not an integer`, 'INVALID_ARGUMENT');
  return id;
}

/** A chain id (number, bigint, decimal or 0x string) as a bigint, or undefined. */
function asChainId(value) {
  if (value == null || value === '') return undefined;
  try {
    return BigInt(value);
  } catch {
    return undefined;
  }
}

/** The EIP-3085 parameters offered for `chainId`, from a map keyed by id or a list. */
function findChain(chains, chainId) {
  if (!chains) return undefined;
  if (Array.isArray(chains)) {
    return chains.find((c) => asChainId(c?.chainId) === chainId);
  }
  return chains[chainId.toString()] ?? chains[`0x${chainId.toString(16)}`];
}

function chainNotAvailable(chainId, cause) {
  return new X402Error(`the wallet cannot switch to chain ${chainId}`, 'CHAIN_NOT_AVAILABLE', { cause });
}

/** The EIP-1193 code of an error; MetaMask Mobile nests it in data.originalError. */
function rpcCode(error) {
  return error?.data?.originalError?.code ?? error?.code;
}

/** Maps an EIP-1193 error to an X402Error keeping it as cause. */
function providerError(error, method) {
  return walletError(error, method, rpcCode(error));
}
