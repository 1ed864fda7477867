// Timing helpers: throughput samples of ~1 s, sides alternated within one run, medians.
import { performance } from 'node:perf_hooks';

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The p-th percentile (0..100) of values, nearest rank. */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1];
}

/**
 * Calls `fn` back to back for about `ms` milliseconds and returns operations per second.
 * An async `fn` is awaited one call at a time (no overlap); a sync one is called in a plain loop.
 */
export async function opsPerSecond(fn, ms, isAsync) {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  let t;
  if (isAsync) {
    do {
      await fn();
      n++;
    } while ((t = performance.now()) < end);
  } else {
    do {
      fn();
      n++;
    } while ((t = performance.now()) < end);
  }
  return (n * 1000) / (t - start);
}

/**
 * Runs the sides round-robin (A, B, C, A, B, C, ...) `runs` times after one warm-up of each,
 * so that drift of the machine (turbo, other load) hits every side alike.
 * sides: [{ name, fn, async, before?, cpu? }]; `before()` runs ahead of each of that side's
 * samples (e.g. to switch a fetch stub), untimed. A side with `cpu: true` also records the
 * process CPU time (user + system, all threads) per operation, in ms. A side may instead be
 * `{ name, sample }` where `sample()` resolves to one ops/s value (measured elsewhere).
 * Returns { [name]: { samples, median, cpuMsPerOp?, cpuMsPerOpMedian? } } in ops/s.
 */
export async function alternateThroughput(sides, { runs, sampleMs, warmupMs }) {
  const one = async (s, ms) => {
    s.before?.();
    if (s.sample) return { ops: await s.sample() };
    const c0 = s.cpu ? process.cpuUsage() : null;
    const t0 = performance.now();
    const ops = await opsPerSecond(s.fn, ms, s.async);
    if (!c0) return { ops };
    const c = process.cpuUsage(c0);
    const n = (ops * (performance.now() - t0)) / 1000;
    return { ops, cpuMsPerOp: (c.user + c.system) / 1000 / n };
  };
  for (const s of sides) await one(s, warmupMs);
  const samples = Object.fromEntries(sides.map((s) => [s.name, []]));
  const cpu = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (let i = 0; i < runs; i++) {
    for (const s of sides) {
      globalThis.gc?.();
      const r = await one(s, sampleMs);
      samples[s.name].push(r.ops);
      if (r.cpuMsPerOp !== undefined) cpu[s.name].push(r.cpuMsPerOp);
    }
  }
  return Object.fromEntries(sides.map((s) => {
    const out = { samples: samples[s.name], median: median(samples[s.name]) };
    if (cpu[s.name].length) Object.assign(out, { cpuMsPerOp: cpu[s.name], cpuMsPerOpMedian: median(cpu[s.name]) });
    return [s.name, out];
  }));
}
