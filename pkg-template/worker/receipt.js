// The PAYMENT-RESPONSE (X-PAYMENT-RESPONSE) header of a paid answer from x402-wasm/worker.
import { encodeHeader } from '../api.js';

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
