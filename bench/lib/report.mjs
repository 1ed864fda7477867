// Turns the measurements into table rows and a markdown report.

const int = (n) => Math.round(n).toLocaleString('en-US');
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;

function fmt(value, unit) {
  if (unit === 'ops/s') return `${int(value)} ops/s`;
  if (unit === 'bytes') return kb(value);
  if (unit === 'ms') return `${value.toFixed(1)} ms`;
  return String(value);
}

/**
 * A comparison row. better: 'higher' | 'lower'. target: optional { text, check(ratio, ours) }.
 */
export function row(what, unit, better, ours, theirs, target) {
  const ratio = ours.value / theirs.value;
  const met = target ? target.check(ratio, ours.value) : null;
  return { what, unit, better, ours, theirs, ratio, target: target?.text ?? null, met };
}

function ratioText(r) {
  const good = r.better === 'higher' ? r.ratio >= 1 : r.ratio <= 1;
  const words = r.unit === 'bytes' ? ['ours smaller', 'ours larger'] : ['ours faster', 'ours slower'];
  return `${r.ratio.toFixed(2)}x (${good ? words[0] : words[1]})`;
}

export function markdownTable(rows) {
  const head = ['Benchmark', 'Ours', 'Median (ours)', 'Theirs', 'Median (theirs)', 'Ours / theirs', 'Target', 'Met'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(`| ${[
      r.what,
      r.ours.label,
      fmt(r.ours.value, r.unit),
      r.theirs.label,
      fmt(r.theirs.value, r.unit),
      ratioText(r),
      r.target ?? '',
      r.met === null ? '' : r.met ? 'yes' : '**no**',
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

export function markdownReport(result, rows) {
  const { meta, breakdown, cold, sizes } = result;
  const b = breakdown;
  const out = [
    `# x402-wasm benchmarks, ${meta.date}`,
    '',
    `Machine: ${meta.cpu} (${meta.cpus} CPUs), ${meta.os}, Node ${meta.node}.`,
    `Versions: x402-wasm ${meta.versions['x402-wasm']}, viem ${meta.versions.viem}, ` +
      `@x402/core ${meta.versions['@x402/core']}, @x402/evm ${meta.versions['@x402/evm']}, ` +
      `@x402/fetch ${meta.versions['@x402/fetch']}, @x402/svm ${meta.versions['@x402/svm']}, ` +
      `esbuild ${meta.versions.esbuild}.`,
    `Throughput: ${meta.runs} alternated samples of ~${meta.sampleMs} ms per side, median. ` +
      `Cold start: ${meta.coldRuns} alternated spawns per side, median. Sizes: sum of per-file gzip -9 / brotli q11.`,
    '',
    markdownTable(rows),
    '',
    '## Context (informational, not targets)',
    '',
    `- Cold-start floor: \`node -e\` printing a constant takes ${cold.baseline.median.toFixed(1)} ms ` +
      `(median), so the work above it is ours ${(cold.ours.median - cold.baseline.median).toFixed(1)} ms, ` +
      `official ${(cold.official.median - cold.baseline.median).toFixed(1)} ms.`,
    `- Ours in parts: hashTypedData ${int(b.oursHash.median)} ops/s (viem ${int(b.viemHash.median)}); ` +
      `wallet.signTypedData ${int(b.oursSign.median)} ops/s; createPaymentPayload ` +
      `${int(result.creation.ours.median)} ops/s.`,
    `- Ours per file (gzip): ${Object.entries(sizes.ours.files).map(([f, s]) => `${f} ${kb(s.gzip)}`).join(', ')}.`,
    `- Official bundle, biggest packages (minified bytes): ${Object.entries(sizes.theirs.client.topPackages)
      .map(([p, n]) => `${p} ${kb(n)}`).join(', ')}.`,
    '',
  ];
  return out.join('\n');
}
