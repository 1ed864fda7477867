#!/usr/bin/env node
// Runs every benchmark of x402-wasm against viem and the official x402 v2 client, then writes
// bench/results/<YYYY-MM-DD>.json and .md (UTC date) and prints the table.
//   node bench/run.mjs            (from the repository root, after `bash scripts/build.sh`)
// Knobs (environment): BENCH_RUNS (samples per side, default 7, min 5), BENCH_SAMPLE_MS (default
// 1000), BENCH_COLD_RUNS (spawns per side, default 7, min 5), BENCH_PKG_DIR (default dist/pkg).
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR, KEY, NOW, PAYMENT_REQUIRED, REQUIREMENT, loadOurs, transferTypedData, versionOf }
  from './lib/fixtures.mjs';

if (!existsSync(path.join(BENCH_DIR, 'node_modules', 'viem'))) {
  console.error('bench: dependencies missing. Install them once:  (cd bench && npm ci)');
  process.exit(1);
}
const x = await loadOurs(); // exits 1 with build instructions when dist/pkg is missing

const { privateKeyToAccount } = await import('viem/accounts');
const viem = await import('viem');
const { x402Client } = await import('@x402/core/client');
const { registerExactEvmScheme } = await import('@x402/evm/exact/client');
const { alternateThroughput } = await import('./lib/measure.mjs');
const { ourSizes, theirSizes } = await import('./lib/size.mjs');
const { coldStart } = await import('./lib/cold.mjs');
const { row, markdownTable, markdownReport } = await import('./lib/report.mjs');

const atLeast5 = (name, dflt) => Math.max(5, Number(process.env[name] ?? dflt) || dflt);
const RUNS = atLeast5('BENCH_RUNS', 7);
const COLD_RUNS = atLeast5('BENCH_COLD_RUNS', 7);
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 1000) || 1000;
const WARMUP_MS = Math.min(500, SAMPLE_MS);
const log = (msg) => console.error(`bench: ${msg}`);
const started = performance.now();

function check(cond, msg) {
  if (!cond) throw new Error(`bench: sanity check failed: ${msg}`);
}

// ---- The three signers and a sanity check that each produces a valid payment. ----
const wallet = x.evmPrivateKeyWallet(KEY);
const account = privateKeyToAccount(KEY);
check(wallet.address === account.address, 'x402-wasm and viem derive different addresses');

const client = new x402Client();
registerExactEvmScheme(client, { signer: account });
client.setSpendControls(false);

const typedData = transferTypedData(account.address);
const signature = await account.signTypedData(typedData);
const recoverArgs = { ...typedData, signature };

const oursPayload = await x.createPaymentPayload(PAYMENT_REQUIRED, 0, wallet, { now: NOW });
check(x.verifyPayment(oursPayload, REQUIREMENT, { now: NOW }).isValid, 'our payload does not verify');
const officialPayload = await client.createPaymentPayload(PAYMENT_REQUIRED);
check(x.verifyPayment(officialPayload, REQUIREMENT, { now: Math.floor(Date.now() / 1000) }).isValid,
  'official payload does not verify');
check(x.recoverTypedDataAddress(typedData, signature) === account.address, 'our recovery is wrong');
check(await viem.recoverTypedDataAddress(recoverArgs) === account.address, 'viem recovery is wrong');
check(x.hashTypedData(typedData) === viem.hashTypedData(typedData), 'typed-data hashes differ');

const opts = { runs: RUNS, sampleMs: SAMPLE_MS, warmupMs: WARMUP_MS };

// ---- a. Payment payload creation. ----
log(`a. payload creation (${RUNS} x ${SAMPLE_MS} ms per side, 3 sides)`);
const creation = await alternateThroughput([
  { name: 'ours', async: true, fn: () => x.createPaymentPayload(PAYMENT_REQUIRED, 0, wallet, { now: NOW }) },
  { name: 'official', async: true, fn: () => client.createPaymentPayload(PAYMENT_REQUIRED) },
  { name: 'viemSign', async: true, fn: () => account.signTypedData(typedData) },
], opts);

// ---- b. Signature recovery. ----
log(`b. signature recovery (${RUNS} x ${SAMPLE_MS} ms per side)`);
const recovery = await alternateThroughput([
  { name: 'ours', async: false, fn: () => x.recoverTypedDataAddress(typedData, signature) },
  { name: 'viem', async: true, fn: () => viem.recoverTypedDataAddress(recoverArgs) },
], opts);

// ---- Where our creation time goes (informational). ----
log('breakdown (informational)');
const breakdown = await alternateThroughput([
  { name: 'oursHash', async: false, fn: () => x.hashTypedData(typedData) },
  { name: 'viemHash', async: false, fn: () => viem.hashTypedData(typedData) },
  { name: 'oursSign', async: true, fn: () => wallet.signTypedData(typedData) },
], { runs: 3, sampleMs: Math.min(500, SAMPLE_MS), warmupMs: 200 });

// ---- c. Bundle size. ----
log('c. bundle size (esbuild)');
const sizes = { ours: ourSizes(), theirs: await theirSizes() };

// ---- d. Cold start. ----
log(`d. cold start (${COLD_RUNS} spawns per side)`);
const cold = await coldStart(COLD_RUNS);

// ---- Report. ----
const TARGET_KB = 60_000;
const speedup = (k) => ({ text: `>= ${k}x`, check: (ratio) => ratio >= k });
const ops = (label, m) => ({ label, value: m.median });
const val = (label, value) => ({ label, value });
const oursFull = 'wasm + index/api/errors/x402_wasm.js';
const theirsBundle = 'esbuild: @x402/fetch+core+evm+svm';
const theirsAcct = `${theirsBundle} + viem/accounts`;
const rows = [
  row('a. EVM payload creation', 'ops/s', 'higher', ops('createPaymentPayload', creation.ours),
    ops('x402Client.createPaymentPayload', creation.official), speedup(4)),
  row('a. EVM payload creation vs signing alone', 'ops/s', 'higher', ops('createPaymentPayload', creation.ours),
    ops('viem account.signTypedData', creation.viemSign), speedup(4)),
  row('b. Signature recovery', 'ops/s', 'higher', ops('recoverTypedDataAddress', recovery.ours),
    ops('viem recoverTypedDataAddress', recovery.viem), speedup(8)),
  row('c. Bundle, gzip', 'bytes', 'lower', val(oursFull, sizes.ours.full.gzip),
    val(theirsBundle, sizes.theirs.client.gzip),
    { text: '<= 60 KB (ours)', check: (_r, v) => v <= TARGET_KB }),
  row('c. Bundle, brotli', 'bytes', 'lower', val(oursFull, sizes.ours.full.brotli),
    val(theirsBundle, sizes.theirs.client.brotli)),
  row('c. Bundle, raw', 'bytes', 'lower', val(oursFull, sizes.ours.full.raw),
    val(theirsBundle, sizes.theirs.client.raw)),
  row('c. wasm alone, gzip', 'bytes', 'lower', val('x402_wasm_bg.wasm', sizes.ours.wasm.gzip),
    val(theirsBundle, sizes.theirs.client.gzip)),
  row('c. wasm alone, brotli', 'bytes', 'lower', val('x402_wasm_bg.wasm', sizes.ours.wasm.brotli),
    val(theirsBundle, sizes.theirs.client.brotli)),
  row('c. Bundle with a key wallet, gzip', 'bytes', 'lower', val(oursFull, sizes.ours.full.gzip),
    val(theirsAcct, sizes.theirs.clientWithViemAccount.gzip)),
  row('d. Cold start to first payload', 'ms', 'lower', val('node -e: import, wallet, create', cold.ours.median),
    val('node -e: import, x402Client, create', cold.official.median)),
];

const date = new Date().toISOString().slice(0, 10);
const meta = {
  date,
  node: process.version,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cpus: os.cpus().length,
  runs: RUNS,
  coldRuns: COLD_RUNS,
  sampleMs: SAMPLE_MS,
  versions: Object.fromEntries(['x402-wasm', 'viem', '@x402/core', '@x402/evm', '@x402/fetch', '@x402/svm', 'esbuild']
    .map((n) => [n, versionOf(n)])),
};
const result = { meta, creation, recovery, breakdown, sizes, cold };
const md = markdownReport(result, rows);

console.log(markdownTable(rows));
const elapsed = `${((performance.now() - started) / 1000).toFixed(0)} s`;
if (process.env.BENCH_PKG_DIR) {
  log(`BENCH_PKG_DIR is set: results not written (${elapsed})`);
} else {
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const write = (file, text) => {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  };
  write(path.join(dir, `${date}.json`), `${JSON.stringify({ ...result, rows }, null, 2)}\n`);
  write(path.join(dir, `${date}.md`), md);
  log(`wrote bench/results/${date}.json and .md in ${elapsed}`);
}
