// The Workers verify helper: requirePayment (one request) and paymentRequired (a middleware for a
// Worker's fetch handler). Protocol decisions are the wasm core's (X402Route); this file moves
// HTTP: the 402 response, CORS, the replay store, and the facilitator calls, in that order.
import { X402Route } from '../x402_wasm.js';
import { encodeHeader } from '../api.js';
import { X402Error, toX402Error } from '../errors.js';
import { createFacilitatorClient } from './facilitator.js';
import { memoryReplayStore } from './replay.js';

const EXPOSE = 'PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE';
let defaultStore;

function route(routeConfig, url) {
  try {
    return new X402Route(routeConfig, url);
  } catch (error) {
    throw toX402Error(error);
  }
}

function corsHeaders(options, extra = {}) {
  return { 'Access-Control-Allow-Origin': options.cors?.origin ?? '*', 'Access-Control-Expose-Headers': EXPOSE, ...extra };
}

/** The answer to a CORS preflight: allows the payment headers. */
export function preflight(request, options = {}) {
  const asked = request.headers.get('access-control-request-headers');
  const allowed = ['PAYMENT-SIGNATURE', 'X-PAYMENT', 'Content-Type', ...(asked ? asked.split(',').map((h) => h.trim()) : [])];
  return new Response(null, {
    status: 204,
    headers: corsHeaders(options, {
      'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': [...new Set(allowed.map((h) => h.toLowerCase()))].join(', '),
      'Access-Control-Max-Age': '600',
    }),
  });
}

function challengeResponse(resolved, options, reason, settlement) {
  const { header, body } = resolved.challenge(reason ?? undefined);
  const headers = corsHeaders(options, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'PAYMENT-REQUIRED': header });
  if (settlement) headers['PAYMENT-RESPONSE'] = encodeHeader(settlement);
  return new Response(JSON.stringify(body), { status: 402, headers });
}

/**
 * Checks a request's payment for one route. Resolves to `{ response }` (a 402 or 400 to send)
 * or `{ payment, settle(), release() }` once the payment is decoded, matched, verified locally,
 * reserved against replays and (when options.verifyWithFacilitator) verified by the facilitator.
 * Options: { facilitator, replayStore, verifyWithFacilitator, now, cors }.
 */
export async function requirePayment(request, routeConfig, env, options = {}) {
  const resolved = route(routeConfig, request.url);
  const decision = resolved.decide(
    request.headers.get('payment-signature') ?? undefined,
    request.headers.get('x-payment') ?? undefined,
    options.now === undefined ? {} : { now: options.now },
  );
  if (decision.action === 'challenge') return { response: challengeResponse(resolved, options) };
  if (decision.action === 'malformed') {
    const body = JSON.stringify({ error: decision.code, message: decision.message });
    return { response: new Response(body, { status: 400, headers: corsHeaders(options, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }) }) };
  }
  const network = decision.requirement?.network;
  const refuse = (reason) => ({
    response: challengeResponse(resolved, options, reason, { success: false, errorReason: reason, transaction: '', network: network ?? '' }),
    reason,
  });
  if (decision.action === 'refused') return refuse(decision.reason);

  // Both may be given as functions of env (Durable Object bindings and secrets live there).
  const configured = typeof options.replayStore === 'function' ? options.replayStore(env) : options.replayStore;
  const store = configured ?? (defaultStore ??= memoryReplayStore());
  if (!(await store.reserve(decision.replayKey, decision.expiresAt))) return refuse('duplicate_settlement');
  const given = typeof options.facilitator === 'function' ? options.facilitator(env) : options.facilitator;
  const facilitator = given && typeof given.settle !== 'function' ? createFacilitatorClient(given) : given;
  if (options.verifyWithFacilitator) {
    if (!facilitator) throw new X402Error('verifyWithFacilitator needs a facilitator', 'INVALID_ARGUMENT');
    const verified = await facilitator.verify(decision.payment, decision.requirement);
    if (!verified.isValid) {
      await store.release(decision.replayKey);
      return refuse(verified.invalidReason ?? 'invalid_payment');
    }
  }
  const payment = {
    x402Version: decision.x402Version, payer: decision.payer, payload: decision.payment, requirement: decision.requirement,
  };
  return {
    payment,
    /** Settles through the facilitator; resolves to the SettlementResponse. */
    async settle() {
      if (!facilitator) throw new X402Error('settling needs a facilitator', 'INVALID_ARGUMENT');
      try {
        return await facilitator.settle(decision.payment, decision.requirement);
      } catch (error) {
        return { success: false, errorReason: 'unexpected_settle_error', transaction: '', network, error: String(error?.message ?? error) };
      }
    },
    /** Frees the replay key of a payment that was not used (the handler failed). */
    release: () => store.release(decision.replayKey),
    /** The 402 to send when settlement failed (PAYMENT-RESPONSE success=false, no resource body). */
    failure: (settlement) => challengeResponse(resolved, options, settlement.errorReason ?? 'settlement_failed', settlement),
  };
}

function matchRoute(routes, request) {
  const { pathname } = new URL(request.url);
  for (const [pattern, config] of Object.entries(routes)) {
    const [method, path] = pattern.includes(' ') ? pattern.split(/\s+/, 2) : ['*', pattern];
    if (method !== '*' && method.toUpperCase() !== request.method) continue;
    if (path === pathname || (path.endsWith('/*') && pathname.startsWith(path.slice(0, -1)))) return config;
  }
  return undefined;
}

/**
 * A middleware for a Worker's fetch handler. `config.routes` maps "METHOD /path" (or "/path",
 * "/prefix/*") to a route config; other requests go straight to `next`. Settles after the handler
 * answers below 400 (or before it, with settleBeforeHandler) and adds PAYMENT-RESPONSE.
 */
export function paymentRequired(config) {
  const { routes, settleBeforeHandler = false, ...options } = config;
  return async function x402Middleware(request, env, ctx, next) {
    if (request.method === 'OPTIONS') {
      // A preflight names the method it asks about; answer it for any paid route.
      const asked = (request.headers.get('access-control-request-method') ?? 'GET').toUpperCase();
      if (matchRoute(routes, { url: request.url, method: asked }) || matchRoute(routes, request)) {
        return preflight(request, options);
      }
      return next(request, env, ctx);
    }
    const routeConfig = matchRoute(routes, request);
    if (!routeConfig) return next(request, env, ctx);
    const gate = await requirePayment(request, routeConfig, env, options);
    if (gate.response) return gate.response;
    let settlement;
    if (settleBeforeHandler) {
      settlement = await gate.settle();
      if (!settlement.success) return gate.failure(settlement);
    }
    let response;
    try {
      response = await next(request, env, ctx);
    } catch (error) {
      if (!settlement) await gate.release();
      throw error;
    }
    if (!settlement) {
      if (response.status >= 400) {
        await gate.release();
        return response;
      }
      settlement = await gate.settle();
      if (!settlement.success) return gate.failure(settlement);
    }
    const paid = new Response(response.body, response);
    const name = gate.payment.x402Version === 1 ? 'X-PAYMENT-RESPONSE' : 'PAYMENT-RESPONSE';
    paid.headers.set(name, encodeHeader(settlement));
    for (const [key, value] of Object.entries(corsHeaders(options))) if (!paid.headers.has(key)) paid.headers.set(key, value);
    return paid;
  };
}
