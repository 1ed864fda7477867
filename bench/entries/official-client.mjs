// esbuild entry for the size comparison: the official x402 v2 browser client with EVM and SVM
// `exact` schemes and the paying fetch. The signers come from the caller, so no wallet library
// is counted here (see official-client-viem-account.mjs for that variant).
import { wrapFetchWithPayment } from '@x402/fetch';
import { x402Client } from '@x402/core/client';
import { registerExactEvmScheme } from '@x402/evm/exact/client';
import { registerExactSvmScheme } from '@x402/svm/exact/client';

export function createPayingFetch(evmSigner, svmSigner) {
  const client = new x402Client();
  registerExactEvmScheme(client, { signer: evmSigner });
  registerExactSvmScheme(client, { signer: svmSigner });
  return wrapFetchWithPayment(globalThis.fetch, client);
}
