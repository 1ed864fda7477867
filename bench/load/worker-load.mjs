// Load test of the Worker helper: bench/load/worker.mjs (paymentRequired protecting GET /weather)
// in workerd through Miniflare, driven by autocannon on loopback with three kinds of requests at
// once, each kind its own autocannon instance (so each gets its own throughput and latency
// histogram):
//   unpaid: no payment header; expects 402 with PAYMENT-REQUIRED and no PAYMENT-RESPONSE.
//   paid:   a valid PAYMENT-SIGNATURE, each one used once (pre-generated: distinct random nonces);
//           expects 200 with the resource and PAYMENT-RESPONSE success=true.
//   replay: payments that were already settled once before the run; expects 402 with
//           PAYMENT-RESPONSE errorReason=duplicate_settlement.
// The facilitator is a stub on 127.0.0.1 in this process answering /settle with success at once
// (so the Worker's own cost dominates); it records every nonce it is asked to settle. The workerd
// process's RSS is read from /proc every second.
import autocannon from 'autocannon';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os, { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PKG_DIR, PKG_NODE_ENTRY, REPO_DIR } from '../lib/fixtures.mjs';
import { rssBytes, workerdPids } from '../lib/procs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** A throwaway payer key (never funded anywhere). */
const PAYER_KEY = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba';
const KINDS = ['unpaid', 'paid', 'replay'];

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The stub facilitator: /settle succeeds at once; every settled nonce is counted. */
async function startStubFacilitator() {
  const nonces = new Map(); // nonce -> times asked to settle
  const stats = { settle: 0, verify: 0, supported: 0, other: 0, badBody: 0, duplicates: 0 };
  let tx = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const send = (status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/supported') {
        stats.supported += 1;
        send(200, { kinds: [{ x402Version: 2, scheme: 'exact', network: 'eip155:84532' }], extensions: [], signers: {} });
        return;
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        stats.badBody += 1;
        send(400, { error: 'bad json' });
        return;
      }
      const auth = body?.paymentPayload?.payload?.authorization;
      const network = body?.paymentRequirements?.network ?? '';
      if (req.url === '/verify') {
        stats.verify += 1;
        send(200, { isValid: true, payer: auth?.from });
        return;
      }
      if (req.url !== '/settle') {
        stats.other += 1;
        send(404, { error: 'not found' });
        return;
      }
      stats.settle += 1;
      if (typeof auth?.nonce !== 'string') stats.badBody += 1;
      const seen = nonces.get(auth?.nonce) ?? 0;
      if (seen > 0) stats.duplicates += 1;
      nonces.set(auth?.nonce, seen + 1);
      tx += 1;
      send(200, { success: true, transaction: `0x${tx.toString(16).padStart(64, '0')}`, network, payer: auth?.from });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    nonces,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    }),
  };
}

function lowerKeys(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function decodeJsonHeader(value) {
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Why a response of `kind` is not what it must be, or null when it is. */
function unexpected(kind, status, body, headers) {
  if (status >= 500) return `${status}`;
  const h = lowerKeys(headers);
  if (kind === 'unpaid') {
    if (status !== 402) return `status ${status}`;
    if (!h['payment-required']) return 'no PAYMENT-REQUIRED';
    if (h['payment-response']) return 'PAYMENT-RESPONSE on a challenge';
    return null;
  }
  const receipt = h['payment-response'] ? decodeJsonHeader(h['payment-response']) : undefined;
  if (kind === 'paid') {
    if (status !== 200) return `status ${status}${receipt?.errorReason ? ` ${receipt.errorReason}` : ''}`;
    if (!receipt || receipt.success !== true || !receipt.transaction) return 'no successful PAYMENT-RESPONSE';
    if (!String(body).includes('Lisbon')) return 'not the resource body';
    return null;
  }
  if (status !== 402) return `status ${status}`;
  if (!receipt || receipt.success !== false) return 'no failed PAYMENT-RESPONSE';
  if (receipt.errorReason !== 'duplicate_settlement') return `errorReason ${receipt.errorReason}`;
  return null;
}

/**
 * Runs the three kinds at once for `seconds`. `paidPool` is consumed (one payment per paid
 * request); `replays` is cycled. Resolves to { results: { kind: autocannon result + checks },
 * paidSent, poolExhaustedAt }.
 */
async function runMix({ url, seconds, connections, paidPool, replays, onTick }) {
  const perKind = {};
  const started = Date.now();
  let paidSent = 0;
  let poolExhaustedAt = null;
  const base = new URL('/weather', url);
  const instance = (kind) => {
    const check = { unexpected: 0, reasons: {}, statuses: {}, timeline: [] };
    const request = { method: 'GET', path: '/weather' };
    if (kind === 'paid') {
      request.setupRequest = (req) => {
        const header = paidPool[paidSent];
        paidSent += 1;
        if (paidSent >= paidPool.length && poolExhaustedAt === null) poolExhaustedAt = (Date.now() - started) / 1000;
        return { ...req, headers: { ...req.headers, 'payment-signature': header } };
      };
    } else if (kind === 'replay') {
      let i = 0;
      request.setupRequest = (req) => {
        const header = replays[i % replays.length];
        i += 1;
        return { ...req, headers: { ...req.headers, 'payment-signature': header } };
      };
    }
    request.onResponse = (status, body, _context, headers) => {
      check.statuses[status] = (check.statuses[status] ?? 0) + 1;
      const why = unexpected(kind, status, body, headers);
      if (why) {
        check.unexpected += 1;
        check.reasons[why] = (check.reasons[why] ?? 0) + 1;
      }
    };
    const opts = {
      url: base.href,
      connections: connections[kind],
      timeout: 10,
      requests: [request],
      title: kind,
    };
    // The paid instance must not send more requests than there are payments: `amount` caps it
    // (and disables autocannon's duration timer, so it is stopped below).
    if (kind === 'paid') opts.amount = paidPool.length;
    else opts.duration = seconds;
    const inst = autocannon(opts);
    inst.on('tick', ({ counter }) => {
      check.timeline.push(counter);
      onTick?.(kind, counter);
    });
    const done = new Promise((resolve, reject) => {
      inst.on('done', resolve);
      inst.on('error', reject);
    });
    perKind[kind] = { inst, check, done };
    return inst;
  };
  const active = KINDS.filter((k) => connections[k] > 0);
  for (const kind of active) instance(kind);
  const stopTimer = setTimeout(() => perKind.paid?.inst.stop(), seconds * 1000);
  const results = {};
  for (const kind of active) {
    const result = await perKind[kind].done;
    results[kind] = { result, check: perKind[kind].check };
  }
  clearTimeout(stopTimer);
  return { results, paidSent: Math.min(paidSent, paidPool.length), poolExhaustedAt, elapsedS: (Date.now() - started) / 1000 };
}

function summarizeKind(kind, { result, check }) {
  const lat = result.latency;
  return {
    kind,
    requests: result.requests.total,
    durationS: result.duration,
    reqPerSec: result.requests.total / result.duration,
    latencyMs: { p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max, mean: lat.average },
    statuses: check.statuses,
    unexpected: check.unexpected,
    unexpectedReasons: check.reasons,
    errors: result.errors,
    timeouts: result.timeouts,
    fiveXx: result['5xx'] ?? 0,
    timeline: check.timeline,
  };
}

/**
 * The whole Worker section. `x402` is the package (Node entry). Options: seconds (default 60),
 * connections per kind (0 leaves a kind out), warmupSeconds, log(msg). Resolves to a JSON-able
 * report with `checks` [{ name, ok, detail }] and `warnings` [text].
 */
export async function workerLoad(x402, {
  seconds = 60, connections = { unpaid: 4, paid: 8, replay: 4 }, warmupSeconds = 5, log = () => {},
} = {}) {
  const { startWorker } = await import(pathToFileURL(path.join(REPO_DIR, 'tests', 'js', 'lib', 'workerd.mjs')).href);
  const active = KINDS.filter((k) => connections[k] > 0);
  const facilitator = await startStubFacilitator();
  const root = mkdtempSync(path.join(tmpdir(), 'x402-bench-load-'));
  cpSync(PKG_DIR, path.join(root, 'x402-wasm'), { recursive: true });
  cpSync(path.join(HERE, 'worker.mjs'), path.join(root, 'worker.mjs'));
  let mf;
  let sampler;
  try {
    mf = await startWorker({
      scriptPath: path.join(root, 'worker.mjs'),
      modulesRoot: root,
      bindings: { FACILITATOR_URL: facilitator.url },
    });
    const url = (await mf.ready).toString();
    const pids = workerdPids();
    log(`workerd up at ${url} (pid ${pids.join(', ') || 'unknown'}), stub facilitator at ${facilitator.url}`);
    const workerMemory = async () => (await fetch(new URL('/__memory', url))).json();
    const rssNow = () => {
      const bytes = pids.map(rssBytes).filter((b) => b !== null);
      return bytes.length ? bytes.reduce((a, b) => a + b, 0) : null;
    };
    const startMemory = { rssBytes: rssNow(), ...(await workerMemory()) };

    // The challenge, as a client sees it, then payments for it.
    const challenge = await fetch(new URL('/weather', url));
    const challengeBody = await challenge.text();
    if (challenge.status !== 402) throw new Error(`expected a 402 challenge, got ${challenge.status}`);
    const paymentRequired = x402.decodeHeader(challenge.headers.get('payment-required'), 'PaymentRequired');
    // Payments are signed in one worker thread per CPU (nothing else runs meanwhile).
    const generate = async (n) => {
      const t0 = performance.now();
      const threads = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, Math.ceil(n / 500)));
      const parts = await Promise.all(Array.from({ length: n ? threads : 0 }, (_, i) => new Promise((resolve, reject) => {
        const count = Math.floor(n / threads) + (i < n % threads ? 1 : 0);
        const thread = new Worker(new URL('./generate-payments.mjs', import.meta.url), {
          workerData: { entry: PKG_NODE_ENTRY, key: PAYER_KEY, paymentRequired, count },
        });
        thread.once('message', resolve);
        thread.once('error', reject);
      })));
      return { headers: parts.flatMap((p) => p.headers), nonces: parts.flatMap((p) => p.nonces), ms: performance.now() - t0 };
    };
    // Requests in flight when autocannon stops still reach the Worker: wait until settling stops.
    const quiesce = async () => {
      let last = -1;
      while (facilitator.stats.settle !== last) {
        last = facilitator.stats.settle;
        await new Promise((r) => setTimeout(r, 300));
      }
    };

    // Replays: payments settled once now, sent again during the run.
    const { headers: replays } = await generate(connections.replay > 0 ? 200 : 0);
    for (const header of replays) {
      const r = await fetch(new URL('/weather', url), { headers: { 'payment-signature': header } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`seeding a replay payment: expected 200, got ${r.status}`);
    }
    const seeded = facilitator.stats.settle;

    // Warm-up and calibration: the same mix for a few seconds; its paid rate sizes the pool.
    const warm = await generate(connections.paid > 0 ? 3000 : 0);
    log(`warm-up: ${warmupSeconds} s of the mix${warm.headers.length ? ` (payments generate at ${Math.round((warm.headers.length * 1000) / warm.ms)}/s)` : ''}`);
    const warmRun = await runMix({ url, seconds: warmupSeconds, connections, paidPool: warm.headers, replays });
    await quiesce();
    const warmSummary = Object.fromEntries(active.map((k) => [k, summarizeKind(k, warmRun.results[k])]));
    const paidRate = warmRun.paidSent / warmRun.elapsedS;
    const poolSize = connections.paid > 0 ? Math.min(400_000, Math.ceil(paidRate * seconds * 2.5) + 5000) : 0;
    if (poolSize) log(`warm-up paid rate ${paidRate.toFixed(0)}/s; generating ${poolSize} distinct payments`);
    const pool = await generate(poolSize);
    if (poolSize) log(`generated in ${(pool.ms / 1000).toFixed(1)} s`);
    await quiesce();
    const settledBefore = facilitator.stats.settle;

    // The measured run, with workerd's RSS (and the wasm memory the Worker reports) every second.
    const rss = [];
    const t0 = performance.now();
    const sample = async () => {
      const t = (performance.now() - t0) / 1000;
      const bytes = rssNow();
      let wasmBytes = null;
      try {
        wasmBytes = (await workerMemory()).wasmMemoryBytes;
      } catch {
        // counted only as a missing sample
      }
      if (bytes !== null) rss.push({ t, bytes, wasmBytes });
    };
    await sample();
    sampler = setInterval(sample, 1000);
    let lastLog = 0;
    log(`measured run: ${seconds} s, connections ${JSON.stringify(connections)}`);
    const run = await runMix({
      url, seconds, connections, paidPool: pool.headers, replays,
      onTick: () => {
        const s = Math.floor((performance.now() - t0) / 1000);
        if (s - lastLog >= 10 && rss.length) {
          lastLog = s;
          const last = rss.at(-1);
          log(`  ${s} s: workerd RSS ${(last.bytes / 2 ** 20).toFixed(1)} MiB, wasm memory ${(last.wasmBytes / 2 ** 20).toFixed(1)} MiB`);
        }
      },
    });
    clearInterval(sampler);
    sampler = undefined;
    await sample();
    await quiesce();
    // After the load: does the memory come back? (three idle seconds)
    const idle = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      idle.push({ rssBytes: rssNow(), ...(await workerMemory()) });
    }

    const kinds = Object.fromEntries(active.map((k) => [k, summarizeKind(k, run.results[k])]));
    const total = {
      requests: active.reduce((a, k) => a + kinds[k].requests, 0),
      reqPerSec: active.reduce((a, k) => a + kinds[k].reqPerSec, 0),
    };
    const settledDuringRun = facilitator.stats.settle - settledBefore;
    const paidOk = kinds.paid?.statuses[200] ?? 0;
    const inFlightAtStop = kinds.paid ? run.paidSent - kinds.paid.requests : 0;
    // Which of the run's payments were settled: only sent ones, each once.
    let settledSent = 0;
    let settledUnsent = 0;
    pool.nonces.forEach((nonce, i) => {
      const n = facilitator.nonces.get(nonce) ?? 0;
      if (i < run.paidSent) settledSent += n;
      else settledUnsent += n;
    });

    // Memory: first, last, max, least-squares slope, growth from first to last.
    const mib = (b) => b / 2 ** 20;
    let memory = null;
    if (rss.length) {
      const first = rss[0];
      const last = rss.at(-1);
      memory = {
        samples: rss.length,
        firstMiB: mib(first.bytes),
        lastMiB: mib(last.bytes),
        maxMiB: mib(Math.max(...rss.map((s) => s.bytes))),
        slopeMiBPerMin: slope(rss.map((s) => s.t), rss.map((s) => mib(s.bytes))) * 60,
        growthPct: ((last.bytes - first.bytes) / first.bytes) * 100,
        wasm: {
          atStartMiB: mib(startMemory.wasmMemoryBytes),
          firstMiB: first.wasmBytes === null ? null : mib(first.wasmBytes),
          lastMiB: last.wasmBytes === null ? null : mib(last.wasmBytes),
          slopeMiBPerMin: slope(rss.filter((s) => s.wasmBytes !== null).map((s) => s.t),
            rss.filter((s) => s.wasmBytes !== null).map((s) => mib(s.wasmBytes))) * 60,
          finalizationRegistry: startMemory.finalizationRegistry,
        },
        atStartMiB: startMemory.rssBytes === null ? null : mib(startMemory.rssBytes),
        idleAfterMiB: idle.map((s) => (s.rssBytes === null ? null : mib(s.rssBytes))),
        idleAfterWasmMiB: idle.map((s) => mib(s.wasmMemoryBytes)),
        requestsDuringRun: total.requests,
        bytesPerRequest: (last.bytes - first.bytes) / Math.max(1, total.requests),
        series: rss.map((s) => ({
          t: Number(s.t.toFixed(2)),
          rssMiB: Number(mib(s.bytes).toFixed(2)),
          wasmMiB: s.wasmBytes === null ? null : Number(mib(s.wasmBytes).toFixed(2)),
        })),
      };
      memory.flat = memory.growthPct <= 20;
    }

    const checks = [];
    const add = (name, ok, detail) => checks.push({ name, ok, detail });
    for (const k of active) {
      const s = kinds[k];
      add(`worker ${k}: every response as expected`, s.unexpected === 0 && s.requests > 0,
        `${s.requests} responses, ${s.unexpected} unexpected${s.unexpected ? ` ${JSON.stringify(s.unexpectedReasons)}` : ''}, statuses ${JSON.stringify(s.statuses)}`);
      add(`worker ${k}: no connection errors or timeouts`, s.errors === 0 && s.timeouts === 0,
        `${s.errors} errors, ${s.timeouts} timeouts`);
      add(`worker ${k}: no 5xx`, s.fiveXx === 0, `${s.fiveXx} 5xx`);
    }
    add('worker: the facilitator settled no nonce twice', facilitator.stats.duplicates === 0,
      `${facilitator.stats.settle} settlements, ${facilitator.nonces.size} distinct nonces, ${facilitator.stats.duplicates} duplicates`);
    add('worker: every paid 200 was settled, nothing else was',
      settledDuringRun === settledSent && settledUnsent === 0 && settledSent >= paidOk && settledSent - paidOk <= Math.max(0, inFlightAtStop),
      `${paidOk} paid 200s; ${settledDuringRun} settlements during the run, ${settledSent} of them payments the run sent, ${settledUnsent} of payments it did not send; `
      + `${inFlightAtStop} paid requests were in flight when the load stopped (the Worker settles them, autocannon does not wait)`);
    add('worker: the stub facilitator saw only well-formed /settle calls', facilitator.stats.badBody === 0 && facilitator.stats.other === 0,
      `${facilitator.stats.badBody} malformed, ${facilitator.stats.other} other paths, ${facilitator.stats.verify} /verify`);

    const warnings = [];
    if (run.poolExhaustedAt !== null) warnings.push(`the pool of ${poolSize} payments ran out at ${run.poolExhaustedAt.toFixed(1)} s: the paid kind stopped early`);
    if (memory && !memory.flat) warnings.push(`workerd RSS grew ${memory.growthPct.toFixed(1)}% (> 20%) during the run`);

    return {
      challenge: { header: challenge.headers.get('payment-required'), body: challengeBody },
      seconds,
      connections,
      url,
      workerdPids: pids,
      seededReplays: replays.length,
      seededSettlements: seeded,
      warmup: { seconds: warmupSeconds, paidRate, kinds: warmSummary },
      pool: { size: poolSize, used: run.paidSent, generateMs: pool.ms, exhaustedAt: run.poolExhaustedAt },
      kinds,
      total,
      facilitator: { ...facilitator.stats, distinctNonces: facilitator.nonces.size, settledDuringRun },
      memory,
      checks,
      warnings,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await mf?.dispose().catch(() => {});
    await facilitator.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The control: control-worker.mjs (no x402-wasm) in its own workerd, driven by autocannon at
 * `rate` requests per second for `seconds` over `connections` connections, RSS sampled every
 * second. `challenge` ({ header, body }) is what it answers. Resolves to { requests, reqPerSec, memory }.
 */
export async function controlLoad({ seconds, rate, connections, challenge, log = () => {} }) {
  const { startWorker } = await import(pathToFileURL(path.join(REPO_DIR, 'tests', 'js', 'lib', 'workerd.mjs')).href);
  const root = mkdtempSync(path.join(tmpdir(), 'x402-bench-load-control-'));
  cpSync(path.join(HERE, 'control-worker.mjs'), path.join(root, 'worker.mjs'));
  let mf;
  let sampler;
  try {
    mf = await startWorker({
      scriptPath: path.join(root, 'worker.mjs'),
      modulesRoot: root,
      bindings: { CHALLENGE: challenge.header, CHALLENGE_BODY: challenge.body },
    });
    const url = (await mf.ready).toString();
    const pids = workerdPids();
    const rssNow = () => {
      const bytes = pids.map(rssBytes).filter((b) => b !== null);
      return bytes.length ? bytes.reduce((a, b) => a + b, 0) : null;
    };
    // The same short warm-up as the helper had (a few seconds of load), then the measured run.
    await autocannon({ url, connections, duration: 2, overallRate: rate });
    log(`control: ${seconds} s at ${rate} req/s on a Worker without x402-wasm (pid ${pids.join(', ')})`);
    const rss = [];
    const t0 = performance.now();
    const sample = () => {
      const bytes = rssNow();
      if (bytes !== null) rss.push({ t: (performance.now() - t0) / 1000, bytes });
    };
    sample();
    sampler = setInterval(sample, 1000);
    const result = await autocannon({ url, connections, duration: seconds, overallRate: rate });
    clearInterval(sampler);
    sampler = undefined;
    sample();
    const requests = result.requests.total;
    const mib = (b) => b / 2 ** 20;
    const first = rss[0];
    const last = rss.at(-1);
    return {
      seconds,
      rate,
      connections,
      requests,
      reqPerSec: requests / result.duration,
      errors: result.errors,
      statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
      memory: {
        samples: rss.length,
        firstMiB: mib(first.bytes),
        lastMiB: mib(last.bytes),
        maxMiB: mib(Math.max(...rss.map((s) => s.bytes))),
        slopeMiBPerMin: slope(rss.map((s) => s.t), rss.map((s) => mib(s.bytes))) * 60,
        growthPct: ((last.bytes - first.bytes) / first.bytes) * 100,
        bytesPerRequest: (last.bytes - first.bytes) / Math.max(1, requests),
        series: rss.map((s) => ({ t: Number(s.t.toFixed(2)), rssMiB: Number(mib(s.bytes).toFixed(2)) })),
      },
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await mf?.dispose().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  }
}
