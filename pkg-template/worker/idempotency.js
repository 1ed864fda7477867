// The payment-identifier extension in the Worker helper: a payer repeating an id it settled for the
// same purchase is served on that settlement, never charged twice (requirePayment's step between
// the replay reservation and the handler).
import { corsHeaders } from './cors.js';
import { fnv1a } from './replay.js';

/** How long a settled payment's id is remembered by default (paymentIdentifier.ttlSeconds). */
const PAYMENT_ID_TTL = 3600;

/**
 * The payment-identifier step of requirePayment, for a payment carrying an id on a route that
 * declares the extension, with a store that can remember (both built-in ones): `undefined` (no
 * id, or a store without remember/recall), `{ claim }` (a new id: this request settles it, then
 * `claim.remember(settlement)`), `{ settled }` (this payer settled it before, for the same method,
 * resource and terms) or `{ response }` (409: it is being settled by another request). The key
 * names the network, the payer and a hash of what was bought, so an id is one purchase of one
 * payer; what is remembered is checked whole against this request's.
 */
export async function byPaymentId(request, routeConfig, decision, store, options) {
  if (decision.paymentId === undefined || typeof store.remember !== 'function' || typeof store.recall !== 'function') return undefined;
  const resource = routeConfig.resource?.url ?? String(request.url);
  const scope = JSON.stringify([request.method, resource, decision.requirement]);
  const network = decision.requirement?.network ?? '';
  const key = `pid/${network}/${decision.payer}/${fnv1a(scope).toString(16)}/${decision.paymentId}`;
  if (await store.reserve(key, decision.expiresAt)) {
    const ttl = routeConfig.paymentIdentifier?.ttlSeconds ?? PAYMENT_ID_TTL;
    return {
      claim: {
        key,
        async remember(settlement) {
          const kept = { success: true };
          for (const name of ['transaction', 'network', 'payer', 'amount']) {
            if (typeof settlement[name] === 'string') kept[name] = settlement[name];
          }
          try {
            await store.remember(key, { scope, settlement: kept }, Math.floor(Date.now() / 1000) + ttl);
          } catch {
            // Settled all the same: the answer is served; a repeat of the id is then settled anew.
            await store.release(key).catch(() => {});
          }
        },
      },
    };
  }
  const prior = await store.recall(key);
  if (prior?.scope === scope && prior.settlement?.success === true) return { settled: prior.settlement };
  if (prior !== undefined) return undefined; // another purchase under this key (a hash collision): not deduplicated
  const body = JSON.stringify({ error: 'payment_in_progress', message: 'a payment with this payment-identifier id is being settled; try again shortly' });
  return {
    response: new Response(body, {
      status: 409,
      headers: corsHeaders(options, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Retry-After': '1' }, request),
    }),
    reason: 'payment_in_progress',
  };
}
