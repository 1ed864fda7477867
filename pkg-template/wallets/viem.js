// viemWallet: an x402 wallet adapter over a viem Account (privateKeyToAccount, mnemonicToAccount, ...)
// or a viem WalletClient. Thin on purpose: viem signs (and a WalletClient sends transactions); this
// only adapts the shape, puts a JSON-RPC wallet on the right chain, and maps viem's errors to
// X402Error codes.
import { PROVIDER_STATES, X402Error, accountsWithoutPrompt, ownAdapter, sendError, walletError } from '../errors.js';
import { rpcTransaction, switchedTo, transactionHash, transactionRequest } from './transaction.js';

/**
 * Wraps a viem Account or WalletClient as an x402 EVM wallet. viem is not imported: any object of
 * the same shape works.
 *
 * @param {object} accountOrWalletClient a LocalAccount (`address`, `signTypedData(typedData)`) or a
 *   WalletClient (`request`, `signTypedData({ account, ...typedData })`, optional `account`,
 *   `getChainId()`, `switchChain({ id })`, `sendTransaction(...)`). Only a WalletClient can send
 *   transactions (direct transfers): a bare Account has no node to broadcast through, so its
 *   adapter has no sendTransaction.
 */
export function viemWallet(accountOrWalletClient) {
  const target = accountOrWalletClient;
  if (target && typeof target.request === 'function' && typeof target.signTypedData === 'function') {
    return walletClientAdapter(target);
  }
  if (target && typeof target.address === 'string' && typeof target.signTypedData === 'function') {
    return accountAdapter(target);
  }
  throw new X402Error(
    'viemWallet needs a viem Account with signTypedData (e.g. privateKeyToAccount) or a WalletClient',
    'INVALID_ARGUMENT',
  );
}

/**
 * A local account: its address never changes, so it is exposed as `address` too. It has no node
 * to send through, so no sendTransaction: direct transfers need a WalletClient
 * (`createWalletClient({ account, chain, transport: http(rpcUrl) })`), and wrapFetch picks another
 * wallet for them, or refuses with WALLET_UNSUPPORTED before asking the user. Its signTransaction
 * (signing, not sending) serves the ERC-20 approval a gas-sponsoring 402 asks for.
 */
function accountAdapter(account) {
  // A smart account (toCoinbaseSmartAccount, toSafeSmartAccount...) signs for the chain of its
  // client (its replay-safe hash, its deployment): a signature for another chain's payment would
  // not verify there. It pays on that chain only, and says so (`networks`), so it is not chosen
  // for another.
  const chain = account.type === 'smart' ? account.client?.chain?.id : undefined;
  const bound = chain === undefined ? {} : { networks: [`eip155:${chain}`] };
  return ownAdapter({
    kind: 'evm',
    address: account.address,
    account,
    ...bound,
    getAddress: async () => account.address,
    signTypedData: async (typedData) => {
      const wanted = typedData?.domain?.chainId;
      if (chain !== undefined && wanted != null && Number(wanted) !== chain) {
        throw new X402Error(`this smart account signs on chain ${chain} only, not ${wanted}`, 'CHAIN_NOT_AVAILABLE');
      }
      return viemCall('signTypedData', () => account.signTypedData(typedData));
    },
    ...localSignTransaction(account),
  });
}

/**
 * `signTransaction` for a local account (one with the key in hand: viem's `type: 'local'`), which
 * signs without sending; a JSON-RPC account would need eth_signTransaction, which browser wallets
 * refuse, so it gets none. The core checks what comes back: exactly the transaction asked, signed by
 * the account (WALLET_ALTERED_TRANSACTION, SIGNER_MISMATCH otherwise).
 */
function localSignTransaction(account) {
  if (account?.type !== 'local' || typeof account.signTransaction !== 'function') return {};
  return {
    signTransaction: async (tx, options) => {
      options?.signal?.throwIfAborted();
      return viemCall('signTransaction', () => account.signTransaction(tx));
    },
  };
}

function walletClientAdapter(client) {
  const request = (method) => viemCall(method, () => client.request({ method }));

  // The client's hoisted account if it has one, else what the wallet gives (asking only when not
  // connected: no accounts, or eth_accounts refused 4100 until then, as the Coinbase Wallet SDK does).
  async function signer() {
    if (client.account) return client.account;
    let accounts = await accountsWithoutPrompt(
      () => client.request({ method: 'eth_accounts' }),
      rpcCode,
      (error) => mapError(error, 'eth_accounts'),
    );
    if (!Array.isArray(accounts) || accounts.length === 0) {
      // A prompt is never repeated: viem retries a failed request unless told not to.
      accounts = await viemCall('eth_requestAccounts', () => client.request({ method: 'eth_requestAccounts' }, { retryCount: 0 }));
    }
    const address = Array.isArray(accounts) ? accounts.find((a) => typeof a === 'string') : undefined;
    if (!address) throw new X402Error('the wallet did not give an account', 'WALLET_ACCOUNT_UNAVAILABLE');
    return address;
  }

  // A JSON-RPC wallet refuses to sign for a chain other than its own; a local key does not care.
  async function ensureChain(account, chainId, signal) {
    if (chainId == null || account?.type === 'local' || typeof client.switchChain !== 'function') return;
    const id = Number(chainId);
    const readChain = typeof client.getChainId === 'function'
      ? () => viemCall('eth_chainId', () => client.getChainId())
      : undefined;
    const current = readChain ? await readChain() : client.chain?.id;
    if (current === undefined || Number(current) === id) return;
    try {
      await client.switchChain({ id });
    } catch (error) {
      // A refusal, a request already pending (-32002) or a disconnected wallet (4900/4901) is
      // not a chain the wallet lacks: it says what happened.
      if (PROVIDER_STATES.includes(rpcCode(error))) throw mapError(error, 'wallet_switchEthereumChain');
      throw new X402Error(`the wallet cannot switch to chain ${id}`, 'CHAIN_NOT_AVAILABLE', { cause: error });
    }
    // The switch may take effect after it resolved (MetaMask): signing before would be refused.
    if (readChain && !(await switchedTo(readChain, id, signal))) {
      throw new X402Error(`the wallet did not switch to chain ${id}`, 'CHAIN_NOT_AVAILABLE');
    }
  }

  // Sends from the client's account once the client is on the transaction's chain. A JSON-RPC
  // wallet gets eth_sendTransaction naming the chainId (viem leaves it out), so a wallet switched to
  // another chain meanwhile refuses instead of sending the call there; a local account signs for
  // the transaction's chain (`chain`, not `client.chain`, which may be unset), which another
  // chain's node refuses.
  async function sendTransaction(tx, ctx) {
    const checked = transactionRequest(tx);
    const { chainId, to, data, value } = checked;
    const account = await signer();
    // Nothing is sent once the paying fetch's signal has aborted (a prompt may take long).
    ctx?.signal?.throwIfAborted();
    await ensureChain(account, chainId, ctx?.signal);
    await requireChain(chainId);
    ctx?.signal?.throwIfAborted();
    const chain = { id: Number(chainId), name: `chain ${chainId}` };
    const from = typeof account === 'string' ? account : account?.type === 'json-rpc' ? account.address : undefined;
    let hash;
    try {
      hash = from
        ? await client.request(
          { method: 'eth_sendTransaction', params: [rpcTransaction(from, checked)] },
          // Never retried: a wallet that sent and then failed would be asked to send again.
          { retryCount: 0 },
        )
        : await client.sendTransaction({ account, to, data, value, chain });
    } catch (error) {
      if (findCause(error, (e) => e.name === 'ChainMismatchError')) {
        throw new X402Error(`the wallet left chain ${chainId} before sending`, 'CHAIN_NOT_AVAILABLE', { cause: error });
      }
      throw sendError(error, 'sendTransaction', rpcCode(error));
    }
    return transactionHash(hash, 'sendTransaction');
  }

  // CHAIN_NOT_AVAILABLE unless the client's node is on `chainId`.
  async function requireChain(chainId) {
    const current = Number(await request('eth_chainId'));
    if (current !== Number(chainId)) {
      throw new X402Error(`the wallet is on chain ${current}, not ${chainId}`, 'CHAIN_NOT_AVAILABLE');
    }
  }

  // The JSON-RPC receipt (hex quantities, status 0x1 / 0x0), or null while pending.
  async function getTransactionReceipt(hash) {
    const params = [hash];
    return (await viemCall('eth_getTransactionReceipt', () => client.request({ method: 'eth_getTransactionReceipt', params }))) ?? null;
  }

  // The code at `address` on the client's node (see eip1193Wallet's getCode), when the client is
  // on `context.chainId`: a node on another chain would answer for another account. A read never
  // prompts a chain switch.
  async function getCode(address, context) {
    if (context?.chainId != null) await requireChain(context.chainId);
    const params = [address, 'latest'];
    return viemCall('eth_getCode', () => client.request({ method: 'eth_getCode', params }));
  }

  // A read-only eth_call on the client's node, on `context.chainId` (see eip1193Wallet's ethCall).
  async function ethCall(request, context) {
    if (context?.chainId != null) await requireChain(context.chainId);
    const params = [{ to: request.to, data: request.data }, 'latest'];
    return viemCall('eth_call', () => client.request({ method: 'eth_call', params }));
  }

  return ownAdapter({
    kind: 'evm',
    walletClient: client,
    ethCall,
    ...(typeof client.sendTransaction === 'function' && { sendTransaction }),
    ...localSignTransaction(client.account),
    getTransactionReceipt,
    getCode,
    async getAddress() {
      const account = await signer();
      return typeof account === 'string' ? account : account.address;
    },
    async signTypedData(typedData, options) {
      const account = await signer();
      options?.signal?.throwIfAborted();
      await ensureChain(account, typedData?.domain?.chainId, options?.signal);
      options?.signal?.throwIfAborted();
      return viemCall('signTypedData', () => client.signTypedData({ ...typedData, account }));
    },
  });
}

async function viemCall(what, fn) {
  try {
    return await fn();
  } catch (error) {
    throw mapError(error, what);
  }
}

/**
 * The EIP-1193 code behind a viem error: viem wraps provider errors (UserRejectedRequestError has
 * code 4001) and may nest them as `cause`.
 */
function rpcCode(error) {
  const found = findCause(error, (e) => e.name === 'UserRejectedRequestError' || typeof e.code === 'number');
  return found?.name === 'UserRejectedRequestError' ? 4001 : found?.code;
}

/** The first of `error` and its causes (at most 8 deep) that `test` accepts. */
function findCause(error, test) {
  for (let e = error, depth = 0; e && depth < 8; e = e.cause, depth += 1) {
    if (test(e)) return e;
  }
  return undefined;
}

function mapError(error, what) {
  return walletError(error, what, rpcCode(error));
}
