#!/usr/bin/env node
// Runs every benchmark of x402-wasm against viem and the official x402 v2 client, then writes
// bench/results/<YYYY-MM-DD>.json and .md (UTC date) and prints the table.
//   node bench/run.mjs            (from the repository root, after `bash scripts/build.sh`)
// Knobs (environment): BENCH_RUNS (samples per side, default 7, min 5), BENCH_SAMPLE_MS (default
// 1000), BENCH_COLD_RUNS (spawns per side, default 7, min 5), BENCH_FETCH_REQUESTS (paid fetches
// per side, default 600, min 500), BENCH_VERIFY_N (verifications per workerd request, default
// 2000, min 2000), BENCH_PKG_DIR (default dist/pkg).
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
const { registerExactSvmScheme } = await import('@x402/svm/exact/client');
const { wrapFetchWithPayment } = await import('@x402/fetch');
const { createKeyPairSignerFromPrivateKeyBytes } = await import('@solana/kit');
const { alternateThroughput } = await import('./lib/measure.mjs');
const { ourSizes, theirSizes } = await import('./lib/size.mjs');
const { coldStart, coldStartPaid } = await import('./lib/cold.mjs');
const svm = await import('./lib/svm.mjs');
const { startPaidServer, alternateLatency, fetchOk, plainRoundTrips } = await import('./lib/paid.mjs');
const { startVerifyWorker, perRequest, summarizeLoops, viemVerifier } = await import('./lib/workerd-verify.mjs');
const { row, markdownTable, markdownReport } = await import('./lib/report.mjs');

const atLeast = (min, name, dflt) => Math.max(min, Number(process.env[name] ?? dflt) || dflt);
const RUNS = atLeast(5, 'BENCH_RUNS', 7);
const COLD_RUNS = atLeast(5, 'BENCH_COLD_RUNS', 7);
const FETCH_REQUESTS = atLeast(500, 'BENCH_FETCH_REQUESTS', 600);
const VERIFY_N = atLeast(2000, 'BENCH_VERIFY_N', 2000);
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 1000) || 1000;
const WARMUP_MS = Math.min(500, SAMPLE_MS);
const log = (msg) => console.error(`bench: ${msg}`);
const started = performance.now();
// The machine is shared: record its load around every section.
const load = [];
const noteLoad = (section) => load.push({ section, at: Math.round(performance.now() - started), loadavg: os.loadavg() });
noteLoad('start');

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
noteLoad('d');
log(`d. cold start (${COLD_RUNS} spawns per side)`);
const cold = await coldStart(COLD_RUNS);

// ---- e. Solana payload creation without RPC. ----
// Ours gets extra.recentBlockhash/decimals/tokenProgram and must not fetch: while it runs,
// globalThis.fetch counts and throws. The official client's RPC goes to an in-process stub.
noteLoad('e');
log(`e. SVM payload creation without RPC (${RUNS} x ${SAMPLE_MS} ms per side)`);
const realFetch = globalThis.fetch;
const oursFetches = [];
const forbiddenFetch = async (input) => {
  oursFetches.push(String(input?.url ?? input));
  throw new Error('bench: our SVM payload creation must not fetch');
};
const rpc = svm.rpcStubFetch();
const svmWallet = x.solanaPrivateKeyWallet(svm.SVM_SEED);
const svmSigner = await createKeyPairSignerFromPrivateKeyBytes(svm.SVM_SEED);
check(svmWallet.address === svm.SVM_PAYER && svmSigner.address === svm.SVM_PAYER, 'Solana payer addresses differ');
const svmClient = new x402Client();
registerExactSvmScheme(svmClient, { signer: svmSigner });
svmClient.setSpendControls(false);
const svmOpts = { memoBytes: svm.MEMO_BYTES };
const createSvmOurs = () => x.createPaymentPayload(svm.SVM_PAYMENT_REQUIRED, 0, svmWallet, svmOpts);
const createSvmOfficial = () => svmClient.createPaymentPayload(svm.SVM_PAYMENT_REQUIRED);
let svmCreation;
let svmSign;
try {
  globalThis.fetch = forbiddenFetch;
  const oursSvm = await createSvmOurs();
  globalThis.fetch = rpc.fetch;
  const officialSvm = await createSvmOfficial();
  check(x.verifyPayment(oursSvm, svm.SVM_REQUIREMENT).isValid, 'our SVM payload does not verify');
  check(x.verifyPayment(officialSvm, svm.SVM_REQUIREMENT).isValid, 'official SVM payload does not verify');
  svmCreation = await alternateThroughput([
    { name: 'ours', async: true, fn: createSvmOurs, before: () => { globalThis.fetch = forbiddenFetch; } },
    { name: 'official', async: true, fn: createSvmOfficial, before: () => { globalThis.fetch = rpc.fetch; } },
  ], opts);
  // Where our time goes (informational): signing the wire transaction alone.
  globalThis.fetch = forbiddenFetch;
  const tx = Buffer.from(oursSvm.payload.transaction, 'base64');
  svmSign = await alternateThroughput([
    { name: 'oursSign', async: true, fn: () => svmWallet.signTransaction(tx) },
  ], { runs: 3, sampleMs: Math.min(500, SAMPLE_MS), warmupMs: 200 });
} finally {
  globalThis.fetch = realFetch;
}
check(oursFetches.length === 0, `our SVM payload creation fetched ${oursFetches.join(', ')}`);
svmCreation.rpc = {
  oursFetchCalls: oursFetches.length,
  officialRpcCalls: rpc.calls.reduce((m, c) => ({ ...m, [c]: (m[c] ?? 0) + 1 }), {}),
};
svmCreation.oursSign = svmSign.oursSign;

// ---- f. Paid fetch on loopback; g. cold start to the first paid response. ----
noteLoad('f');
const server = await startPaidServer(x.verifyPayment);
let paid;
let coldPaid;
try {
  log(`f. paid fetch latency (${FETCH_REQUESTS} requests per side, 3 sides, blocks of 25)`);
  const oursFetch = x.wrapFetch(fetch, { wallets: [x.evmPrivateKeyWallet(KEY)] });
  const officialFetchClient = new x402Client();
  registerExactEvmScheme(officialFetchClient, { signer: account });
  officialFetchClient.setSpendControls(false);
  const officialFetch = wrapFetchWithPayment(fetch, officialFetchClient);
  // The plain side's payment header is made once, before timing (valid for 300 s).
  const plainHeader = async () => x.encodePaymentHeader(await x.createPaymentPayload(server.paymentRequired, 0, wallet));
  let header = await plainHeader();
  await fetchOk(oursFetch, server.url);
  await fetchOk(officialFetch, server.url);
  await plainRoundTrips(server.url, header);
  paid = await alternateLatency([
    { name: 'ours', fn: () => fetchOk(oursFetch, server.url) },
    { name: 'official', fn: () => fetchOk(officialFetch, server.url) },
    { name: 'plain', fn: () => plainRoundTrips(server.url, header) },
  ], { perSide: FETCH_REQUESTS, block: 25, warmup: 50 });
  check(server.counts.rejected === 0, `the server rejected ${server.counts.rejected} payments`);
  paid.server = { ...server.counts };

  noteLoad('g');
  log(`g. cold start to the first paid response (${COLD_RUNS} spawns per side)`);
  header = await plainHeader();
  coldPaid = await coldStartPaid(COLD_RUNS, server.url, header);
  check(server.counts.rejected === 0, `the server rejected ${server.counts.rejected} payments`);
} finally {
  await server.close();
}

// ---- h. Verification in workerd against viem in Node. ----
noteLoad('h');
log(`h. verify in workerd (${RUNS} requests of ${VERIFY_N} verifications) vs viem in Node (${RUNS} x ${SAMPLE_MS} ms)`);
const verifyInput = { payment: oursPayload, requirement: REQUIREMENT, now: NOW };
const viemVerify = viemVerifier(viem);
check((await viemVerify(oursPayload, REQUIREMENT, NOW)).isValid, 'the viem verifier rejects our payload');
check(!(await viemVerify(oursPayload, { ...REQUIREMENT, amount: '10001' }, NOW)).isValid, 'the viem verifier accepts a wrong amount');
const worker = await startVerifyWorker(verifyInput);
let verify;
try {
  const loops = [];
  await worker.run(VERIFY_N); // warm-up (JIT, first wasm calls)
  verify = await alternateThroughput([
    {
      name: 'workerd',
      sample: async () => {
        const r = await worker.run(VERIFY_N);
        loops.push(r);
        return (r.n * 1000) / r.workerMs;
      },
    },
    { name: 'viem', async: true, cpu: true, fn: () => viemVerify(oursPayload, REQUIREMENT, NOW) },
    { name: 'oursNode', async: false, cpu: true, fn: () => x.verifyPayment(oursPayload, REQUIREMENT, { now: NOW }) },
  ], opts);
  verify.workerd.loops = summarizeLoops(loops.slice(1)); // the first sample ran during warm-up
  log('h. one verified request per dispatch (300 requests, and 300 empty ones)');
  verify.workerd.perRequest = await perRequest(worker, { requests: 300, block: 50 });
} finally {
  await worker.dispose();
}
noteLoad('end');

// ---- Report. ----
const TARGET_KB = 60_000;
const speedup = (k) => ({ text: `>= ${k}x`, check: (ratio) => ratio >= k });
const atMostRatio = (k) => ({ text: `<= ${k}x`, check: (ratio) => ratio <= k });
const atMostOurs = (text, limit, strict = false) => ({ text, check: (_r, v) => (strict ? v < limit : v <= limit) });
const ops = (label, m) => ({ label, value: m.median });
const val = (label, value) => ({ label, value });
const oursFull = 'wasm + index/api/errors/x402_wasm.js + snippets';
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
  row('e. SVM payload creation, no RPC', 'ops/s', 'higher', ops('createPaymentPayload (solanaPrivateKeyWallet)', svmCreation.ours),
    ops('x402Client + @x402/svm, kit signer, RPC stubbed', svmCreation.official), speedup(5)),
  row('f. Paid fetch on loopback, p50', 'ms', 'lower', val('wrapFetch', paid.ours.p50),
    val('wrapFetchWithPayment', paid.official.p50)),
  row('f. Paid fetch on loopback, p99', 'ms', 'lower', val('wrapFetch', paid.ours.p99),
    val('wrapFetchWithPayment', paid.official.p99)),
  row('f. Paid-fetch overhead over two plain round trips, p50', 'ms', 'lower',
    val('wrapFetch p50 - plain p50', paid.ours.p50 - paid.plain.p50),
    val('wrapFetchWithPayment p50 - plain p50', paid.official.p50 - paid.plain.p50),
    atMostOurs('<= 0.3 ms (ours)', 0.3)),
  row('f. Paid-fetch overhead over two plain round trips, p99', 'ms', 'lower',
    val('wrapFetch p99 - plain p99', paid.ours.p99 - paid.plain.p99),
    val('wrapFetchWithPayment p99 - plain p99', paid.official.p99 - paid.plain.p99)),
  row('g. Cold start to first paid response', 'ms', 'lower', val('node -e: import, wrapFetch, pay', coldPaid.ours.median),
    val('node -e: import, wrapFetchWithPayment, pay', coldPaid.official.median), atMostRatio(0.2)),
  row('h. Verify throughput (workerd vs Node)', 'ops/s', 'higher',
    val(`verifyPayment in workerd (loop of ${VERIFY_N}, performance.now)`, verify.workerd.median),
    val('viem recoverTypedDataAddress + checks, Node', verify.viem.median), speedup(8)),
  ...(verify.workerd.loops.cpuMsPerOp !== null ? [row('h. Verify throughput per CPU-second (workerd vs Node)', 'ops/s', 'higher',
    val('verifyPayment in workerd, 1000 / workerd CPU ms per verification', 1000 / verify.workerd.loops.cpuMsPerOp),
    val('viem + checks, 1000 / Node CPU ms per verification', 1000 / verify.viem.cpuMsPerOpMedian), speedup(8))] : []),
  row('h. Verify CPU per verification', 'ms', 'lower',
    verify.workerd.loops.cpuMsPerOp !== null
      ? val('workerd process CPU / verification', verify.workerd.loops.cpuMsPerOp)
      : val('in-Worker performance.now / verification (no /proc)', verify.workerd.loops.workerMsPerOp),
    val('Node process CPU / viem verification', verify.viem.cpuMsPerOpMedian),
    atMostOurs('< 1 ms (ours)', 1, true)),
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
  fetchRequests: FETCH_REQUESTS,
  verifyN: VERIFY_N,
  load,
  versions: Object.fromEntries(['x402-wasm', 'viem', '@x402/core', '@x402/evm', '@x402/fetch', '@x402/svm',
    '@solana/kit', 'esbuild', 'miniflare']
    .map((n) => [n, versionOf(n)])),
};
const result = { meta, creation, recovery, breakdown, sizes, cold, svmCreation, paid, coldPaid, verify };
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
