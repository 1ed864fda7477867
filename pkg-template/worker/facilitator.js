// createFacilitatorClient: the HTTP client of an x402 facilitator (/verify, /settle, /supported),
// with a timeout, an auth-header hook, retries on 429 (honouring Retry-After) and a lazily
// fetched, TTL-cached /supported. No network happens until a method is called.
import { aborted, discard, readCapped, wholeNumber } from '../body.js';
import { X402Error, onlyKnownOptions } from '../errors.js';

const MAX_RETRY_AFTER_MS = 10_000;
/** The longest delay setTimeout keeps (ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The most retries on 429 (each waits up to MAX_RETRY_AFTER_MS). */
const MAX_RETRIES = 10;
/** The longest facilitator answer read (bytes): /supported, /verify and /settle answers are small. */
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * @param {{ url: string, headers?: Record<string,string> | ((req: { path: string }) => Record<string,string> | Promise<Record<string,string>>),
 *           timeoutMs?: number, settleTimeoutMs?: number, retries?: number, supportedTtlMs?: number, fetch?: typeof fetch }} options
 */
export function createFacilitatorClient(options = {}) {
  onlyKnownOptions(options, ['url', 'headers', 'timeoutMs', 'settleTimeoutMs', 'retries', 'supportedTtlMs', 'fetch'], 'createFacilitatorClient');
  // /settle gets longer (the official client's 90 s): a facilitator answers once the transaction is
  // mined, and a /settle given up on may still settle, the payer then charged and not served.
  const { url, headers, timeoutMs = 10_000, settleTimeoutMs = 90_000, retries = 2, supportedTtlMs = 300_000, fetch: fetchImpl } = options;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new X402Error('createFacilitatorClient needs an http(s) url', 'INVALID_ARGUMENT');
  }
  // Checked here, at startup: a timeout of 0, NaN (an unset env variable through Number()) or
  // past setTimeout's range (2^31 ms, which runtimes take as 1 ms) would abort every /settle,
  // possibly after the facilitator has received it: the buyer charged and not served.
  wholeNumber(timeoutMs, 'createFacilitatorClient', 'timeoutMs', 1, MAX_TIMER_MS);
  wholeNumber(settleTimeoutMs, 'createFacilitatorClient', 'settleTimeoutMs', 1, MAX_TIMER_MS);
  wholeNumber(retries, 'createFacilitatorClient', 'retries', 0, MAX_RETRIES);
  wholeNumber(supportedTtlMs, 'createFacilitatorClient', 'supportedTtlMs', 0, Number.MAX_SAFE_INTEGER);
  if (headers != null && typeof headers !== 'function' && typeof headers !== 'object') {
    throw new X402Error('createFacilitatorClient: headers must be an object or a function of { path }', 'INVALID_ARGUMENT');
  }
  if (fetchImpl != null && typeof fetchImpl !== 'function') {
    throw new X402Error('createFacilitatorClient: fetch must be a function', 'INVALID_ARGUMENT');
  }
  const base = url.replace(/\/+$/, '');
  let supported;
  let supportedAt = 0;

  async function call(path, method, body, ms = timeoutMs) {
    const doFetch = fetchImpl ?? globalThis.fetch;
    for (let attempt = 0; ; attempt += 1) {
      const extra = typeof headers === 'function' ? await headers({ path }) : headers;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), ms);
      let response;
      let text;
      let retry = false;
      let failed = false;
      let redirected = false;
      // The timeout covers the whole answer, body included: a facilitator that sends its
      // headers and then stalls cannot hold the request, nor can a custom fetch that ignores
      // the signal.
      const stopped = aborted(controller.signal);
      try {
        response = await Promise.race([doFetch(`${base}${path}`, {
          method,
          headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...extra },
          body: body ? JSON.stringify(body) : undefined,
          signal: controller.signal,
          // Never followed: a redirect would take the payment, and the hook's auth headers, to
          // another origin, whose answer would then be taken as the facilitator's.
          redirect: 'manual',
        }), stopped]);
        retry = response.status === 429 && attempt < retries;
        // A failure status says the facilitator is down or refuses us, whatever its body (often
        // an HTML error page, of any size): not read. 400, 402 and 412 carry its JSON answer. A
        // redirect (3xx; a browser's opaque one, status 0; one a custom fetch followed) fails too.
        const status = response.status;
        redirected = response.type === 'opaqueredirect' || response.redirected === true || (status >= 300 && status < 400);
        failed = !retry && (redirected || status < 200 || status >= 500 || (status >= 400 && ![400, 402, 412].includes(status)));
        if (retry || failed) discard(response);
        else text = await Promise.race([readCapped(response, MAX_ANSWER_BYTES, () => tooLarge(path)), stopped]);
      } catch (cause) {
        if (cause instanceof X402Error) throw cause;
        if (controller.signal.aborted) {
          const what = response === undefined ? 'did not answer' : 'did not finish its answer';
          throw new X402Error(`facilitator ${path} ${what} within ${ms} ms`, 'FACILITATOR_TIMEOUT', { cause });
        }
        throw new X402Error(`facilitator ${path} unreachable: ${cause?.message ?? cause}`, 'FACILITATOR_UNAVAILABLE', { cause });
      } finally {
        clearTimeout(timer);
      }
      if (retry) {
        await sleep(retryAfterMs(response.headers.get('retry-after'), attempt));
        continue;
      }
      if (failed) {
        const what = redirected ? ' (a redirect: not followed)' : '';
        throw new X402Error(`facilitator ${path} answered ${response.status}${what}`, 'FACILITATOR_UNAVAILABLE');
      }
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        throw new X402Error(`facilitator ${path} answered ${response.status} without JSON`, 'INVALID_FACILITATOR_RESPONSE');
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        throw new X402Error(`facilitator ${path} answered ${response.status} with JSON that is not an object`, 'INVALID_FACILITATOR_RESPONSE');
      }
      return json;
    }
  }

  return {
    url: base,
    /** POST /verify -> { isValid, invalidReason?, payer? } */
    async verify(paymentPayload, paymentRequirements) {
      const json = await call('/verify', 'POST', { x402Version: paymentPayload.x402Version, paymentPayload, paymentRequirements });
      if (typeof json.isValid !== 'boolean') throw new X402Error('facilitator /verify answer lacks isValid', 'INVALID_FACILITATOR_RESPONSE');
      return json;
    },
    /** POST /settle -> SettlementResponse */
    async settle(paymentPayload, paymentRequirements) {
      const json = await call('/settle', 'POST', { x402Version: paymentPayload.x402Version, paymentPayload, paymentRequirements }, settleTimeoutMs);
      if (typeof json.success !== 'boolean') throw new X402Error('facilitator /settle answer lacks success', 'INVALID_FACILITATOR_RESPONSE');
      return json;
    },
    /** GET /supported, cached for supportedTtlMs. */
    async supported() {
      const now = Date.now();
      if (!supported || now - supportedAt > supportedTtlMs) {
        const json = await call('/supported', 'GET');
        if (!Array.isArray(json.kinds)) throw new X402Error('facilitator /supported answer lacks kinds (a list)', 'INVALID_FACILITATOR_RESPONSE');
        supported = json;
        supportedAt = now;
      }
      return supported;
    },
  };
}

function retryAfterMs(value, attempt) {
  const seconds = Number(value);
  if (value && Number.isFinite(seconds)) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = value ? Date.parse(value) : NaN;
  if (Number.isFinite(date)) return Math.min(Math.max(date - Date.now(), 0), MAX_RETRY_AFTER_MS);
  return Math.min(250 * 2 ** attempt, MAX_RETRY_AFTER_MS);
}

/** A facilitator cannot make a Worker hold an answer of any size. */
function tooLarge(path) {
  return new X402Error(`facilitator ${path} answer is larger than ${MAX_ANSWER_BYTES} bytes`, 'INVALID_FACILITATOR_RESPONSE');
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
