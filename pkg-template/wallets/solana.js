// solanaWallet: an x402 wallet adapter over a Solana Wallet Standard wallet (the
// `solana:signTransaction` and/or `solana:signAndSendTransaction` features) or a
// wallet-adapter-style object (`publicKey`, `signTransaction(tx)`). Thin: the wallet signs (or
// signs and sends) wire bytes; the core checks what comes back, and submits what was only signed.
import { X402Error, ownAdapter, walletError } from '../errors.js';

/** Wallet Standard chain ids of the CAIP-2 Solana networks (genesis hash prefixes). */
const STANDARD_CHAINS = {
  'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp': 'solana:mainnet',
  'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1': 'solana:devnet',
  'solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z': 'solana:testnet',
};

/**
 * The Wallet Standard chain for a payment on CAIP-2 `network`: the cluster's standard name when
 * known, else `options.chain`, else the network itself.
 */
export function standardChain(network, chain) {
  return STANDARD_CHAINS[network] ?? chain ?? network;
}

/**
 * @param {object} wallet a Wallet Standard wallet (`accounts`, `features`) or an adapter
 *   (`publicKey`, `signTransaction`).
 * @param {{ account?: string, chain?: string, VersionedTransaction?: { deserialize(bytes: Uint8Array): any } }} [options]
 *   `VersionedTransaction` (from @solana/web3.js) is needed for adapters whose signTransaction takes
 *   a transaction object instead of bytes.
 */
export function solanaWallet(wallet, options = {}) {
  if (isStandard(wallet)) return standardAdapter(wallet, options);
  // @solana/wallet-adapter's StandardWalletAdapter (how wallet-adapter-react wraps Phantom, Solflare,
  // Backpack), or useWallet()'s value around one, wraps a Wallet Standard wallet: it is signed with
  // directly (no VersionedTransaction needed), and connected through the adapter, connected or not yet.
  const wrapper = isStandard(wallet?.wallet) ? wallet : wallet?.wallet?.adapter;
  if (isStandard(wrapper?.wallet) && typeof wrapper.connect === 'function') {
    return standardAdapter(wrapper.wallet, options, wrapper);
  }
  // An adapter has signTransaction, or (not connected yet) a publicKey member and connect().
  if (wallet && (typeof wallet.signTransaction === 'function' || ('publicKey' in wallet && typeof wallet.connect === 'function'))) {
    return adapterAdapter(wallet, options);
  }
  throw new X402Error('solanaWallet needs a Wallet Standard wallet or an adapter with signTransaction', 'INVALID_ARGUMENT');
}

/** Whether `wallet` is a Wallet Standard wallet with a Solana signing feature. */
function isStandard(wallet) {
  const features = wallet?.features;
  return Boolean(features?.['solana:signTransaction'] || features?.['solana:signAndSendTransaction']);
}

/**
 * `wrapper`, when given, is the wallet-adapter object around `wallet`: a wallet with no account
 * yet is connected through it (so the page's wallet state follows), else with `standard:connect`.
 */
function standardAdapter(wallet, options, wrapper) {
  const signFeature = wallet.features['solana:signTransaction'];
  const sendFeature = wallet.features['solana:signAndSendTransaction'];
  async function account() {
    let accounts = wallet.accounts ?? [];
    // Through the adapter whenever it says it is not connected (the page disconnected it, though
    // the wallet may still list accounts): nothing is signed for a page that shows "disconnected".
    if (wrapper && (accounts.length === 0 || wrapper.connected === false)) {
      await rejected(() => wrapper.connect());
      accounts = wallet.accounts ?? [];
    } else if (accounts.length === 0 && wallet.features['standard:connect']) {
      accounts = (await rejected(() => wallet.features['standard:connect'].connect())).accounts ?? [];
    }
    const found = options.account ? accounts.find((a) => a.address === options.account) : accounts[0];
    if (!found) throw new X402Error('the wallet has no such account', 'WALLET_ACCOUNT_UNAVAILABLE');
    return found;
  }
  // The wallet and the options are members (not only in the closures) so that adapters of two
  // wallets, or of one wallet's two accounts, differ in value: X402Provider declines an open
  // question when they change.
  const adapter = {
    kind: 'solana', wallet, account: options.account, chain: options.chain, getAddress: async () => (await account()).address,
  };
  if (signFeature) {
    adapter.signTransaction = async (bytes, ctx = {}) => {
      const found = await account();
      const input = { account: found, transaction: bytes };
      // The payment's cluster, for the wallet's simulation: options.chain, else the network's
      // standard name when the account says it is on it (a wallet may refuse a chain it lacks).
      const chain = options.chain ?? standardChain(ctx.network);
      if (options.chain || (Array.isArray(found.chains) && found.chains.includes(chain))) input.chain = chain;
      const [output] = await rejected(() => signFeature.signTransaction(input));
      return bytesOf(output?.signedTransaction, 'solana:signTransaction');
    };
  }
  if (sendFeature) {
    // Signs and submits through the wallet's own RPC; resolves to the signature (64 bytes).
    adapter.sendTransaction = async (bytes, ctx = {}) => {
      const chain = standardChain(ctx.network, options.chain);
      if (!chain) throw new X402Error('sendTransaction needs ctx.network or options.chain', 'INVALID_ARGUMENT');
      const input = { account: await account(), transaction: bytes, chain };
      // Nothing is sent once the paying fetch's signal has aborted.
      ctx.signal?.throwIfAborted();
      // Only the wallet's code says the user refused: its message may name a failure after sending.
      const [output] = await rejected(() => sendFeature.signAndSendTransaction(input), false);
      const signature = output?.signature;
      if (typeof signature === 'string') return signature;
      // Copied into this realm's Uint8Array (an extension's objects may come from another realm).
      if (signature && typeof signature.length === 'number') return Uint8Array.from(signature);
      throw new X402Error('signAndSendTransaction returned no signature', 'WALLET_ERROR');
    };
  }
  return ownAdapter(adapter);
}

function adapterAdapter(adapter, options) {
  return ownAdapter({
    kind: 'solana',
    // A member, as the Wallet Standard adapter's: adapters of two wallets differ in value.
    wallet: adapter,
    async getAddress() {
      if (!adapter.publicKey && typeof adapter.connect === 'function') await rejected(() => adapter.connect());
      const key = adapter.publicKey;
      if (!key) throw new X402Error('the wallet is not connected', 'WALLET_ACCOUNT_UNAVAILABLE');
      return typeof key === 'string' ? key : key.toBase58();
    },
    async signTransaction(bytes) {
      // Looked up now: a wallet-adapter has it only once connected.
      if (typeof adapter.signTransaction !== 'function') {
        throw new X402Error('the wallet cannot sign transactions (not connected?)', 'WALLET_UNSUPPORTED');
      }
      const input = options.VersionedTransaction ? options.VersionedTransaction.deserialize(bytes) : bytes;
      const signed = await rejected(() => adapter.signTransaction(input)).catch((error) => {
        // A wallet-adapter handed bytes instead of its transaction object fails inside its own code
        // with a TypeError (wallet-adapter's WalletSignTransactionError keeps it as `error`).
        const failure = error?.cause;
        const typeError = failure instanceof TypeError || failure?.error instanceof TypeError;
        if (options.VersionedTransaction || !typeError) throw error;
        throw new X402Error(
          'the wallet could not take the transaction as bytes: pass solanaWallet(adapter, { VersionedTransaction }) with VersionedTransaction from @solana/web3.js',
          'INVALID_ARGUMENT',
          { cause: error.cause },
        );
      });
      if (signed && typeof signed.serialize === 'function') return new Uint8Array(signed.serialize());
      return bytesOf(signed, 'signTransaction');
    },
  });
}

/** Signed bytes copied into this realm's Uint8Array (an extension or iframe may answer from another). */
function bytesOf(value, what) {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  throw new X402Error(`${what} returned neither bytes nor a transaction`, 'WALLET_ERROR');
}

/**
 * Runs a wallet call, mapping a user's refusal to USER_REJECTED and anything else to WALLET_ERROR.
 * Before anything can be sent (connect, sign), a message about rejecting or cancelling counts as
 * the user's refusal too, since many wallets give no code; for a call that sends, only code 4001.
 */
async function rejected(call, byMessage = true) {
  try {
    return await call();
  } catch (error) {
    const text = `${error?.name ?? ''} ${error?.message ?? ''}`;
    const userRejected = error?.code === 4001 || (byMessage && /reject|denied|cancel/i.test(text));
    throw walletError(error, 'the wallet request', userRejected ? 4001 : error?.code);
  }
}
