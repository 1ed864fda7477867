// Replay stores: a payment (network, payer, nonce) is accepted once. memoryReplayStore() serves one
// isolate; durableObjectReplayStore(namespace) serves many, through ReplayStoreDurableObject. Both
// also remember, for a while, what a payment with a payment-identifier id bought (remember/recall).
// Not KV: Workers KV is eventually consistent, so two isolates could both accept the same payment.
import { X402Error } from '../errors.js';

/**
 * An in-memory store for one isolate. Entries expire at their payment's validBefore; remembered
 * ones (payment-identifier: what a settled payment bought) when their time to live ends.
 */
export function memoryReplayStore() {
  const entries = new Map(); // key -> expiresAt, or { expiresAt, value, size } once remembered
  const answered = new Map(); // key -> size of its kept answer, oldest first (only those with one)
  let nextSweep = 0;
  let kept = 0; // bytes of kept answers (their JSON)
  /** Forgets `key`'s kept answer, if it has one, from the count. */
  const unkeep = (key) => {
    kept -= answered.get(key) ?? 0;
    answered.delete(key);
  };
  const live = (key, now) => {
    const entry = entries.get(key);
    return entry !== undefined && expiryOf(entry) > now ? entry : undefined;
  };
  return {
    async reserve(key, expiresAt) {
      const now = Math.floor(Date.now() / 1000);
      // Expired entries go at most once a second, so a large store costs O(1) per call on average.
      if (entries.size > 1024 && now >= nextSweep) {
        for (const [k, entry] of entries) {
          if (expiryOf(entry) > now) continue;
          unkeep(k);
          entries.delete(k);
        }
        nextSweep = now + 1;
      }
      if (live(key, now) !== undefined) return false;
      unkeep(key);
      entries.set(key, expiresAt);
      return true;
    },
    async release(key, expiresAt) {
      const entry = entries.get(key);
      // Only this request's reservation: one that expired and was taken again since stays.
      if (entry === undefined || (expiresAt !== undefined && expiryOf(entry) !== expiresAt)) return;
      unkeep(key);
      entries.delete(key);
    },
    async remember(key, value, expiresAt) {
      // Kept answers take at most MAX_KEPT bytes in all: past that, the oldest are dropped (a
      // payment sent again then gets 409, its answer not kept), so paid requests cannot fill memory.
      // The oldest kept answers are found without stepping over every reservation.
      const size = value?.answer ? JSON.stringify(value.answer).length : 0;
      unkeep(key);
      for (const k of answered.keys()) {
        if (kept + size <= MAX_KEPT) break;
        const entry = entries.get(k);
        if (typeof entry === 'object') entries.set(k, { ...entry, value: { ...entry.value, answer: undefined }, size: 0 });
        unkeep(k);
      }
      const fits = kept + size <= MAX_KEPT;
      const stored = fits ? structuredClone(value) : { ...structuredClone(value), answer: undefined };
      if (fits && size > 0) {
        kept += size;
        answered.set(key, size);
      }
      entries.set(key, { expiresAt, value: stored, size: fits ? size : 0 });
    },
    async recall(key) {
      const entry = live(key, Math.floor(Date.now() / 1000));
      return typeof entry === 'object' ? structuredClone(entry.value) : undefined;
    },
  };
}

/** The most bytes of kept answers (payment-identifier) one memory store holds: 16 MB. */
const MAX_KEPT = 16 * 1024 * 1024;

/** When a stored entry expires: a reservation is its expiry; a remembered entry carries one. */
function expiryOf(entry) {
  return typeof entry === 'number' ? entry : entry.expiresAt;
}

/**
 * A store backed by a Durable Object namespace bound to ReplayStoreDurableObject. `shards` > 1
 * spreads the keys over that many objects (by a hash of the key, so a payment always meets its
 * duplicates in the same object) for more reservations per second than one object serves. Change
 * `shards` only when no reservation is outstanding (after the routes' longest maxTimeoutSeconds):
 * a key reserved before the change would be looked for in another object.
 */
export function durableObjectReplayStore(namespace, { name = 'x402-replay', shards = 1 } = {}) {
  // A missing binding (`env.REPLAY` undefined) would otherwise fail at the first paid request,
  // after its payer signed.
  if (typeof namespace?.idFromName !== 'function' || typeof namespace?.get !== 'function') {
    throw new X402Error('durableObjectReplayStore needs a Durable Object namespace binding of ReplayStoreDurableObject '
      + '(durable_objects.bindings in wrangler.jsonc); without one, leave replayStore out for the in-memory store', 'INVALID_ARGUMENT');
  }
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > 1024) {
    throw new X402Error('durableObjectReplayStore: shards must be an integer from 1 to 1024', 'INVALID_ARGUMENT');
  }
  const stub = (key) => namespace.get(namespace.idFromName(shards === 1 ? name : `${name}/${fnv1a(key) % shards}`));
  const send = async (body) => {
    const response = await stub(body.key).fetch('https://x402-replay.internal/', { method: 'POST', body: JSON.stringify(body) });
    // A refusal of the request itself is not a duplicate payment: it fails loudly.
    if (!response.ok) throw new Error(`replay store: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    async reserve(key, expiresAt) {
      return (await send({ op: 'reserve', key, expiresAt })).reserved === true;
    },
    async release(key, expiresAt) {
      await send({ op: 'release', key, ...(expiresAt === undefined ? {} : { expiresAt }) });
    },
    async remember(key, value, expiresAt) {
      await send({ op: 'remember', key, value, expiresAt });
    },
    async recall(key) {
      const { value } = await send({ op: 'recall', key });
      return value ?? undefined;
    },
  };
}

/** FNV-1a (32 bits) of a string's UTF-16 code units: a stable spread of keys over shards. */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * Expiry index entries: `#exp/<expiresAt, 16 digits>/<key>`, so the alarm reads the expired ones
 * in order, a bounded batch at a time, however many reservations are outstanding. No replay key
 * starts with `#` (they start with a CAIP-2 namespace).
 */
const INDEX = '#exp/';
const indexKey = (expiresAt, key) => `${INDEX}${String(expiresAt).padStart(16, '0')}/${key}`;
/** Index entries one alarm removes before rescheduling itself; storage calls take 128 keys. */
const SWEEP = 512;
const CHUNK = 128;

/**
 * The Durable Object class of the replay store. Export it from your Worker and bind it:
 * `export { ReplayStoreDurableObject } from 'x402-wasm/worker'`.
 * One object serialises its reservations: a get followed by a put cannot interleave with
 * another request (the runtime's input gates), so concurrent duplicates see each other.
 * Expired reservations are removed by an alarm, in batches of a bounded size.
 */
export class ReplayStoreDurableObject {
  constructor(state) {
    this.storage = state.storage;
  }

  async fetch(request) {
    const { op, key, expiresAt, value } = await request.json();
    if (typeof key !== 'string' || key.startsWith('#')) return Response.json({ error: 'key required' }, { status: 400 });
    const existing = await this.storage.get(key);
    const stale = existing === undefined ? [] : [indexKey(expiryOf(existing), key)];
    const now = Math.floor(Date.now() / 1000);
    if (op === 'release') {
      // Only the reservation made with `expiresAt`, when given: a key taken again since stays.
      if (existing === undefined || (expiresAt !== undefined && expiryOf(existing) !== expiresAt)) return Response.json({ released: false });
      await this.storage.delete([key, ...stale]);
      return Response.json({ released: true });
    }
    if (op === 'recall') {
      const live = typeof existing === 'object' && existing !== null && existing.expiresAt > now;
      return Response.json({ value: live ? existing.value : null });
    }
    if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) return Response.json({ error: 'expiresAt required' }, { status: 400 });
    if (op === 'reserve' && existing !== undefined && expiryOf(existing) > now) return Response.json({ reserved: false });
    if (op !== 'reserve' && (op !== 'remember' || value === undefined)) return Response.json({ error: 'unknown op' }, { status: 400 });
    if (stale.length) await this.storage.delete(stale);
    await this.storage.put({ [key]: op === 'remember' ? { expiresAt, value } : expiresAt, [indexKey(expiresAt, key)]: 1 });
    const alarm = await this.storage.getAlarm();
    const due = (expiresAt + 1) * 1000;
    if (alarm === null || alarm > due) await this.storage.setAlarm(due);
    return Response.json(op === 'remember' ? { remembered: true } : { reserved: true });
  }

  async alarm() {
    const now = Math.floor(Date.now() / 1000);
    const expired = [...(await this.storage.list({ prefix: INDEX, end: indexKey(now + 1, ''), limit: SWEEP })).keys()];
    for (let i = 0; i < expired.length; i += CHUNK) {
      const chunk = expired.slice(i, i + CHUNK);
      const keys = chunk.map((k) => k.slice(INDEX.length + 17));
      const current = await this.storage.get(keys);
      // A key reserved again since (a later expiry) stays; its old index entry goes.
      const gone = keys.filter((k) => { const e = current.get(k); return e !== undefined && expiryOf(e) <= now; });
      await this.storage.delete(chunk);
      if (gone.length) await this.storage.delete(gone);
    }
    if (expired.length === SWEEP) {
      await this.storage.setAlarm(Date.now());
      return;
    }
    const [next] = (await this.storage.list({ prefix: INDEX, limit: 1 })).keys();
    if (next !== undefined) await this.storage.setAlarm((Number(next.slice(INDEX.length, INDEX.length + 16)) + 1) * 1000);
  }
}
