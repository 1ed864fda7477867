// The buyer: uses ONLY the x402-wasm package and fetch. It asks for a resource, reads the 402,
// signs the payment with a wallet whose key lives inside wasm, retries, and reads the receipt.
import {
  createPaymentPayload, decodeHeader, decodePaymentResponse, encodePaymentHeader, formatUnits,
  recognizePaymentRequired,
} from '../../dist/pkg/index.node.js';

const USDC_DECIMALS = 6; // the asset's decimals are not in the requirement: the client knows its tokens

/** The x402 v2 PaymentRequired document of a 402: the PAYMENT-REQUIRED header, else the JSON body. */
function paymentRequiredDocument(response, bodyText) {
  const header = response.headers.get('payment-required');
  return header ? decodeHeader(header, 'PaymentRequired') : JSON.parse(bodyText);
}

/**
 * GET `url`, pay its x402 challenge with `wallet` on `network`, and return
 * { status, data, receipt, paymentHeader, headerName }. `log(text)` narrates.
 */
export async function payForResource({ url, wallet, network, log }) {
  log(`GET ${url}`);
  const first = await fetch(url);
  const firstBody = await first.text();
  log(`<- ${first.status} ${first.statusText}`);
  if (first.status !== 402) throw new Error(`expected 402 Payment Required, got ${first.status}`);

  const challenge = recognizePaymentRequired(first.status, first.headers, firstBody);
  log(`recognised x402 v${challenge.x402Version} (${challenge.dialect}); ${challenge.requirements.length} way(s) to pay`);
  const requirement = challenge.requirements.find((r) => r.scheme === 'exact' && r.network === network);
  if (!requirement) throw new Error(`no "exact" requirement on ${network}`);
  const token = requirement.extra?.name ?? requirement.asset;
  log(`price: ${formatUnits(requirement.amount, USDC_DECIMALS)} ${token} (${requirement.amount} atomic units)` +
    ` on ${requirement.network}`);
  log(`       to ${requirement.payTo}, token ${requirement.asset}, valid ${requirement.maxTimeoutSeconds} s`);

  const payload = await createPaymentPayload(paymentRequiredDocument(first, firstBody), requirement, wallet);
  const auth = payload.payload.authorization;
  log(`signed an EIP-3009 TransferWithAuthorization (EIP-712, off-chain, no gas) as ${auth.from}`);
  log(`       value ${auth.value}, valid until ${new Date(Number(auth.validBefore) * 1000).toISOString()}`);
  log(`       nonce ${auth.nonce}`);

  const paymentHeader = encodePaymentHeader(payload);
  const headerName = challenge.paymentHeader;
  log(`GET ${url} again with ${headerName} (${paymentHeader.length} base64 chars)`);
  const paid = await fetch(url, { headers: { [headerName]: paymentHeader } });
  const text = await paid.text();
  log(`<- ${paid.status} ${paid.statusText}`);
  const receiptHeader = paid.headers.get('payment-response');
  const receipt = receiptHeader ? decodePaymentResponse(receiptHeader) : undefined;
  if (paid.status !== 200) {
    throw new Error(`payment refused: ${paid.status} ${receipt?.errorReason ?? text}`);
  }
  if (!receipt) throw new Error('200 without a PAYMENT-RESPONSE header');
  const data = JSON.parse(text);
  log(`data: ${JSON.stringify(data)}`);
  log(`receipt (PAYMENT-RESPONSE): success ${receipt.success}, network ${receipt.network}, payer ${receipt.payer}`);
  log(`transaction: ${receipt.transaction}`);
  return { status: paid.status, data, receipt, paymentHeader, headerName };
}

/** Sends an already used payment again; the API must refuse it. Returns { status, receipt }. */
export async function replayPayment({ url, headerName, paymentHeader, log }) {
  log(`GET ${url} with the SAME ${headerName} again (a replay)`);
  const res = await fetch(url, { headers: { [headerName]: paymentHeader } });
  await res.text();
  const receiptHeader = res.headers.get('payment-response');
  const receipt = receiptHeader ? decodePaymentResponse(receiptHeader) : undefined;
  log(`<- ${res.status} ${res.statusText}${receipt ? `, receipt: success ${receipt.success}, ${receipt.errorReason}` : ''}`);
  return { status: res.status, receipt };
}
