// The payment-identifier extension in the Worker helper, as its specification's table says: a new
// id is processed normally; the same id with the same payment (a client resending its request after
// a lost answer) gets the answer that payment bought, kept from the first time; the same id with
// another payment is 409 Conflict, so one id is never charged twice. Runs in requirePayment between
// the local checks and the replay reservation (a resent payment is a replay otherwise).
import { addVary, corsHeaders, keepPrivate, withCors } from './cors.js';

/** How long a settled payment's id and answer are kept by default (paymentIdentifier.ttlSeconds). */
const PAYMENT_ID_TTL = 3600;
/**
 * The least time an id stays claimed while its payment is served and settled (seconds): longer than
 * a handler and a slow /settle (90 s by default) take, so the id is never free while it may settle.
 */
const CLAIM_SECONDS = 900;
/** The largest answer body kept for a resent payment (bytes); a larger one is not kept. */
const MAX_KEPT_BODY = 256 * 1024;
/** Headers of a kept answer that are not sent again: meant for the first request only, or recomputed. */
const NOT_KEPT = /^(set-cookie|content-length|content-encoding|transfer-encoding)$/i;

/** A header name: RFC 9110 token characters, less `*` (Vary: * is not a name). */
const TOKEN = /^[!#$%&'+.^_`|~0-9A-Za-z-]+$/;

/** Request headers a kept answer is not matched on by its Vary: in the hash already, or CORS's own. */
const UNVARIED = new Set(['origin', 'authorization', 'cookie', 'payment-signature', 'x-payment', 'accept-encoding']);

const seconds = () => Math.floor(Date.now() / 1000);
const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** The 409 of an id that cannot be served now (`error`: payment_in_progress or payment_identifier_conflict). */
function conflict(request, options, error, message, retry) {
  const headers = corsHeaders(options, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...(retry ? { 'Retry-After': '1' } : {}) }, request);
  return { response: new Response(JSON.stringify({ error, message }), { status: 409, headers }), reason: error };
}

/**
 * The payment-identifier step, for a v2 payment with an id on a route that declares the extension,
 * with a store that can remember (both built-in ones; otherwise `undefined`, ids not deduplicated):
 * `{ claim }` for a new id (this request serves and settles it), or `{ response }`: the kept answer
 * of this same payment, or a 409. Keyed by network, payer and id: one payer's id is one purchase.
 */
export async function byPaymentId(request, routeConfig, decision, store, options) {
  if (decision.paymentId === undefined || typeof store.remember !== 'function' || typeof store.recall !== 'function') return undefined;
  // "The same payment" is the same payment header sent again for the same request: method, URL and
  // the credentials the answer may depend on. The header alone would hand the payer's answer (made
  // for its Authorization or Cookie) to whoever else sends it, on any route of the same price.
  const same = [request.method, String(request.url), ...['payment-signature', 'authorization', 'cookie'].map((h) => request.headers.get(h) ?? '')];
  const hash = hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(same))));
  const key = `pid/${decision.requirement?.network ?? ''}/${decision.payer}/${decision.paymentId}`;
  const ttl = routeConfig.paymentIdentifier?.ttlSeconds ?? PAYMENT_ID_TTL;
  // Until then the id stays taken whatever happens: the payment may settle until it expires, and a
  // handler and a slow /settle take their time.
  const claimed = Math.max(decision.expiresAt, seconds() + CLAIM_SECONDS);
  if (await store.reserve(key, claimed)) return { claim: claimOf(store, key, hash, ttl, claimed, request) };
  const kept = await store.recall(key);
  if (kept === undefined || kept === null) {
    return conflict(request, options, 'payment_in_progress', 'a payment with this payment-identifier id is being served; try again shortly', true);
  }
  if (kept.hash !== hash) {
    return conflict(request, options, 'payment_identifier_conflict', 'this payment-identifier id was used by another payment');
  }
  // An answer that varies on other request headers (its Vary) is only for a request that has them too.
  const varies = (kept.answer?.vary ?? []).some(([name, value]) => (request.headers.get(name) ?? '') !== value);
  if (varies) return conflict(request, options, 'payment_identifier_conflict', 'this payment was made for another request');
  if (kept.answer) return { response: keptResponse(kept.answer, request, options) };
  if (kept.state === 'serving') {
    return conflict(request, options, 'payment_in_progress', 'this payment is being served; try again shortly', true);
  }
  const why = kept.state === 'unknown'
    ? "this payment's settlement did not answer: it may have settled"
    : 'this payment was settled; its answer was not kept';
  return conflict(request, options, 'payment_identifier_conflict', why);
}

/**
 * A new id's claim: `settled(final)` after a successful settlement (final: no answer will be kept,
 * for requirePayment's own callers), `keep(response, waitUntil)` (the middleware: the answer to
 * keep, or null for none; returns the Response to send), `unknown()` when /settle failed without an answer (the
 * payment may have settled: the id stays taken), `release()` when nothing was charged.
 */
function claimOf(store, key, hash, ttl, claimed, request) {
  const remember = async (value) => {
    // A state that is not final ('serving', 'unknown') lasts at least as long as the claim: a short
    // ttlSeconds must not free an id whose payment may still settle, or whose answer is being made.
    const until = value.state === 'settled' ? seconds() + ttl : Math.max(seconds() + ttl, claimed);
    try {
      await store.remember(key, { hash, ...value }, until);
    } catch {
      // A store that cannot take the answer (a value too large) keeps the rest; one that takes
      // nothing leaves the id claimed until its claim expires, repeats told to wait.
      if (value.answer) await remember({ ...value, answer: undefined });
    }
  };
  return {
    async settled(final) {
      await remember({ state: final ? 'settled' : 'serving' });
    },
    async unknown() {
      await remember({ state: 'unknown' });
    },
    // This request's claim only (its expiry says which): one that outlived it is another's now.
    release: () => store.release(key, claimed),
    /**
     * Keeps `response` (its body copied as the client reads it) and returns what to send instead.
     * `serving`: the id is recorded as settled already (requirePayment's own callers): marked as
     * being served again while the body streams, so a payment sent again meanwhile is told to wait.
     */
    keep(response, waitUntil, serving = false) {
      let finished = () => {};
      if (response === null) {
        waitUntil(remember({ state: 'settled' }));
        return null;
      }
      // A server error (settled first, with settleBeforeHandler) is not kept as what was bought.
      // Nor is one that varies on everything (Vary: *) or on what is no header name: no request can
      // be told to match it.
      const length = Number(response.headers.get('content-length') ?? NaN);
      const anything = (response.headers.get('vary') ?? '').split(',').some((n) => !TOKEN.test(n.trim()) && n.trim() !== '');
      if (response.status >= 500 || length > MAX_KEPT_BODY || anything) {
        waitUntil(remember({ state: 'settled' }));
        return response;
      }
      if (response.body === null) {
        waitUntil(remember({ state: 'settled', answer: answerOf(response, '', request) }));
        return response;
      }
      const marked = serving ? remember({ state: 'serving' }) : Promise.resolve();
      waitUntil(new Promise((resolve) => {
        finished = resolve;
      }));
      return new Response(copying(response.body, (bytes) => {
        const kept = bytes === null ? { state: 'settled' } : { state: 'settled', answer: answerOf(response, base64(bytes), request) };
        const done = marked.then(() => remember(kept));
        finished(done);
        return done;
      }), response);
    },
  };
}

/**
 * What is kept of an answer: status and headers (less NOT_KEPT), the body as base64, and the values
 * the request had of the headers its Vary names (those the hash does not cover already).
 */
function answerOf(response, body, request) {
  const headers = [...response.headers].filter(([name]) => !NOT_KEPT.test(name));
  const names = (response.headers.get('vary') ?? '').split(',').map((n) => n.trim().toLowerCase()).filter((n) => n && !UNVARIED.has(n));
  const vary = names.map((name) => [name, request.headers.get(name) ?? '']);
  return { status: response.status, statusText: response.statusText, headers, body, vary };
}

/** The kept answer for a resent payment, with this request's CORS as the first answer had them. */
function keptResponse(answer, request, options) {
  const headers = new Headers(answer.headers);
  withCors(headers, corsHeaders(options, {}, request), options);
  addVary(headers, 'PAYMENT-SIGNATURE, X-PAYMENT');
  keepPrivate(headers);
  const body = answer.body === '' ? null : Uint8Array.from(atob(answer.body), (c) => c.charCodeAt(0));
  return new Response(body, { status: answer.status, statusText: answer.statusText, headers });
}

/**
 * `stream` passed on as it is read, its first MAX_KEPT_BODY bytes copied: `done(bytes)` when it ends
 * within them, `done(null)` as soon as it passes them, is cancelled (the client left: the cancel
 * goes on upstream) or fails. Nothing is read that the client does not read.
 */
function copying(stream, done) {
  const reader = stream.getReader();
  let chunks = [];
  let length = 0;
  let told = false;
  const tell = (bytes) => {
    if (told) return;
    told = true;
    chunks = null;
    done(bytes).catch(() => {});
  };
  return new ReadableStream({
    async pull(controller) {
      let step;
      try {
        step = await reader.read();
      } catch (error) {
        tell(null);
        controller.error(error);
        return;
      }
      if (step.done) {
        tell(chunks === null ? null : joined(chunks, length));
        controller.close();
        return;
      }
      if (chunks !== null) {
        // Kept as bytes, copied (a producer may reuse its buffer): any view or ArrayBuffer a
        // runtime accepts in a body; anything else (a string) is not kept.
        const bytes = bytesOf(step.value);
        length += bytes?.byteLength ?? 0;
        if (bytes === null || length > MAX_KEPT_BODY) tell(null);
        else chunks.push(bytes.slice());
      }
      controller.enqueue(step.value);
    },
    cancel(reason) {
      tell(null);
      return reader.cancel(reason);
    },
  });
}

/** A body chunk's bytes, or null for a chunk that is not bytes. */
function bytesOf(chunk) {
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return null;
}

/** `chunks` (of `length` bytes in all) as one array. */
function joined(chunks, length) {
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

function base64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** ctx.waitUntil where the runtime has it (Workers); elsewhere the work runs on unawaited. */
export function waitUntilOf(ctx) {
  if (typeof ctx?.waitUntil === 'function') return (promise) => ctx.waitUntil(promise);
  return (promise) => {
    promise.catch(() => {});
  };
}
