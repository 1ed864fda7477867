// Variant of official-client.mjs that also bundles viem's local private-key account, the
// counterpart of x402-wasm's built-in evmPrivateKeyWallet.
import { privateKeyToAccount } from 'viem/accounts';
import { createPayingFetch } from './official-client.mjs';

export function createPayingFetchFromKey(hexKey, svmSigner) {
  return createPayingFetch(privateKeyToAccount(hexKey), svmSigner);
}
