// The Workers verify helper: requirePayment (one request) and paymentRequired (a middleware for a
// Worker's fetch handler). Protocol decisions are the wasm core's (X402Route); this file moves
// HTTP: the 402 response, CORS, the replay store, and the facilitator calls, in that order.
import { X402Route } from '../x402_wasm.js';
import { discard } from '../body.js';
import { encodeHeader } from '../api.js';
import { X402Error, onlyKnownOptions, ready, toX402Error, wasmLoaded } from '../errors.js';
import { EXPOSE, addVary, checkCors, corsHeaders, keepPrivate, withCors } from './cors.js';
import { createFacilitatorClient } from './facilitator.js';
import { byPaymentId, waitUntilOf } from './idempotency.js';
import { reasonText, receiptHeader, samePayer, settlesThis } from './receipt.js';
import { checkRpc, settledOnChain } from './onchain.js';
import { memoryReplayStore } from './replay.js';
import { AMBIGUOUS, ambiguousPath, canonicalPath, compilePattern, matchRoute, requestPaths } from './routes.js';

let defaultStore;
/** The options of requirePayment (index.d.ts, GateOptions); paymentRequired adds its own. */
const GATE_OPTIONS = ['facilitator', 'replayStore', 'verifyWithFacilitator', 'cors', 'now', 'rpc'];
/** Marks the options of paymentRequired's middleware, which always settles: a facilitator is required. */
const SETTLES = Symbol('x402-wasm: settles');
/** A gate's hook for the middleware's answer, on a payment with a new payment-identifier id. */
const KEEP = Symbol('x402-wasm: keep the answer');

/** A header's value when it is a string (a Request-like object's headers may return anything). */
const text = (value) => (typeof value === 'string' ? value : undefined);
// A paid answer shares its body stream with the handler's Response, which stays reachable from
// it: Node's fetch cancels the body of a fetch Response once that Response is garbage-collected
// (undici), and a handler answering `fetch(upstream)` would otherwise be paid for a body that
// fails to read.
const bodyOwners = new WeakMap();

/** Resolves `routeConfig` for `url`, calls `use` with it, and frees it. */
function withRoute(routeConfig, url, use) {
  let resolved;
  try {
    resolved = new X402Route(routeConfig, String(url));
    return use(resolved);
  } catch (error) {
    throw toX402Error(error);
  } finally {
    resolved?.free();
  }
}

/** The answer to a CORS preflight: allows the payment headers. */
export function preflight(request, options = {}) {
  checkCors(options.cors);
  const asked = request.headers.get('access-control-request-headers');
  const allowed = ['PAYMENT-SIGNATURE', 'X-PAYMENT', 'Content-Type', ...(asked ? asked.split(',').map((h) => h.trim()) : [])];
  return new Response(null, {
    status: 204,
    headers: corsHeaders(options, {
      'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': [...new Set(allowed.map((h) => h.toLowerCase()))].join(', '),
      'Access-Control-Max-Age': '600',
    }, request),
  });
}

/**
 * The 402 of a refused or unsettled payment (or of no payment, without `reason`). A v1 payment
 * (X-PAYMENT) gets its failure in X-PAYMENT-RESPONSE and the reason as the v1 body's `error`.
 */
function challengeResponse(request, { header, body }, options, reason, failure, v1 = false) {
  const headers = corsHeaders(options, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'PAYMENT-REQUIRED': header }, request);
  if (failure) {
    const settlement = { success: false, errorReason: reason, transaction: reasonText(failure.transaction, ''), network: reasonText(failure.network, '') };
    headers[v1 ? 'X-PAYMENT-RESPONSE' : 'PAYMENT-RESPONSE'] = encodeHeader(settlement);
  }
  if (v1 && reason && body.x402Version === 1) body.error = reason;
  return new Response(JSON.stringify(body), { status: 402, headers });
}

/**
 * Checks a request's payment for one route. Resolves to `{ response }` (a 402 or 400 to send; on a
 * route with paymentIdentifier, a 409 or the answer kept for a payment sent again) or
 * `{ payment, settle(), release(), failure() }` once the payment is decoded, matched, verified
 * locally, reserved against replays and (when options.verifyWithFacilitator) verified by the facilitator.
 * Options: { facilitator, replayStore, verifyWithFacilitator, now, cors, rpc }.
 */
export async function requirePayment(request, routeConfig, env, options = {}) {
  if (!options[SETTLES]) {
    onlyKnownOptions(options, GATE_OPTIONS, 'requirePayment');
    checkCors(options.cors);
    checkRpc(options.rpc, 'requirePayment');
  }
  // Loads the wasm again after a failed download (browser entry only: errors.js).
  if (!wasmLoaded()) await ready();
  // Both may be given as functions of env (Durable Object bindings and secrets live there). They
  // are resolved first, for every request: a configuration mistake shows at the first 402, not
  // after a payer signed (nor once a payment is reserved, which would use it up).
  const given = typeof options.facilitator === 'function' ? options.facilitator(env) : options.facilitator;
  const facilitator = given && typeof given.settle !== 'function' ? createFacilitatorClient(given) : given;
  if (!facilitator && (options.verifyWithFacilitator || options[SETTLES])) {
    throw new X402Error(`${options.verifyWithFacilitator ? 'verifyWithFacilitator' : 'settling'} needs a facilitator`, 'INVALID_ARGUMENT');
  }
  const configured = typeof options.replayStore === 'function' ? options.replayStore(env) : options.replayStore;
  const rpc = typeof options.rpc === 'function' ? checkRpc((await options.rpc(env)) ?? undefined, 'rpc(env)') : options.rpc;
  const store = configured ?? (defaultStore ??= memoryReplayStore());
  // The wasm route is freed as soon as it has answered: a burst of requests must not wait for
  // the garbage collector to give its memory back. A later refusal (rare) resolves it again.
  const challenge = (reason) => withRoute(routeConfig, request.url, (resolved) => resolved.challenge(reason));
  const { decision, answer } = withRoute(routeConfig, request.url, (resolved) => {
    // A smart-contract wallet's signature (ERC-1271, ERC-6492) is checked on chain: only when the
    // facilitator verifies every payment before the handler may it pass the local checks.
    const decided = resolved.decide(
      text(request.headers.get('payment-signature')),
      text(request.headers.get('x-payment')),
      { ...(options.now === undefined ? {} : { now: options.now }), contractSignatures: options.verifyWithFacilitator === true },
    );
    // No payment (the common first request), or one refused locally: its 402 from the same route.
    const reason = decided.action === 'refused' ? reasonText(decided.reason, 'invalid_payment') : undefined;
    const asked = decided.action === 'challenge' || decided.action === 'refused';
    return { decision: decided, answer: asked ? resolved.challenge(reason) : undefined };
  });
  if (decision.action === 'challenge') return { response: challengeResponse(request, answer, options) };
  if (decision.action === 'malformed') {
    const body = JSON.stringify({ error: decision.code, message: decision.message });
    return { response: new Response(body, { status: 400, headers: corsHeaders(options, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, request) }) };
  }
  const network = decision.requirement?.network;
  // On a route that takes v1, a request paying with X-PAYMENT alone is a v1 client (a refusal
  // carries no version); a v2-only route answers in v2 whatever was sent.
  const xPaymentOnly = !request.headers.has('payment-signature') && request.headers.has('x-payment');
  const v1 = routeConfig?.acceptV1 === true && (decision.x402Version === 1 || xPaymentOnly);
  const refuse = (given, made) => {
    const reason = reasonText(given, 'invalid_payment');
    return { response: challengeResponse(request, made ?? challenge(reason), options, reason, { network }, v1), reason };
  };
  if (decision.action === 'refused') return refuse(decision.reason, answer);

  // payment-identifier, before the replay reservation: a payment sent again under its id is
  // answered with what it bought; another payment under a used id is 409 (byPaymentId).
  const identified = await byPaymentId(request, routeConfig, decision, store, options);
  if (identified?.response) return identified;
  const claim = identified?.claim;
  // A store that fails gives the id back (nothing was served or settled), then the failure.
  const reserved = await Promise.resolve()
    .then(() => store.reserve(decision.replayKey, decision.expiresAt))
    .catch(async (error) => {
      await claim?.release();
      throw error;
    });
  if (!reserved) {
    await claim?.release();
    return refuse('duplicate_settlement');
  }
  /** Gives back what this request reserved: nothing was served or settled. */
  const unreserve = async () => {
    await store.release(decision.replayKey, decision.expiresAt);
    await claim?.release();
  };
  if (options.verifyWithFacilitator) {
    let verified;
    try {
      verified = await facilitator.verify(decision.payment, decision.requirement);
    } catch (error) {
      // Nothing was served or settled: the payer may use the same payment once it answers.
      await unreserve();
      throw error;
    }
    if (verified?.isValid !== true) {
      await unreserve();
      return refuse(verified?.invalidReason);
    }
    // The facilitator verified someone else's payment than the one checked here (and reserved
    // against replays): it would settle that one.
    if (typeof verified.payer === 'string' && verified.payer !== '' && !samePayer(verified.payer, decision.payer)) {
      await unreserve();
      return refuse('invalid_payload');
    }
  }
  const payment = {
    x402Version: decision.x402Version, payer: decision.payer, payload: decision.payment, requirement: decision.requirement,
    ...(decision.paymentId === undefined ? {} : { paymentId: decision.paymentId }),
  };
  /** The 402 to send when settlement failed (PAYMENT-RESPONSE success=false, no resource body). */
  const failure = (settlement) => {
    const reason = reasonText(settlement?.errorReason, 'settlement_failed');
    return challengeResponse(request, challenge(reason), options, reason, { network, ...settlement }, v1);
  };
  let settledHere = false; // settle() succeeded: an answer may be kept for the payment's id
  let kept = false; // keep() kept one
  const settledBy = async (settlement) => {
    await claim?.settled(!options[SETTLES]);
    settledHere = true;
    return settlement;
  };
  return {
    payment,
    /** Settles through the facilitator; resolves to the SettlementResponse. */
    async settle() {
      if (!facilitator) throw new X402Error('settling needs a facilitator', 'INVALID_ARGUMENT');
      let settlement;
      const began = Math.floor(Date.now() / 1000);
      try {
        settlement = await facilitator.settle(decision.payment, decision.requirement);
      } catch (error) {
        // No answer: the payment may have settled. The chain may say (options.rpc); otherwise its
        // id stays taken.
        const found = await settledOnChain(decision.payment, decision.requirement, rpc, began);
        if (found) return settledBy(found);
        await claim?.unknown();
        return { success: false, errorReason: 'unexpected_settle_error', transaction: '', network, error: String(error?.message ?? error) };
      }
      // Only `success: true` with the transaction that settled it serves the resource (not
      // "false", not a missing answer, not a success naming no transaction, nor one naming another
      // payer, network or amount); a refusal's reason and transaction are checked where they are
      // sent (failure()). A success that is not this payment's is asked of the chain, as no answer.
      if (settlement?.success === true && settlesThis(settlement, decision)) return settledBy(settlement);
      if (settlement?.success === false) {
        await claim?.release();
        return settlement;
      }
      const found = await settledOnChain(decision.payment, decision.requirement, rpc, began);
      if (found) return settledBy(found);
      await claim?.unknown();
      return {
        success: false,
        errorReason: settlement?.success === true ? 'unexpected_settle_error' : reasonText(settlement?.errorReason, 'unexpected_settle_error'),
        transaction: '',
        network,
      };
    },
    /** Frees the replay key of a payment that was not used (the handler failed), and its id. */
    release: unreserve,
    /** The middleware: keeps the answer to send again for this payment under its id (see claimOf). */
    [KEEP]: claim?.keep,
    /**
     * requirePayment's callers: once settle() succeeded, keeps `response` as what this payment bought
     * under its id and returns the Response to send (`response` itself where nothing is kept).
     */
    keep(response, ctx) {
      // Once (the first answer is the one sent), and only a body that can still be read.
      if (!settledHere || kept || !claim || !(response instanceof Response) || response.bodyUsed || response.body?.locked) return response;
      kept = true;
      return claim.keep(response, waitUntilOf(ctx), true) ?? response;
    },
    failure,
  };
}

/**
 * The routes, parsed once: `{ method, path, under, pattern, config }` with canonical paths; `under`
 * is the prefix a "/prefix/*" route covers (undefined for an exact path), `pattern` the matcher of
 * a pattern (undefined for a literal path).
 */
function compileRoutes(routes) {
  return Object.entries(routes).map(([pattern, config]) => {
    // Refused when the middleware is made (at startup), not at the route's first request: a route
    // no client could pay, or one that cannot even be resolved, is a mistake to fix before deploying.
    try {
      withRoute(config, 'https://x402.invalid/', () => undefined);
    } catch (error) {
      if (error?.code !== 'INVALID_ROUTE_CONFIG') throw error;
      throw new X402Error(`routes[${JSON.stringify(pattern)}]: ${error.message}`, error.code, { cause: error });
    }
    const [method, given] = routeKey(pattern);
    const prefix = given.endsWith('/*');
    const path = canonicalPath(prefix ? given.slice(0, -2) : given);
    const under = prefix ? (path === '/' ? '/' : `${path}/`) : undefined;
    return { method: method.toUpperCase(), path, under, pattern: compilePattern(path, prefix), config };
  });
}

/** The methods a route may name (any case); a route naming none prices every method. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * `[METHOD, path]` of a route key: "METHOD /path", "/path" or "*" (method "*"). A key no request
 * could match (a typo in the method, a query string, a scheme and host, "{id}" for a placeholder,
 * a stray space) would leave its paths unpaid: INVALID_ROUTE_CONFIG, at startup.
 */
function routeKey(key) {
  const refuse = (why) => {
    throw new X402Error(`routes[${JSON.stringify(key)}]: ${why}`, 'INVALID_ROUTE_CONFIG');
  };
  const parts = /^(?:([^\s/]+)\s+)?(\*|\/\S*)$/.exec(key);
  if (!parts) refuse('a route is "METHOD /path", "/path" or "*" (a path from its leading /, without spaces, scheme or host)');
  const [, method = '*', path] = parts;
  if (method !== '*' && !METHODS.has(method.toUpperCase())) {
    refuse(`${JSON.stringify(method)} is not a method this middleware prices (${[...METHODS].join(', ')}; none: every method)`);
  }
  if (/[?#]/.test(path)) refuse('routes match paths: no query string or fragment');
  if (/[{}]/.test(path)) refuse('"{name}" is not a placeholder here: one path segment is ":name" or "[name]"');
  return [method.toUpperCase(), path];
}

/** The answer to a request whose client has gone, its payment given back unsettled: nobody reads it. */
async function gone(gate) {
  await gate.release();
  return new Response(null, { status: 499, statusText: 'Client Closed Request' });
}

/**
 * A middleware for a Worker's fetch handler. `config.routes` maps "METHOD /path" (or "/path",
 * "/prefix/*") to a route config; other requests go straight to `next`. Settles after the handler
 * answers below 400 (or before it, with settleBeforeHandler) and adds PAYMENT-RESPONSE.
 */
export function paymentRequired(config) {
  if (config?.routes === null || typeof config?.routes !== 'object') {
    throw new X402Error('paymentRequired needs { routes: { "METHOD /path": route, ... }, facilitator }', 'INVALID_ARGUMENT');
  }
  onlyKnownOptions(config, [...GATE_OPTIONS, 'routes', 'settleBeforeHandler'], 'paymentRequired');
  checkRpc(config.rpc, 'paymentRequired');
  const { routes, settleBeforeHandler = false, ...given } = config;
  if (given.facilitator === undefined || given.facilitator === null) {
    throw new X402Error('paymentRequired needs a facilitator (its url, a client, or a function of env) to settle payments', 'INVALID_ARGUMENT');
  }
  // A facilitator given as settings is one client for every request (a function of env is
  // called per request: its settings may come from env).
  const facilitator = typeof given.facilitator === 'function' || typeof given.facilitator.settle === 'function'
    ? given.facilitator
    : createFacilitatorClient(given.facilitator);
  checkCors(given.cors);
  const options = { ...given, facilitator, [SETTLES]: true };
  // Checked now, unless the wasm is not loaded (its download failed, in a browser: errors.js): then
  // at the first request, once loaded again, so that a module making the middleware at its top
  // level does not fail for good.
  let table = wasmLoaded() ? compileRoutes(routes) : undefined;
  return async function x402Middleware(request, env, ctx, next) {
    if (table === undefined) {
      await ready();
      table ??= compileRoutes(routes);
    }
    const pathname = requestPaths(new URL(request.url).pathname);
    if (request.method === 'OPTIONS') {
      // A preflight names the method it asks about; answer it for any paid route.
      const asked = request.headers.get('access-control-request-method') ?? 'GET';
      if (matchRoute(table, pathname, asked) || matchRoute(table, pathname, 'OPTIONS')) {
        return preflight(request, options);
      }
      return next(request, env, ctx);
    }
    const routeConfig = matchRoute(table, pathname, request.method);
    if (!routeConfig) return next(request, env, ctx);
    if (routeConfig === AMBIGUOUS) return ambiguousPath(request, options);
    const gate = await requirePayment(request, routeConfig, env, options);
    if (gate.response) return gate.response;
    // A client that has left (a runtime that keeps going, as Node and local workerd do) is
    // neither served nor charged, and its payment stays usable. Checked only before the handler
    // runs: once it has done the paid work, the payment is settled whoever reads the answer (a
    // client aborting each time would otherwise get the work done for free, again and again).
    if (request.signal?.aborted) return gone(gate);
    let settlement;
    if (settleBeforeHandler) {
      settlement = await gate.settle();
      if (!settlement.success) return gate.failure(settlement);
    }
    let response;
    let paid;
    try {
      response = await next(request, env, ctx);
      // Made before settling: a handler's answer that cannot be sent (not a Response, a body
      // already read) must not be paid for. An error answer is not paid for either.
      if (!(response instanceof Response)) throw new TypeError(`the handler answered ${typeof response}, not a Response`);
      if (settlement || response.status < 400) {
        paid = new Response(response.body, response);
        bodyOwners.set(paid, response);
      }
    } catch (error) {
      if (!settlement) await gate.release();
      else gate[KEEP]?.(null, waitUntilOf(ctx)); // settled first: its id keeps no answer
      throw error;
    }
    if (!paid) {
      await gate.release();
      return response;
    }
    if (!settlement) {
      settlement = await gate.settle();
      if (!settlement.success) {
        // The handler's answer is not sent: its body, unread, would hold its connection (an
        // upstream fetch's socket, in Node, for as long as the upstream keeps it open).
        discard(paid);
        return gate.failure(settlement);
      }
    }
    const name = gate.payment.x402Version === 1 ? 'X-PAYMENT-RESPONSE' : 'PAYMENT-RESPONSE';
    paid.headers.set(name, receiptHeader(settlement, gate.payment.requirement?.network ?? ''));
    withCors(paid.headers, corsHeaders(options, {}, request), options);
    // The handler's own exposed headers are kept, and the receipt's added: a page must read it.
    const exposed = paid.headers.get('access-control-expose-headers');
    if (!exposed.split(',').some((h) => h.trim().toLowerCase() === name.toLowerCase())) {
      paid.headers.set('access-control-expose-headers', `${exposed}, ${EXPOSE}`);
    }
    // No shared cache may keep a paid answer, whatever cache headers the handler set.
    keepPrivate(paid.headers);
    addVary(paid.headers, 'PAYMENT-SIGNATURE, X-PAYMENT');
    // A payment with a payment-identifier id: its answer is kept for the same payment sent again.
    const kept = gate[KEEP]?.(paid, waitUntilOf(ctx)) ?? paid;
    if (kept !== paid) bodyOwners.set(kept, response);
    return kept;
  };
}
