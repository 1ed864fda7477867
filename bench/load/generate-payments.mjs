// A worker thread of the load test: signs `count` payments (distinct random nonces) for the
// PaymentRequired it is given, with its own copy of the package, and posts back their header
// values and nonces. The load test splits a large pool over one such thread per CPU.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { entry, key, paymentRequired, count } = workerData;
const x402 = await import(pathToFileURL(entry).href);
const wallet = x402.evmPrivateKeyWallet(key);
const headers = new Array(count);
const nonces = new Array(count);
for (let i = 0; i < count; i++) {
  const payload = await x402.createPaymentPayload(paymentRequired, 0, wallet);
  headers[i] = x402.encodeHeader(payload);
  nonces[i] = payload.payload.authorization.nonce;
}
wallet.free();
parentPort.postMessage({ headers, nonces });
