// The Durable Object replay store itself, in workerd (Miniflare): expired reservations are removed by
// the object's alarm in bounded batches (1,300 of them take at least three alarm runs, never one list of
// everything), a key reserved again after expiry keeps its new reservation, release frees a key and
// its index entry (only the reservation of the expiry it names, when it names one), and `shards` spreads keys over several objects with duplicates still meeting in
// one. The Worker is the package's ReplayStoreDurableObject with one read-only route added (a
// subclass) to look at its storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workerRoot } from '../lib/worker-harness.mjs';
import { startWorker } from '../lib/workerd.mjs';

const SOURCE = `
import { durableObjectReplayStore, ReplayStoreDurableObject } from './x402-wasm/worker/index.workerd.js';

export class Store extends ReplayStoreDurableObject {
  constructor(state, env) { super(state, env); this.alarms = 0; }
  async alarm() { this.alarms += 1; return super.alarm(); }
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/__stale') {
      // The expiry index entry a reservation left behind, as an alarm running between the expiry and
      // a new reservation of the key would still find it; with the alarm the store would set for it.
      const { key, expiresAt } = await request.json();
      await this.storage.put('#exp/' + String(expiresAt).padStart(16, '0') + '/' + key, 1);
      const alarm = await this.storage.getAlarm();
      if (alarm === null || alarm > (expiresAt + 1) * 1000) await this.storage.setAlarm((expiresAt + 1) * 1000);
      return Response.json({});
    }
    if (path !== '/__dump') return super.fetch(request);
    const entries = [...(await this.storage.list())];
    return Response.json({ entries, alarm: await this.storage.getAlarm(), alarms: this.alarms });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const shards = Number(url.searchParams.get('shards') ?? 1);
    const store = durableObjectReplayStore(env.REPLAY, { shards });
    if (url.pathname === '/reserve') {
      const { keys, expiresAt } = await request.json();
      return Response.json(await Promise.all(keys.map((key) => store.reserve(key, expiresAt))));
    }
    if (url.pathname === '/release') {
      const { key, expiresAt } = await request.json();
      await store.release(key, expiresAt);
      return Response.json({ ok: true });
    }
    if (url.pathname === '/dump') {
      const name = url.searchParams.get('name') ?? 'x402-replay';
      return env.REPLAY.get(env.REPLAY.idFromName(name)).fetch('https://x/__dump');
    }
    if (url.pathname === '/stale') {
      return env.REPLAY.get(env.REPLAY.idFromName('x402-replay')).fetch('https://x/__stale', { method: 'POST', body: await request.text() });
    }
    if (url.pathname === '/bad-shards') {
      try { durableObjectReplayStore(env.REPLAY, { shards: 0 }); return new Response('made'); } catch (e) { return new Response(e.name + ' ' + e.code); }
    }
    return new Response('not found', { status: 404 });
  },
};
`;

async function start(t) {
  const root = workerRoot([]);
  writeFileSync(join(root, 'store.mjs'), SOURCE);
  const mf = await startWorker({ scriptPath: join(root, 'store.mjs'), modulesRoot: root, durableObjects: { REPLAY: 'Store' } });
  t.after(() => mf.dispose());
  const call = async (path, body) => {
    const response = await mf.dispatchFetch(`http://x${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    assert.equal(response.status, 200, path);
    return response.json();
  };
  return { call, mf };
}

const now = () => Math.floor(Date.now() / 1000);
const key = (i) => `eip155:8453/0x${String(i).padStart(40, '0')}/0x${'ab'.repeat(32)}`;

async function waitFor(what, check, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('expired reservations leave in bounded alarm batches; live ones, re-reservations and releases are kept right', async (t) => {
  const { call, mf } = await start(t);
  const many = Array.from({ length: 1300 }, (_, i) => key(i));
  const soon = now() + 8; // the 1,300 reservations take a moment: the first sweep must come after
  for (let i = 0; i < many.length; i += 100) {
    assert.deepEqual(await call('/reserve', { keys: many.slice(i, i + 100), expiresAt: soon }), Array(100).fill(true));
  }
  const later = now() + 3600;
  assert.deepEqual(await call('/reserve', { keys: [key(5000), key(5001)], expiresAt: later }), [true, true]);
  assert.deepEqual(await call('/reserve', { keys: [key(0), key(5000)], expiresAt: later }), [false, false], 'duplicates');
  const full = await call('/dump');
  assert.equal(full.entries.length, 2 * 1302, 'each reservation and its expiry index entry');
  assert.equal(full.alarm, (soon + 1) * 1000);

  // After expiry, key(1) is reserved again (and is not a duplicate); the alarm must keep it.
  await waitFor('expiry', async () => now() > soon);
  assert.deepEqual(await call('/reserve', { keys: [key(1)], expiresAt: later }), [true]);
  await call('/stale', { key: key(1), expiresAt: soon });
  const swept = await waitFor('the sweep', async () => {
    const dump = await call('/dump');
    return dump.entries.length === 6 ? dump : null;
  });
  const kept = Object.fromEntries(swept.entries);
  for (const k of [key(1), key(5000), key(5001)]) {
    assert.equal(kept[k], later, k);
    assert.equal(kept[`#exp/${String(later).padStart(16, '0')}/${k}`], 1, `index of ${k}`);
  }
  assert.ok(swept.alarms >= 3, `1,300 expired entries in batches of 512 take 3 alarm runs (${swept.alarms})`);
  assert.equal(swept.alarm, (later + 1) * 1000, 'the next alarm is the next expiry');

  // A release naming another reservation's expiry (one that expired and was taken again since)
  // leaves the key as it is.
  await call('/release', { key: key(5000), expiresAt: soon });
  assert.equal((await call('/dump')).entries.length, 6);
  assert.deepEqual(await call('/reserve', { keys: [key(5000)], expiresAt: later }), [false]);
  // Release removes the key and its index entry; the key can be reserved again.
  await call('/release', { key: key(5000), expiresAt: later });
  assert.equal((await call('/dump')).entries.length, 4);
  assert.deepEqual(await call('/reserve', { keys: [key(5000)], expiresAt: later }), [true]);
  assert.equal(await (await mf.dispatchFetch('http://x/bad-shards')).text(), 'X402Error INVALID_ARGUMENT');
});

test('shards spread keys over several objects; duplicates still meet in one', async (t) => {
  const { call } = await start(t);
  const keys = Array.from({ length: 64 }, (_, i) => key(i));
  const expiresAt = now() + 3600;
  assert.deepEqual(await call('/reserve?shards=4', { keys, expiresAt }), Array(64).fill(true));
  assert.deepEqual(await call('/reserve?shards=4', { keys: [...keys, ...keys] , expiresAt }), Array(128).fill(false));
  const seen = new Map();
  for (let shard = 0; shard < 4; shard += 1) {
    const { entries } = await call(`/dump?name=x402-replay/${shard}`);
    const own = entries.map(([k]) => k).filter((k) => !k.startsWith('#'));
    assert.ok(own.length > 0 && own.length < 64, `shard ${shard} holds ${own.length}`);
    for (const k of own) {
      assert.equal(seen.has(k), false, `${k} in two shards`);
      seen.set(k, shard);
    }
  }
  assert.equal(seen.size, 64);
  assert.equal((await call('/dump')).entries.length, 0, 'the unsharded object is not used');
});
