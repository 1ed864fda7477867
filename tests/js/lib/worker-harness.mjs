// Harness for the x402-wasm/worker tests: Workers in workerd (Miniflare) that protect routes with
// paymentRequired from the packed package, the official v2 facilitator on anvil served over loopback
// HTTP with every call counted, and helpers to get, tamper and send payment headers.
//
// A test Worker is generated from a list of middleware configs (JSON, baked into the script), each
// with `store: 'memory' | 'do'` (memoryReplayStore() built at module scope, or
// durableObjectReplayStore(env.REPLAY) built on first request) and any paymentRequired options.
// The handler answers WEATHER (under /chunks/<arraybuffer|dataview|uint16>, streamed in chunks of
// that kind) and counts its calls; GET /__stats returns
// { handled, startup } (startup: what the module did while it was being evaluated).
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAddress } from 'viem';
import { Miniflare } from 'miniflare';
import {
  anvilAccount, deployContract, deployTestUSDC, installMulticall3, startAnvil, startOfficialFacilitator,
  serveFacilitatorHttp,
} from './chain.mjs';
import { startV1Facilitator } from './official-servers.mjs';
import { packageDir, tempDir } from './pkg.mjs';

export const NETWORK = 'eip155:31337';
export const PRICE = 10_000n; // 0.01 TestUSDC (6 decimals)
export const MINTED = 10_000_000n;
export const WEATHER = { city: 'Lisbon', weather: 'sunny', temperatureC: 21 };

/** `response` is the paid GET /weather: 200 with the handler's answer (its body is read). */
export async function assertServedWeather(response) {
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.deepEqual(JSON.parse(text), { ...WEATHER, path: '/weather' });
}

/** The route config of GET /weather paid in TestUSDC at `asset` on `network`. */
export function weatherRoute({ asset, payTo, network = NETWORK, amount = PRICE, acceptV1 = false, maxTimeoutSeconds = 60 }) {
  return {
    accepts: [{
      scheme: 'exact', network, payTo, maxTimeoutSeconds,
      price: { amount: String(amount), asset, extra: { name: 'USDC', version: '2' } },
    }],
    resource: { description: 'Weather report', mimeType: 'application/json' },
    ...(acceptV1 ? { acceptV1: true } : {}),
  };
}

// Counts what happens while the Worker module is evaluated: the probe module is imported before
// the package, and `startup.done` is set by the module imported after it.
const PROBE_START = `
export const startup = { fetch: 0, random: 0, getRandomValues: 0, randomUUID: 0, done: false, wrapped: [], errors: [] };
const wrap = (owner, key, counter) => {
  const original = owner[key];
  if (typeof original !== 'function') return;
  try {
    owner[key] = function (...args) {
      if (!startup.done) startup[counter] += 1;
      return original.apply(this, args);
    };
    if (owner[key] !== original) startup.wrapped.push(key);
  } catch (e) {
    startup.errors.push(String(e));
  }
};
wrap(globalThis, 'fetch', 'fetch');
wrap(Math, 'random', 'random');
wrap(crypto, 'getRandomValues', 'getRandomValues');
wrap(crypto, 'randomUUID', 'randomUUID');
`;
const PROBE_END = `
import { startup } from './probe-start.mjs';
startup.done = true;
`;

/** The source of a test Worker (see the file comment). */
export function workerSource(middlewares) {
  return `
import { startup } from './probe-start.mjs';
import {
  paymentRequired, memoryReplayStore, durableObjectReplayStore, ReplayStoreDurableObject,
} from './x402-wasm/worker/index.workerd.js';
import './probe-end.mjs';
export { ReplayStoreDurableObject };

const WEATHER = ${JSON.stringify(WEATHER)};
const MIDDLEWARES = ${JSON.stringify(middlewares)};
const stats = { handled: 0, handledPaths: [], startup };

// Memory-store middlewares are built at module scope, as users write them.
const built = MIDDLEWARES.map(({ store, ...config }) =>
  store === 'do' ? undefined : paymentRequired({ ...config, replayStore: memoryReplayStore() }));

function middleware(i, env) {
  if (!built[i]) {
    const { store, ...config } = MIDDLEWARES[i];
    built[i] = paymentRequired({ ...config, replayStore: durableObjectReplayStore(env.REPLAY) });
  }
  return built[i];
}

async function handler(request) {
  const url = new URL(request.url);
  stats.handled += 1;
  stats.handledPaths.push(url.pathname);
  // /chunks/<kind>: the answer streamed as chunks of another kind than Uint8Array (workerd takes them).
  const kind = url.pathname.startsWith('/chunks/') ? url.pathname.slice(8) : undefined;
  if (kind) {
    const text = new TextEncoder().encode(JSON.stringify({ ...WEATHER, path: url.pathname, run: stats.handled }));
    const chunk = { arraybuffer: () => text.slice().buffer, dataview: () => new DataView(text.slice().buffer),
      uint16: () => new Uint16Array(text.slice(0, text.length - (text.length % 2)).buffer) }[kind];
    return new Response(new ReadableStream({
      start(controller) {
        controller.enqueue(chunk());
        if (text.length % 2 === 1 && kind === 'uint16') controller.enqueue(text.slice(-1));
        controller.close();
      },
    }), { headers: { 'content-type': 'application/json' } });
  }
  return Response.json({ ...WEATHER, path: url.pathname });
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/__stats') return Response.json(stats);
    const run = (i) => (req, e, c) => (i === MIDDLEWARES.length ? handler(req) : middleware(i, env)(req, e, c, run(i + 1)));
    return run(0)(request, env, ctx);
  },
};
`;
}

/** A folder holding the installed package and a generated Worker script (worker.mjs). */
export function workerRoot(middlewares) {
  const root = tempDir('x402-worker-helper-');
  cpSync(packageDir(), join(root, 'x402-wasm'), { recursive: true });
  writeFileSync(join(root, 'probe-start.mjs'), PROBE_START);
  writeFileSync(join(root, 'probe-end.mjs'), PROBE_END);
  writeFileSync(join(root, 'worker.mjs'), workerSource(middlewares));
  return root;
}

const MODULE_RULES = [
  { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
  { type: 'CompiledWasm', include: ['**/*.wasm'] },
];

function workerOptions(name, root, durableObjects) {
  return {
    name,
    modules: true,
    scriptPath: join(root, 'worker.mjs'),
    modulesRoot: root,
    modulesRules: MODULE_RULES,
    compatibilityDate: '2025-09-01',
    ...(durableObjects ? { durableObjects } : {}),
  };
}

const NULL_BODY_STATUSES = [101, 103, 204, 205, 304];

/**
 * Miniflare's fetch answers `new Response(inner.body, inner)` and drops `inner`, whose body stream
 * undici cancels when `inner` is garbage-collected (if nothing has locked the stream yet). A body
 * read after a later task (e.g. once every response of a Promise.all has come in) then fails now
 * and then with "Body is unusable". Call this in the same microtask chain as the fetch: it locks
 * the stream at once and hands back a buffered copy.
 */
async function buffered(response) {
  const body = await response.arrayBuffer();
  const { status, statusText, headers } = response;
  return new Response(NULL_BODY_STATUSES.includes(status) ? null : body, { status, statusText, headers });
}

/**
 * Starts Workers in one workerd (Miniflare) on 127.0.0.1. `middlewares` as workerSource.
 * `copies` > 1 runs the same script as that many separate Workers (separate isolates: `w0`, `w1`,
 * ...); with `durableObject`, all of them bind REPLAY to the ReplayStoreDurableObject class of `w0`.
 * Stops at t.after. Returns { mf, url, workers: [Fetcher], fetch(path, init, i), stats(i) }.
 */
export async function startHelperWorker(t, { middlewares, copies = 1, durableObject = false }) {
  const root = workerRoot(middlewares);
  const workers = [];
  for (let i = 0; i < copies; i += 1) {
    const durableObjects = durableObject
      ? { REPLAY: i === 0 ? 'ReplayStoreDurableObject' : { className: 'ReplayStoreDurableObject', scriptName: 'w0' } }
      : undefined;
    workers.push(workerOptions(`w${i}`, root, durableObjects));
  }
  const mf = new Miniflare({ host: '127.0.0.1', workers });
  t.after(() => mf.dispose());
  const url = (await mf.ready).toString();
  const fetchers = await Promise.all(workers.map((w) => mf.getWorker(w.name)));
  const fetchAt = (i, path, init) => fetchers[i].fetch(new URL(path, 'http://127.0.0.1').toString(), init).then(buffered);
  return {
    mf,
    url,
    workers: fetchers,
    fetch: (path, init, i = 0) => fetchAt(i, path, init),
    stats: async (i = 0) => (await fetchAt(i, '/__stats')).json(),
  };
}

/**
 * Wraps a facilitator (verify/settle/getSupported) so every call is counted, then serves it on
 * 127.0.0.1. Returns { url, close(), calls: { verify, settle, supported }, log: [op], verified: [payload],
 * hold() }: hold() makes every /settle wait until the function it returns is called.
 */
export async function countingFacilitatorHttp(t, facilitator) {
  const inner = facilitator.facilitator ?? facilitator;
  const calls = { verify: 0, settle: 0, supported: 0 };
  const log = [];
  const verified = []; // the payment payloads /verify was given, in order
  const count = (op) => {
    calls[op] += 1;
    log.push(op);
  };
  const counted = {
    getSupported: async () => {
      count('supported');
      return inner.getSupported();
    },
    verify: async (payload, requirements) => {
      count('verify');
      verified.push(payload);
      return inner.verify(payload, requirements);
    },
    settle: async (payload, requirements) => {
      count('settle');
      await held;
      return inner.settle(payload, requirements);
    },
  };
  let held;
  /** Holds every /settle until the returned function is called. */
  const hold = () => {
    let release;
    held = new Promise((resolve) => { release = resolve; });
    return () => {
      held = undefined;
      release();
    };
  };
  const server = await serveFacilitatorHttp(counted);
  t.after(() => server.close());
  return { ...server, calls, log, verified, hold };
}

/**
 * Anvil (chain 31337) + TestUSDC + Multicall3 + the official v2 facilitator served over HTTP with
 * counted calls. Stops everything at t.after. Returns { anvil, token, facilitator, payTo, factory }.
 * With `eip6492Factory`, contracts/TestCreate2Factory.sol is deployed first and is the one factory
 * the facilitator deploys ERC-6492 wallets through (`factory`: its address).
 */
export async function v2Chain(t, { eip6492Factory = false } = {}) {
  const anvil = await startAnvil({ chainId: 31337 });
  t.after(() => anvil.stop());
  const token = await deployTestUSDC(anvil);
  token.address = getAddress(token.address);
  await installMulticall3(anvil);
  const factory = eip6492Factory ? await deployContract(anvil, 'TestCreate2Factory') : undefined;
  const official = await startOfficialFacilitator({
    ...anvil, network: NETWORK, eip6492AllowedFactories: factory ? [factory] : [],
  });
  const facilitator = await countingFacilitatorHttp(t, official);
  return { anvil, token, facilitator, payTo: anvilAccount(2).address, factory };
}

/**
 * An x402 v1 chain: anvil as chain 84532 (named base-sepolia in v1) with TestUSDC and the v1
 * facilitator over HTTP. Stops both at t.after. Returns { anvil, token, facilitator, payTo }.
 */
export async function v1Chain(t) {
  const anvil = await startAnvil({ chainId: 84532 });
  t.after(() => anvil.stop());
  const token = await deployTestUSDC(anvil);
  token.address = getAddress(token.address);
  const facilitator = await startV1Facilitator({ ...anvil, network: 'base-sepolia' });
  t.after(() => facilitator.close());
  return { anvil, token, facilitator, payTo: anvilAccount(2).address };
}

/** base64 of the UTF-8 JSON of `value`, as a payment header. */
export function encodeJsonHeader(value) {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/** Decodes a base64 JSON header value, or undefined when absent. */
export function decodeJsonHeader(value) {
  if (value == null) return undefined;
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
}
