// Replay stores: a payment (network, payer, nonce) is accepted once. memoryReplayStore() serves one
// isolate; durableObjectReplayStore(namespace) serves many, through ReplayStoreDurableObject.
// Not KV: Workers KV is eventually consistent, so two isolates could both accept the same payment.

/** An in-memory store for one isolate. Entries expire at their payment's validBefore. */
export function memoryReplayStore() {
  const entries = new Map();
  let nextSweep = 0;
  return {
    async reserve(key, expiresAt) {
      const now = Math.floor(Date.now() / 1000);
      // Expired entries go at most once a second, so a large store costs O(1) per call on average.
      if (entries.size > 1024 && now >= nextSweep) {
        for (const [k, exp] of entries) if (exp <= now) entries.delete(k);
        nextSweep = now + 1;
      }
      const existing = entries.get(key);
      if (existing !== undefined && existing > now) return false;
      entries.set(key, expiresAt);
      return true;
    },
    async release(key) {
      entries.delete(key);
    },
  };
}

/** A store backed by a Durable Object namespace bound to ReplayStoreDurableObject. */
export function durableObjectReplayStore(namespace, { name = 'x402-replay' } = {}) {
  const stub = () => namespace.get(namespace.idFromName(name));
  const send = async (body) => {
    const response = await stub().fetch('https://x402-replay.internal/', { method: 'POST', body: JSON.stringify(body) });
    return response.json();
  };
  return {
    async reserve(key, expiresAt) {
      return (await send({ op: 'reserve', key, expiresAt })).reserved === true;
    },
    async release(key) {
      await send({ op: 'release', key });
    },
  };
}

/**
 * The Durable Object class of the replay store. Export it from your Worker and bind it:
 * `export { ReplayStoreDurableObject } from 'x402-wasm/worker'`.
 * One object serialises all reservations: a get followed by a put cannot interleave with
 * another request (the runtime's input gates), so concurrent duplicates see each other.
 */
export class ReplayStoreDurableObject {
  constructor(state) {
    this.storage = state.storage;
  }

  async fetch(request) {
    const { op, key, expiresAt } = await request.json();
    if (typeof key !== 'string') return Response.json({ error: 'key required' }, { status: 400 });
    if (op === 'release') {
      await this.storage.delete(key);
      return Response.json({ released: true });
    }
    const now = Math.floor(Date.now() / 1000);
    const existing = await this.storage.get(key);
    if (existing !== undefined && existing > now) return Response.json({ reserved: false });
    await this.storage.put(key, expiresAt);
    const alarm = await this.storage.getAlarm();
    const due = (expiresAt + 1) * 1000;
    if (alarm === null || alarm > due) await this.storage.setAlarm(due);
    return Response.json({ reserved: true });
  }

  async alarm() {
    const now = Math.floor(Date.now() / 1000);
    let next = Infinity;
    for (const [key, expiresAt] of await this.storage.list()) {
      if (expiresAt <= now) await this.storage.delete(key);
      else next = Math.min(next, expiresAt);
    }
    if (next !== Infinity) await this.storage.setAlarm((next + 1) * 1000);
  }
}
