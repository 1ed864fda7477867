// solanaWallet: an x402 wallet adapter over a Solana Wallet Standard wallet (the
// `solana:signTransaction` feature) or a wallet-adapter-style object (`publicKey`,
// `signTransaction(tx)`). Thin: the wallet signs wire bytes; the core checks what comes back.
import { X402Error, walletError } from '../errors.js';

/**
 * @param {object} wallet a Wallet Standard wallet (`accounts`, `features`) or an adapter
 *   (`publicKey`, `signTransaction`).
 * @param {{ account?: string, chain?: string, VersionedTransaction?: { deserialize(bytes: Uint8Array): any } }} [options]
 *   `VersionedTransaction` (from @solana/web3.js) is needed for adapters whose signTransaction takes
 *   a transaction object instead of bytes.
 */
export function solanaWallet(wallet, options = {}) {
  const feature = wallet?.features?.['solana:signTransaction'];
  if (feature) return standardAdapter(wallet, feature, options);
  if (wallet && typeof wallet.signTransaction === 'function') return adapterAdapter(wallet, options);
  throw new X402Error('solanaWallet needs a Wallet Standard wallet or an adapter with signTransaction', 'INVALID_ARGUMENT');
}

function standardAdapter(wallet, feature, options) {
  async function account() {
    let accounts = wallet.accounts ?? [];
    if (accounts.length === 0 && wallet.features['standard:connect']) {
      accounts = (await rejected(() => wallet.features['standard:connect'].connect())).accounts ?? [];
    }
    const found = options.account ? accounts.find((a) => a.address === options.account) : accounts[0];
    if (!found) throw new X402Error('the wallet has no such account', 'WALLET_ACCOUNT_UNAVAILABLE');
    return found;
  }
  return {
    kind: 'solana',
    getAddress: async () => (await account()).address,
    async signTransaction(bytes) {
      const input = { account: await account(), transaction: bytes };
      if (options.chain) input.chain = options.chain;
      const [output] = await rejected(() => feature.signTransaction(input));
      return output.signedTransaction;
    },
  };
}

function adapterAdapter(adapter, options) {
  return {
    kind: 'solana',
    async getAddress() {
      if (!adapter.publicKey && typeof adapter.connect === 'function') await rejected(() => adapter.connect());
      const key = adapter.publicKey;
      if (!key) throw new X402Error('the wallet is not connected', 'WALLET_ACCOUNT_UNAVAILABLE');
      return typeof key === 'string' ? key : key.toBase58();
    },
    async signTransaction(bytes) {
      const input = options.VersionedTransaction ? options.VersionedTransaction.deserialize(bytes) : bytes;
      const signed = await rejected(() => adapter.signTransaction(input));
      if (signed instanceof Uint8Array) return signed;
      if (signed && typeof signed.serialize === 'function') return new Uint8Array(signed.serialize());
      throw new X402Error('signTransaction returned neither bytes nor a transaction', 'WALLET_ERROR');
    },
  };
}

/** Runs a wallet call, mapping a user's refusal to USER_REJECTED and anything else to WALLET_ERROR. */
async function rejected(call) {
  try {
    return await call();
  } catch (error) {
    const text = `${error?.name ?? ''} ${error?.message ?? ''}`;
    const userRejected = error?.code === 4001 || /reject|denied|cancel/i.test(text);
    throw walletError(error, 'the wallet request', userRejected ? 4001 : error?.code);
  }
}
