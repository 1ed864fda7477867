// viem's accounts and wallet clients as x402-wasm wallets: adapters, or plain viem-shaped signers.
// Compiled by tests/js/test/types.test.mjs with skipLibCheck (viem's own declarations take seconds).
import { createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { baseSepolia } from 'viem/chains';
import { createPaymentPayload, eip1193Wallet, viemWallet, wrapFetch, type EvmWalletAdapter } from 'x402-wasm';

export function viemShapes(): void {
  const account = privateKeyToAccount('0x1111111111111111111111111111111111111111111111111111111111111111');
  const client = createWalletClient({ account, chain: baseSepolia, transport: http() });
  wrapFetch(fetch, { wallets: [viemWallet(account), viemWallet(client), eip1193Wallet(client), account] });
  void createPaymentPayload({}, 0, account);
  // A hand-written adapter: the typed data and the transaction it is asked to sign are what viem's
  // signTypedData and signTransaction take, as they are.
  const own: EvmWalletAdapter = {
    kind: 'evm',
    address: account.address,
    getAddress: async () => account.address,
    signTypedData: (typedData) => account.signTypedData(typedData),
    signTransaction: (tx) => account.signTransaction(tx),
  };
  wrapFetch(fetch, { wallets: [own] });
}
