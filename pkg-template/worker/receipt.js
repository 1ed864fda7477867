// The PAYMENT-RESPONSE (X-PAYMENT-RESPONSE) header of a paid answer from x402-wasm/worker.
import { encodeHeader, toCaip2 } from '../api.js';

/** A reason given by a facilitator (or anyone): short text, or `fallback` for anything else. */
export function reasonText(value, fallback) {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : fallback;
}

/** The most a receipt header may take (bytes of base64): clients refuse larger response headers. */
const MAX_RECEIPT_HEADER = 8 * 1024;

/**
 * The PAYMENT-RESPONSE of a settled payment: the SettlementResponse's own members, each a short
 * string, never the facilitator's answer copied whole (a header too large for the client would
 * lose the response it paid for); its `extra` and `extensions` objects only while the header
 * stays small.
 */
export function receiptHeader(settlement, network) {
  const receipt = { success: true, transaction: reasonText(settlement.transaction, ''), network: reasonText(settlement.network, network) };
  for (const key of ['payer', 'amount']) {
    if (reasonText(settlement[key], '') !== '') receipt[key] = settlement[key];
  }
  const objects = ['extra', 'extensions'].filter((key) => typeof settlement[key] === 'object' && settlement[key] !== null);
  if (objects.length > 0) {
    try {
      const full = encodeHeader({ ...receipt, ...Object.fromEntries(objects.map((key) => [key, settlement[key]])) });
      if (full.length <= MAX_RECEIPT_HEADER) return full;
    } catch {
      // Not JSON data: left out.
    }
  }
  return encodeHeader(receipt);
}

/** Two payer addresses are the same: EVM ones whatever their case, others exactly. */
export function samePayer(a, b) {
  return a.startsWith('0x') && b.startsWith('0x') ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/**
 * Whether a facilitator's successful SettlementResponse settles this payment (`decision`: its
 * payer and requirement): it names a transaction of the payment's chain family (0x and 32 bytes of
 * hex on EVM, a base58 signature on Solana), and the payer, network and amount it gives (each may
 * be left out) are the payment's. A buggy or hostile facilitator's success for another payment is
 * not this one's.
 */
export function settlesThis(settlement, { payer, requirement }) {
  const given = (key) => reasonText(settlement[key], '');
  const network = caip2(requirement.network);
  const transaction = given('transaction');
  const shaped = network?.startsWith('eip155:') ? /^0x[0-9a-fA-F]{64}$/ : network?.startsWith('solana:') ? /^[1-9A-HJ-NP-Za-km-z]{64,88}$/ : /./;
  if (!shaped.test(transaction)) return false;
  if (given('payer') !== '' && !samePayer(settlement.payer, payer)) return false;
  if (given('network') !== '' && caip2(settlement.network) !== network) return false;
  const amount = requirement.amount ?? requirement.maxAmountRequired;
  return given('amount') === '' || sameAmount(settlement.amount, amount);
}

/** A network's CAIP-2 name (an x402 v1 name mapped), or undefined. */
export function caip2(name) {
  try {
    return toCaip2(name);
  } catch {
    return undefined;
  }
}

/** Two decimal amounts are the same number. */
function sameAmount(a, b) {
  try {
    return /^\d+$/.test(a) && /^\d+$/.test(b) && BigInt(a) === BigInt(b);
  } catch {
    return false;
  }
}
