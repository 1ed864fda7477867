// Bounded reads of bodies from other parties (a facilitator, a site's discovery document): such a
// body is never held whole past its limit, and one not read is cancelled, since an unread body
// holds its connection (Node's fetch keeps the socket while the server keeps it open).
import { X402Error } from './errors.js';

/**
 * The body of `response` as text (UTF-8), read chunk by chunk and cancelled as soon as it passes
 * `limit` bytes; then `tooLarge()` is thrown. A Response-like without a stream body is read with
 * text().
 * @param {Response} response
 * @param {number} limit
 * @param {() => Error} tooLarge
 * @returns {Promise<string>}
 */
export async function readCapped(response, limit, tooLarge) {
  if (typeof response.body?.getReader !== 'function') {
    const text = String(await response.text());
    if (text.length > limit) throw tooLarge();
    return text;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > limit) throw tooLarge();
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error;
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** Cancels the body of a response that will not be read, not waiting, never throwing. */
export function discard(response) {
  try {
    response?.body?.cancel?.().catch(() => {});
  } catch {
    // A body already locked or a getter that throws: nothing more to free from here.
  }
}

/** Rejects when `signal` aborts (a custom fetch may not stop on abort); never unhandled. */
export function aborted(signal) {
  const stopped = new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true });
  });
  stopped.catch(() => {});
  return stopped;
}

/** Refuses (INVALID_ARGUMENT) anything but a whole number from `min` to `max`, naming `where`. */
export function wholeNumber(value, where, name, min, max) {
  if (!Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === 'number' ? String(value) : `${typeof value} ${JSON.stringify(value) ?? ''}`.trim();
    throw new X402Error(`${where}: ${name} must be a whole number from ${min} to ${max}, not ${shown}`, 'INVALID_ARGUMENT');
  }
}
