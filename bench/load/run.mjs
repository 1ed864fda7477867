#!/usr/bin/env node
// Load tests of x402-wasm (issue 9, section 3 "Load"):
//   1. the Worker helper (paymentRequired) in workerd under autocannon for 60 s on loopback, with
//      unpaid, paid and replayed requests at once: throughput, latency, zero errors, workerd RSS
//      (compared with a control Worker without x402-wasm at the same request rate);
//   2. the paying fetch: 1,000 concurrent paid fetches through one wrapFetch, with a budget for
//      exactly 500 payments and with a budget that never binds: zero double payments, exact budget.
//   node bench/load/run.mjs     (from the repository root, after `bash scripts/build.sh`)
// Ends by itself (a watchdog exits 1 after 175 s with the defaults). Prints the markdown summary
// on stdout (progress on stderr) and writes
// bench/results/load-<YYYY-MM-DD>.json and .md (UTC date). Exits 1 when a zero-error or
// zero-duplicate check fails; timings and memory never fail the run (memory growth is flagged).
// Knobs (environment): BENCH_LOAD_SECONDS (default 60), BENCH_LOAD_CALLS (default 1000),
// BENCH_LOAD_PAID (payments the limited budget allows, default 500), BENCH_LOAD_CONTROL_SECONDS
// (default 20), BENCH_PKG_DIR. Results are written only with the defaults (or more) and without
// BENCH_PKG_DIR.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR, PKG_DIR, REPO_DIR, loadOurs, versionOf } from '../lib/fixtures.mjs';

const log = (msg) => console.error(`load: ${msg}`);
const started = performance.now();

// BENCH_LOAD_RENDER=bench/results/load-<date>.json: only re-render that run's markdown next to it.
if (process.env.BENCH_LOAD_RENDER) {
  const file = process.env.BENCH_LOAD_RENDER;
  const md = report(JSON.parse(readFileSync(file, 'utf8')));
  writeFileSync(file.replace(/\.json$/, '.md'), md);
  console.log(md);
  process.exit(0);
}

for (const [dir, what] of [
  [path.join(BENCH_DIR, 'node_modules', 'autocannon'), 'cd bench && npm ci'],
  [path.join(REPO_DIR, 'tests', 'js', 'node_modules', 'miniflare'), 'cd tests/js && npm ci'],
]) {
  if (!existsSync(dir)) {
    console.error(`load: ${path.relative(REPO_DIR, dir)} is missing. Install once:  (${what})   (or: make bench)`);
    process.exit(1);
  }
}
const x402 = await loadOurs(); // exits 1 with build instructions when dist/pkg is missing
const { workerLoad, controlLoad } = await import('./worker-load.mjs');
const { clientLoad } = await import('./client-load.mjs');

const knob = (name, dflt, min) => Math.max(min, Math.floor(Number(process.env[name] ?? dflt) || dflt));
const SECONDS = knob('BENCH_LOAD_SECONDS', 60, 5);
const CALLS = knob('BENCH_LOAD_CALLS', 1000, 10);
const PAID = Math.min(CALLS, knob('BENCH_LOAD_PAID', Math.floor(CALLS / 2), 1));
const CONTROL_SECONDS = knob('BENCH_LOAD_CONTROL_SECONDS', 20, 5);
const CONNECTIONS = { unpaid: 4, paid: 8, replay: 4 };
const writeResults = !process.env.BENCH_PKG_DIR && SECONDS >= 60 && CALLS >= 1000;
// About two minutes with the defaults; longer knobs get proportionally more time.
const HARD_LIMIT_S = Math.max(175, SECONDS * 2.5 + CONTROL_SECONDS + 60);

// It must end by itself: a stuck run is an error, not a hang.
const watchdog = setTimeout(() => {
  console.error(`load: still running after ${HARD_LIMIT_S} s; giving up`);
  process.exit(1);
}, HARD_LIMIT_S * 1000);
watchdog.unref();

const load = [];
const noteLoad = (section) => load.push({ section, at: Math.round(performance.now() - started), loadavg: os.loadavg() });

noteLoad('start');
const worker = await workerLoad(x402, { seconds: SECONDS, connections: CONNECTIONS, log });
noteLoad('worker');
const control = await controlLoad({
  seconds: CONTROL_SECONDS,
  rate: Math.max(1, Math.round(worker.total.reqPerSec)),
  connections: Object.values(CONNECTIONS).reduce((a, b) => a + b, 0),
  challenge: worker.challenge,
  log,
});
noteLoad('control');
const client = await clientLoad(x402, { calls: CALLS, paid: PAID, log });
noteLoad('client');

const checks = [...worker.checks, ...client.checks];
const failed = checks.filter((c) => !c.ok);
const warnings = [...worker.warnings];
// The helper's RSS over the control's window, for a like-for-like comparison.
const helperWindow = (() => {
  const series = worker.memory?.series ?? [];
  const inWindow = series.filter((s) => s.t <= CONTROL_SECONDS + 0.5);
  if (inWindow.length < 2) return null;
  const requests = ['unpaid', 'paid', 'replay'].reduce((a, k) => a + (worker.kinds[k]?.timeline.slice(0, CONTROL_SECONDS).reduce((x, y) => x + y, 0) ?? 0), 0);
  const grown = (inWindow.at(-1).rssMiB - inWindow[0].rssMiB) * 2 ** 20;
  return { seconds: CONTROL_SECONDS, firstMiB: inWindow[0].rssMiB, lastMiB: inWindow.at(-1).rssMiB, requests, bytesPerRequest: grown / Math.max(1, requests) };
})();
if (worker.memory && !worker.memory.flat && helperWindow && control.memory.bytesPerRequest > 0) {
  const ratio = helperWindow.bytesPerRequest / control.memory.bytesPerRequest;
  warnings.push(`over the first ${CONTROL_SECONDS} s the helper's workerd grew ${fmtBytes(helperWindow.bytesPerRequest)} per request; `
    + `the control Worker without x402-wasm grew ${fmtBytes(control.memory.bytesPerRequest)} per request at the same rate (${ratio.toFixed(1)}x)`);
}

const date = new Date().toISOString().slice(0, 10);
const meta = {
  date,
  startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
  durationS: (performance.now() - started) / 1000,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model?.trim(), platform: `${os.type()} ${os.release()} ${os.arch()}`, memGiB: os.totalmem() / 2 ** 30 },
  node: process.version,
  versions: {
    'x402-wasm': versionOf('x402-wasm'),
    miniflare: versionOf('miniflare'),
    workerd: versionOf('workerd'),
    autocannon: versionOf('autocannon'),
  },
  pkgDir: path.relative(REPO_DIR, PKG_DIR),
  knobs: { seconds: SECONDS, calls: CALLS, paid: PAID, controlSeconds: CONTROL_SECONDS, connections: CONNECTIONS },
  load,
};
const result = { meta, pass: failed.length === 0, checks, warnings, worker, control, helperWindow, client };
delete result.worker.challenge;

const md = report(result);
console.log(md);
if (writeResults) {
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const write = (file, text) => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  write(path.join(dir, `load-${date}.json`), `${JSON.stringify(result, null, 2)}\n`);
  write(path.join(dir, `load-${date}.md`), md);
  log(`wrote bench/results/load-${date}.json and .md`);
} else {
  log('results not written (a knob is below its default, or BENCH_PKG_DIR is set)');
}
log(`${failed.length ? `FAIL: ${failed.length} of ${checks.length} checks failed` : `PASS: ${checks.length} checks`} in ${meta.durationS.toFixed(0)} s`);
process.exit(failed.length ? 1 : 0);

// ---------------------------------------------------------------------------------------------

function fmtBytes(b) {
  return Math.abs(b) >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`;
}

function ms(v) {
  return v === undefined || v === null ? 'n/a' : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
}

function int(n) {
  return Math.round(n).toLocaleString('en-US');
}

/** Memory over the second half of a run's series: { fromS, toS, first/last/max MiB, growthPct, slope, wasm first/last }. */
function steadyState(series, seconds) {
  const half = (series ?? []).filter((s) => s.t >= seconds / 2 && s.t <= seconds + 1);
  if (half.length < 3) return null;
  const xs = half.map((s) => s.t);
  const ys = half.map((s) => s.rssMiB);
  const mx = avg(xs);
  const my = avg(ys);
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / Math.max(1e-9, xs.reduce((a, x) => a + (x - mx) ** 2, 0));
  const first = half[0];
  const last = half.at(-1);
  return {
    fromS: first.t, toS: last.t, firstMiB: first.rssMiB, lastMiB: last.rssMiB, maxMiB: Math.max(...ys),
    growthPct: ((last.rssMiB - first.rssMiB) / first.rssMiB) * 100, slopeMiBPerMin: slope * 60,
    wasmFirstMiB: first.wasmMiB, wasmLastMiB: last.wasmMiB,
  };
}

function avg(list) {
  return list.length ? list.reduce((a, b) => a + b, 0) / list.length : 0;
}

function report(r) {
  const w = r.worker;
  const L = [];
  const loadText = r.meta.load.map((l) => `${l.section} ${l.loadavg.map((v) => v.toFixed(2)).join('/')}`).join('; ');
  L.push(`# x402-wasm load test, ${r.meta.date}`);
  L.push('');
  L.push(`**Result: ${r.pass ? 'PASS' : 'FAIL'}** (${r.checks.length - r.checks.filter((c) => !c.ok).length} of ${r.checks.length} zero-error and zero-duplicate checks passed; timings and memory are reported, never failed).`);
  L.push('');
  L.push(`Machine: ${r.meta.machine.model} (${r.meta.machine.cpus} CPUs), ${r.meta.machine.platform}, Node ${r.meta.node}. `
    + `Versions: x402-wasm ${r.meta.versions['x402-wasm']} (${r.meta.pkgDir}), miniflare ${r.meta.versions.miniflare}, workerd ${r.meta.versions.workerd}, autocannon ${r.meta.versions.autocannon}. `
    + `Load average (1/5/15 min): ${loadText} (${r.meta.machine.cpus} CPUs: the load generator, the stub facilitator and workerd share them). Run took ${r.meta.durationS.toFixed(0)} s.`);
  L.push('');
  L.push(`## 1. Worker helper in workerd, ${w.seconds} s`);
  L.push('');
  L.push('`paymentRequired` (x402-wasm/worker, in-memory replay store) protecting `GET /weather` (0.01 USDC on Base Sepolia, maxTimeoutSeconds 3600) '
    + 'in workerd via Miniflare; the facilitator is a stub on 127.0.0.1 answering `/settle` with success at once. autocannon drives the three kinds at once, '
    + `each with its own connections (closed loop, one request in flight per connection). Paid requests each carry a distinct payment (${int(w.pool.size)} generated after a ${w.warmup.seconds} s warm-up, ${int(w.pool.used)} used); `
    + `replays re-send ${w.seededReplays} payments settled before the run.`);
  L.push('');
  L.push('| Kind | Expected | Connections | Responses | Throughput | p50 | p90 | p99 | max | Unexpected | Conn. errors / timeouts | 5xx |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const expected = { unpaid: '402 challenge', paid: '200 + PAYMENT-RESPONSE success', replay: '402 duplicate_settlement' };
  for (const [k, s] of Object.entries(w.kinds)) {
    L.push(`| ${k} | ${expected[k]} | ${w.connections[k]} | ${int(s.requests)} | ${int(s.reqPerSec)} req/s | ${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p90)} | ${ms(s.latencyMs.p99)} | ${ms(s.latencyMs.max)} | ${s.unexpected} | ${s.errors} / ${s.timeouts} | ${s.fiveXx} |`);
  }
  L.push(`| all | | ${Object.values(w.connections).reduce((a, b) => a + b, 0)} | ${int(w.total.requests)} | ${int(w.total.reqPerSec)} req/s | | | | | | | |`);
  L.push('');
  const tl = Object.entries(w.kinds).map(([k, s]) => {
    const t = s.timeline.slice(0, w.seconds);
    return `${k} ${int(avg(t.slice(0, 10)))} → ${int(avg(t.slice(-10)))}`;
  }).join(', ');
  L.push(`Throughput in the first and last 10 s (req/s): ${tl}. Latencies are autocannon's (1 ms resolution), per response, from request write to the end of the response.`);
  L.push(`Facilitator: ${int(w.facilitator.settle)} settlements (${int(w.facilitator.settledDuringRun)} during the run), ${int(w.facilitator.distinctNonces)} distinct nonces, ${w.facilitator.duplicates} settled twice.`);
  L.push('');
  L.push('### Memory (RSS of the workerd process, /proc, every second)');
  L.push('');
  L.push('| Process | Window | Requests | First | Last | Max | Slope | Growth | Per request | Flat (growth <= 20%) |');
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  if (w.memory) {
    const m = w.memory;
    L.push(`| workerd running the helper | ${w.seconds} s | ${int(m.requestsDuringRun)} | ${m.firstMiB.toFixed(1)} MiB | ${m.lastMiB.toFixed(1)} MiB | ${m.maxMiB.toFixed(1)} MiB | ${m.slopeMiBPerMin.toFixed(1)} MiB/min | ${m.growthPct.toFixed(1)}% | ${fmtBytes(m.bytesPerRequest)} | ${m.flat ? 'yes' : '**no (flagged)**'} |`);
  }
  const steady = w.memory && steadyState(w.memory.series, w.seconds);
  if (steady) {
    L.push(`| workerd running the helper, second half (steady state) | ${steady.fromS.toFixed(0)}-${steady.toS.toFixed(0)} s | | ${steady.firstMiB.toFixed(1)} MiB | ${steady.lastMiB.toFixed(1)} MiB | ${steady.maxMiB.toFixed(1)} MiB | ${steady.slopeMiBPerMin.toFixed(1)} MiB/min | ${steady.growthPct.toFixed(1)}% | | ${steady.growthPct <= 10 ? 'yes (<= 10%)' : '**no**'} |`);
  }
  if (r.helperWindow) {
    const h = r.helperWindow;
    L.push(`| workerd running the helper, first ${h.seconds} s | ${h.seconds} s | ${int(h.requests)} | ${h.firstMiB.toFixed(1)} MiB | ${h.lastMiB.toFixed(1)} MiB | | | ${(((h.lastMiB - h.firstMiB) / h.firstMiB) * 100).toFixed(1)}% | ${fmtBytes(h.bytesPerRequest)} | |`);
  }
  const c = r.control;
  L.push(`| control: workerd running a Worker without x402-wasm (a fixed 402), same request rate | ${c.seconds} s | ${int(c.requests)} | ${c.memory.firstMiB.toFixed(1)} MiB | ${c.memory.lastMiB.toFixed(1)} MiB | ${c.memory.maxMiB.toFixed(1)} MiB | ${c.memory.slopeMiBPerMin.toFixed(1)} MiB/min | ${c.memory.growthPct.toFixed(1)}% | ${fmtBytes(c.memory.bytesPerRequest)} | ${c.memory.growthPct <= 20 ? 'yes' : 'no'} |`);
  L.push('');
  if (w.memory) {
    const m = w.memory;
    L.push(`The package's wasm linear memory (reported by the Worker): ${m.wasm.atStartMiB.toFixed(2)} MiB at start, ${m.wasm.firstMiB?.toFixed(2)} MiB when the run began, ${m.wasm.lastMiB?.toFixed(2)} MiB at the end `
      + `(slope ${m.wasm.slopeMiBPerMin.toFixed(2)} MiB/min; FinalizationRegistry in workerd: ${m.wasm.finalizationRegistry}). `
      + `workerd RSS at start ${m.atStartMiB?.toFixed(1)} MiB; after the load, idle: ${m.idleAfterMiB.map((v) => v?.toFixed(1)).join(', ')} MiB. `
      + `The in-memory replay store holds every settled payment until its validBefore (${int(m.replayEntriesAtEnd ?? w.facilitator.settle)} entries at the end).`);
    if (steady) {
      L.push('');
      L.push(`Steady state (the second half of the run, after the allocators and V8's heap have sized themselves for the load): workerd RSS ${steady.firstMiB.toFixed(1)} -> ${steady.lastMiB.toFixed(1)} MiB `
        + `(${steady.growthPct.toFixed(1)}%, slope ${steady.slopeMiBPerMin.toFixed(1)} MiB/min); the package's wasm linear memory ${steady.wasmFirstMiB?.toFixed(2)} -> ${steady.wasmLastMiB?.toFixed(2)} MiB. `
        + 'The first-to-last figures above include the warm-up climb, which the control Worker without x402-wasm shows at the same rate per request.');
    }
    L.push('');
  }
  L.push(`## 2. Paying fetch: ${int(r.client.limited.calls)} concurrent paid fetches through one wrapFetch`);
  L.push('');
  L.push('Against tests/js/lib/paid-server.mjs on 127.0.0.1 (records every request and payment header, verifies with `verifyPayment`, settles with a fake transaction); 0.01 USDC per call, `maxPerPayment: \'0.01\'`, one `evmPrivateKeyWallet`.');
  L.push('');
  L.push('| Scenario | Budget | Calls | Paid (200 + receipt) | BUDGET_EXCEEDED | Other outcomes | Server: payments | Distinct nonces | Max payments per call | Wrapper = server | Wall time | Paid calls done at p50 / p99 | Listen-queue drops |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of [r.client.limited, r.client.unlimited]) {
    const same = s.checks.find((x) => x.name.endsWith("the wrapper's view equals the server's"))?.ok;
    const other = Object.entries(s.otherErrors).map(([k, v]) => `${k}: ${v}`).join(', ') || '0';
    L.push(`| ${s.name.replace(/^client, /, '')} | $${s.budget} | ${int(s.calls)} | ${int(s.successes)} | ${int(s.budgetExceeded)} | ${other} | ${int(s.serverPayments)} | ${int(s.distinctNonces)} | ${s.maxPaymentsPerCall} | ${same ? 'yes' : '**no**'} | ${(s.ms / 1000).toFixed(2)} s | ${ms(s.completionMs.paid?.p50)} / ${ms(s.completionMs.paid?.p99)} | ${s.listenOverflows ?? 'n/a'} |`);
  }
  L.push('');
  L.push('Listen-queue drops: the machine-wide TcpExt ListenOverflows delta during the burst (SYNs the kernel dropped because the test server\'s accept queue was full; TCP retries them after 1 s, 3 s, ..., which is most of the wall time; no call failed).');
  L.push('');
  L.push('## Checks');
  L.push('');
  L.push('| Check | Result | Detail |');
  L.push('|---|---|---|');
  for (const x of r.checks) L.push(`| ${x.name} | ${x.ok ? 'pass' : '**FAIL**'} | ${x.detail.replace(/\|/g, '\\|')} |`);
  L.push('');
  if (r.warnings.length) {
    L.push('## Flags (reported, not failures)');
    L.push('');
    for (const x of r.warnings) L.push(`- ${x}`);
    L.push('');
  }
  return L.join('\n');
}
