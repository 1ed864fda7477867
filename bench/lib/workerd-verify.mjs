// Verification inside workerd (Miniflare's bundled runtime), and the same checks done with viem
// in Node for comparison.
//
// workerd side: the package and lib/verify-worker.mjs are copied to a temporary directory and run
// as a module Worker (the package's workerd entry, wasm imported as a compiled module). Each
// sample is one request running verifyPayment N times; three clocks are read:
//   - inside the Worker, performance.now() around the loop (workerd only advances it between
//     I/O in production; Miniflare's local runtime advances it, at ms granularity, so N is large);
//   - the workerd process's CPU time (sum of its threads' /proc/<pid>/task/*/schedstat), Linux;
//   - Node's wall clock around dispatchFetch.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH_DIR, PKG_DIR } from './fixtures.mjs';
import { median, percentile } from './measure.mjs';
import { cpuNs, workerdPids } from './procs.mjs';

/**
 * Starts the Worker with `input` ({ payment, requirement, now }) as a JSON binding. Resolves to
 * { run(n), dispose() }; run(n) resolves to { n, valid, workerMs, wallMs, cpuMs } (cpuMs null
 * where /proc is not available).
 */
export async function startVerifyWorker(input) {
  const { Miniflare } = await import('miniflare');
  const root = mkdtempSync(path.join(tmpdir(), 'x402-bench-worker-'));
  cpSync(PKG_DIR, path.join(root, 'x402-wasm'), { recursive: true });
  cpSync(path.join(BENCH_DIR, 'lib', 'verify-worker.mjs'), path.join(root, 'worker.mjs'));
  const mf = new Miniflare({
    modules: true,
    scriptPath: path.join(root, 'worker.mjs'),
    modulesRoot: root,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2025-09-01',
    bindings: { INPUT: input },
    host: '127.0.0.1',
  });
  const dispose = async () => {
    await mf.dispose().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await mf.ready;
  } catch (error) {
    await dispose();
    throw error;
  }
  const pids = existsSync('/proc/self/task') ? workerdPids() : [];
  const cpu = () => pids.reduce((a, p) => a + cpuNs(p), 0);
  async function run(n) {
    const c0 = pids.length ? cpu() : 0;
    const t0 = performance.now();
    const response = await mf.dispatchFetch(`http://127.0.0.1/?n=${n}`);
    const body = await response.json();
    const wallMs = performance.now() - t0;
    const cpuMs = pids.length ? (cpu() - c0) / 1e6 : null;
    if (response.status !== 200 || body.valid !== n) {
      throw new Error(`bench: workerd verified ${body.valid} of ${n} (status ${response.status})`);
    }
    return { n, valid: body.valid, workerMs: body.ms, wallMs, cpuMs };
  }
  return { run, dispose, pids };
}

/**
 * Many small requests: `requests` of n=1 (one verified request each) alternated in blocks with
 * as many n=0 (the request alone). Per request: wall p50/p99 from Node and the workerd CPU time
 * (total / count, so timer granularity does not matter).
 */
export async function perRequest(worker, { requests, block }) {
  const out = { one: { wall: [], cpuMs: 0 }, zero: { wall: [], cpuMs: 0 } };
  for (let i = 0; i < 20; i++) {
    await worker.run(1);
    await worker.run(0);
  }
  while (out.one.wall.length < requests) {
    for (const [key, n] of [['one', 1], ['zero', 0]]) {
      for (let i = 0; i < block; i++) {
        const r = await worker.run(n);
        out[key].wall.push(r.wallMs);
        out[key].cpuMs += r.cpuMs ?? 0;
      }
    }
  }
  const summary = (s) => ({
    count: s.wall.length,
    wallP50: percentile(s.wall, 50),
    wallP99: percentile(s.wall, 99),
    cpuMsPerRequest: worker.pids.length ? s.cpuMs / s.wall.length : null,
  });
  return { one: summary(out.one), zero: summary(out.zero) };
}

/** Medians of the loop samples: ms per verification by each clock, verifications per second. */
export function summarizeLoops(loops) {
  const per = (key) => loops.map((r) => (r[key] === null ? null : r[key] / r.n));
  const workerMsPerOp = median(per('workerMs'));
  const cpu = per('cpuMs');
  return {
    samples: loops,
    workerMsPerOp,
    wallMsPerOp: median(per('wallMs')),
    cpuMsPerOp: cpu.includes(null) ? null : median(cpu),
    opsPerSecond: median(loops.map((r) => (r.n * 1000) / r.workerMs)),
  };
}

/** The payment's checks with viem, as our verifier makes them (EIP-3009 `exact` only). */
export function viemVerifier(viem) {
  const types = {
    TransferWithAuthorization: [
      { name: 'from', type: 'address' },
      { name: 'to', type: 'address' },
      { name: 'value', type: 'uint256' },
      { name: 'validAfter', type: 'uint256' },
      { name: 'validBefore', type: 'uint256' },
      { name: 'nonce', type: 'bytes32' },
    ],
  };
  const MAX_CLOCK_SKEW = 5n;
  const MIN_VALIDITY = 6n;
  return async function verify(payment, requirement, now) {
    const accepted = payment.accepted;
    if (accepted?.scheme !== 'exact' || requirement.scheme !== 'exact') return { isValid: false, invalidReason: 'scheme' };
    if (accepted.network !== requirement.network || !requirement.network.startsWith('eip155:')) {
      return { isValid: false, invalidReason: 'network' };
    }
    const { authorization: a, signature } = payment.payload;
    if (!viem.isAddressEqual(a.to, requirement.payTo)) return { isValid: false, invalidReason: 'recipient' };
    const value = BigInt(a.value);
    if (value !== BigInt(requirement.amount)) return { isValid: false, invalidReason: 'value' };
    const validBefore = BigInt(a.validBefore);
    const validAfter = BigInt(a.validAfter);
    if (validBefore < BigInt(now) + MIN_VALIDITY) return { isValid: false, invalidReason: 'validBefore' };
    if (validAfter > BigInt(now) + MAX_CLOCK_SKEW) return { isValid: false, invalidReason: 'validAfter' };
    const signer = await viem.recoverTypedDataAddress({
      domain: {
        name: requirement.extra.name,
        version: requirement.extra.version,
        chainId: Number(requirement.network.slice('eip155:'.length)),
        verifyingContract: requirement.asset,
      },
      types,
      primaryType: 'TransferWithAuthorization',
      message: { from: a.from, to: a.to, value, validAfter, validBefore, nonce: a.nonce },
      signature,
    });
    if (!viem.isAddressEqual(signer, a.from)) return { isValid: false, invalidReason: 'signature' };
    return { isValid: true, payer: a.from };
  };
}
