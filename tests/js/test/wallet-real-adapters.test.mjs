// The wallet adapters over the real wallet libraries users hand them: the Coinbase Wallet SDK's
// EIP-1193 provider (eip1193Wallet, viemWallet) before the page is connected, and
// @solana/wallet-adapter's StandardWalletAdapter around a Wallet Standard wallet (solanaWallet),
// connected or not yet, bare or as wallet-adapter-react's useWallet() gives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, VersionedTransaction } from '@solana/web3.js';
import { BaseSignerWalletAdapter, WalletReadyState, WalletSignTransactionError } from '@solana/wallet-adapter-base';
import { createWalletClient, custom } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { loadX402 } from '../lib/x402.mjs';

// The browser globals both libraries read (the Coinbase SDK its storage; StandardWalletAdapter
// reports itself Unsupported without window and document). Nothing here opens a popup.
const store = new Map();
globalThis.localStorage = {
  getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)), removeItem: (k) => store.delete(k),
  clear: () => store.clear(), key: (i) => [...store.keys()][i] ?? null, get length() { return store.size; },
};
globalThis.window ??= globalThis;
globalThis.document ??= {};
const { createCoinbaseWalletSDK } = await import('@coinbase/wallet-sdk');
const { StandardWalletAdapter } = await import('@solana/wallet-standard-wallet-adapter-base');
const x402 = await loadX402();

const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');

test('Coinbase Wallet SDK, not connected: eth_accounts is refused 4100, so the adapters ask eth_requestAccounts', async () => {
  const sdk = createCoinbaseWalletSDK({ appName: 'x402-wasm test', preference: { options: 'all' } }).getProvider();
  // The SDK's own answer before connecting (what the adapters must get past).
  await assert.rejects(sdk.request({ method: 'eth_accounts' }), (e) => e.code === 4100);
  const calls = [];
  // Only the prompt is answered here (it would open the SDK's popup): as the user connecting.
  const provider = {
    request: async (args) => {
      calls.push(args.method);
      return args.method === 'eth_requestAccounts' ? [alice.address] : sdk.request(args);
    },
  };
  assert.equal(await x402.eip1193Wallet(provider).getAddress(), alice.address);
  assert.deepEqual(calls, ['eth_accounts', 'eth_requestAccounts']);
  calls.length = 0;
  assert.equal(await x402.viemWallet(createWalletClient({ transport: custom(provider) })).getAddress(), alice.address);
  assert.deepEqual(calls, ['eth_accounts', 'eth_requestAccounts']);
});

const MAINNET = 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp';
const USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

/** A 402 for 0.01 USDC on Solana mainnet, with what spares any RPC call. */
function svmChallenge() {
  const requirement = {
    scheme: 'exact', network: MAINNET, amount: '10000', asset: USDC, payTo: Keypair.generate().publicKey.toBase58(),
    maxTimeoutSeconds: 60,
    extra: {
      feePayer: Keypair.generate().publicKey.toBase58(), decimals: 6, tokenProgram: TOKEN_PROGRAM,
      recentBlockhash: '4uQeVj5tqViQh7yWWGStvkEG1Zmhx6uasJtWCJziofM',
    },
  };
  return { x402Version: 2, resource: { url: 'https://api.example/paid' }, accepts: [requirement] };
}

/**
 * A Wallet Standard wallet as Phantom presents one: no accounts until `standard:connect`, and
 * `solana:signTransaction` signing wire bytes with its key (@solana/web3.js).
 */
function standardWallet(log = []) {
  const keypair = Keypair.generate();
  const account = {
    address: keypair.publicKey.toBase58(), publicKey: keypair.publicKey.toBytes(),
    chains: ['solana:mainnet'], features: ['solana:signTransaction'],
  };
  let connected = false;
  const listeners = new Set();
  const wallet = {
    version: '1.0.0', name: 'Phantom-like', icon: 'data:image/svg+xml;base64,', chains: account.chains,
    get accounts() { return connected ? [account] : []; },
    features: {
      'standard:connect': {
        version: '1.0.0',
        connect: async () => {
          log.push('connect');
          connected = true;
          for (const listener of listeners) listener({ accounts: wallet.accounts });
          return { accounts: wallet.accounts };
        },
      },
      'standard:events': { version: '1.0.0', on: (_, listener) => { listeners.add(listener); return () => listeners.delete(listener); } },
      'solana:signTransaction': {
        version: '1.0.0', supportedTransactionVersions: ['legacy', 0],
        signTransaction: async (...inputs) => inputs.map((input) => {
          log.push('signTransaction');
          if (input.account !== account) throw new Error('not an account of this wallet');
          const transaction = VersionedTransaction.deserialize(input.transaction);
          transaction.sign([keypair]);
          return { signedTransaction: transaction.serialize() };
        }),
      },
    },
  };
  return { wallet, address: account.address, log };
}

/** A payment made and checked: signed by the wallet's account, valid for the requirement. */
async function pays(wallet, address) {
  const challenge = svmChallenge();
  const payload = await x402.createPaymentPayload(challenge, 0, wallet);
  assert.equal(x402.verifyPayment(payload, challenge.accepts[0]).isValid, true);
  assert.equal(x402.verifyPayment(payload, challenge.accepts[0]).payer, address);
}

test('StandardWalletAdapter, not connected yet: solanaWallet connects through it and pays (no VersionedTransaction needed)', async () => {
  const { wallet, address, log } = standardWallet();
  const adapter = new StandardWalletAdapter({ wallet });
  assert.equal(adapter.readyState, WalletReadyState.Installed);
  assert.equal(adapter.connected, false);
  await pays(x402.solanaWallet(adapter), address);
  assert.deepEqual(log, ['connect', 'signTransaction']);
  assert.equal(adapter.connected, true, 'the page sees the wallet connected');
  assert.equal(adapter.publicKey.toBase58(), address);
  // Connected: no second prompt.
  await pays(x402.solanaWallet(adapter), address);
  assert.deepEqual(log, ['connect', 'signTransaction', 'signTransaction']);
});

test('StandardWalletAdapter the page disconnected, its wallet still listing the account: connected through the adapter again before signing', async () => {
  const { wallet, address, log } = standardWallet();
  // A wallet without standard:disconnect keeps its accounts after the page's disconnect.
  const adapter = new StandardWalletAdapter({ wallet });
  await adapter.connect();
  await adapter.disconnect();
  assert.equal(adapter.connected, false);
  assert.equal(wallet.accounts.length, 1);
  log.length = 0;
  await pays(x402.solanaWallet(adapter), address);
  // The adapter's connect asks the wallet nothing when it lists accounts: the page's state follows.
  assert.deepEqual(log, ['signTransaction']);
  assert.equal(adapter.connected, true, 'the page sees the wallet connected');
});

test("useWallet()'s value before connecting (signTransaction undefined) pays through its adapter", async () => {
  const { wallet, address, log } = standardWallet();
  const adapter = new StandardWalletAdapter({ wallet });
  // As @solana/wallet-adapter-react's WalletProvider builds it for a render before the connection.
  const value = {
    wallet: { adapter, readyState: adapter.readyState }, publicKey: null, connected: false, connecting: false,
    connect: () => adapter.connect(), signTransaction: undefined,
  };
  await pays(x402.solanaWallet(value), address);
  assert.deepEqual(log, ['connect', 'signTransaction']);
  assert.equal(adapter.connected, true);
});

test('a wallet-adapter that takes transaction objects, given none to make: INVALID_ARGUMENT naming VersionedTransaction', async () => {
  // As @solana/wallet-adapter's signer adapters (Ledger, Trezor...): it serialises what it is given
  // and wraps a failure in WalletSignTransactionError.
  const keypair = Keypair.generate();
  class KeyAdapter extends BaseSignerWalletAdapter {
    name = 'Key'; url = 'https://example.invalid'; icon = ''; readyState = WalletReadyState.Installed;
    publicKey = keypair.publicKey; connecting = false; supportedTransactionVersions = new Set(['legacy', 0]);
    async connect() {}
    async disconnect() {}
    async signTransaction(transaction) {
      try {
        transaction.sign([keypair]);
        return transaction;
      } catch (error) {
        throw new WalletSignTransactionError(error?.message, error);
      }
    }
  }
  await assert.rejects(x402.createPaymentPayload(svmChallenge(), 0, x402.solanaWallet(new KeyAdapter())), (e) =>
    e.code === 'INVALID_ARGUMENT' && /VersionedTransaction/.test(e.message));
  // With it, the same adapter pays.
  await pays(x402.solanaWallet(new KeyAdapter(), { VersionedTransaction }), keypair.publicKey.toBase58());
});
