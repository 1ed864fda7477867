// Timing helpers: throughput samples of ~1 s, sides alternated within one run, medians.
import { performance } from 'node:perf_hooks';

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
 * sides: [{ name, fn, async }]. Returns { [name]: { samples, median } } in ops/s.
 */
export async function alternateThroughput(sides, { runs, sampleMs, warmupMs }) {
  for (const s of sides) await opsPerSecond(s.fn, warmupMs, s.async);
  const samples = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (let i = 0; i < runs; i++) {
    for (const s of sides) {
      globalThis.gc?.();
      samples[s.name].push(await opsPerSecond(s.fn, sampleMs, s.async));
    }
  }
  return Object.fromEntries(
    sides.map((s) => [s.name, { samples: samples[s.name], median: median(samples[s.name]) }]),
  );
}
