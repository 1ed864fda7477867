// Turns the measurements into table rows and a markdown report.

const int = (n) => Math.round(n).toLocaleString('en-US');
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;

function fmt(value, unit) {
  if (unit === 'ops/s') return `${int(value)} ops/s`;
  if (unit === 'bytes') return kb(value);
  if (unit === 'ms') {
    const digits = Math.abs(value) < 1 ? 3 : Math.abs(value) < 10 ? 2 : 1;
    return `${value.toFixed(digits)} ms`;
  }
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
      r.met === null ? 'n/a' : r.met ? 'yes' : '**no**',
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

const ms = (v, digits = 3) => (v === null || v === undefined ? 'n/a' : `${v.toFixed(digits)} ms`);
const loadText = (l) => `${l.section} ${l.loadavg.map((v) => v.toFixed(2)).join('/')}`;

export function markdownReport(result, rows) {
  const { meta, breakdown, cold, sizes, svmCreation, paid, coldPaid, verify } = result;
  const b = breakdown;
  const w = verify.workerd;
  const out = [
    `# x402-wasm benchmarks, ${meta.date}`,
    '',
    `Machine: ${meta.cpu} (${meta.cpus} CPUs), ${meta.os}, Node ${meta.node}.`,
    `Versions: x402-wasm ${meta.versions['x402-wasm']}, viem ${meta.versions.viem}, ` +
      `@x402/core ${meta.versions['@x402/core']}, @x402/evm ${meta.versions['@x402/evm']}, ` +
      `@x402/fetch ${meta.versions['@x402/fetch']}, @x402/svm ${meta.versions['@x402/svm']}, ` +
      `@solana/kit ${meta.versions['@solana/kit']}, esbuild ${meta.versions.esbuild}, ` +
      `miniflare ${meta.versions.miniflare}.`,
    `Throughput: ${meta.runs} alternated samples of ~${meta.sampleMs} ms per side, median. ` +
      `Cold start: ${meta.coldRuns} alternated spawns per side, median. Sizes: sum of per-file gzip -9 / brotli q11. ` +
      `Paid fetch: ${meta.fetchRequests} requests per side in alternated blocks of 25. ` +
      `workerd: ${meta.runs} requests of ${meta.verifyN} verifications, alternated with the Node samples.`,
    `Load average (1/5/15 min) at each section: ${meta.load.map(loadText).join('; ')} (${meta.cpus} CPUs; ` +
      'a load above the CPU count means the timings include waiting for a CPU).',
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
    `- SVM (e): our side made ${svmCreation.rpc.oursFetchCalls} fetch calls; the official client's RPC calls ` +
      `(in-process stub): ${JSON.stringify(svmCreation.rpc.officialRpcCalls)} (mint info is cached per client; ` +
      `extra.recentBlockhash spares getLatestBlockhash). Our wallet.signTransaction alone: ` +
      `${int(svmCreation.oursSign.median)} ops/s.`,
    `- Paid fetch (f): two plain round trips (402, then the request with a payment header made beforehand) ` +
      `p50 ${ms(paid.plain.p50)}, p99 ${ms(paid.plain.p99)}; means: ours ${ms(paid.ours.mean)}, ` +
      `official ${ms(paid.official.mean)}, plain ${ms(paid.plain.mean)}. For scale, one createPaymentPayload ` +
      `(row a, same run) takes ${ms(1000 / result.creation.ours.median)} for ours and ` +
      `${ms(1000 / result.creation.official.median)} for the official client. The server (same process) verified ` +
      `${paid.server.paid} payments with our verifyPayment and rejected ${paid.server.rejected}.`,
    `- Paid cold start (g): the same two round trips from \`node -e\` with no library take ` +
      `${coldPaid.plain.median.toFixed(1)} ms (median), so the work above it is ours ` +
      `${(coldPaid.ours.median - coldPaid.plain.median).toFixed(1)} ms, official ` +
      `${(coldPaid.official.median - coldPaid.plain.median).toFixed(1)} ms.`,
    `- workerd (h), per verification: in-Worker performance.now ${ms(w.loops.workerMsPerOp)}, Node wall ` +
      `around the request ${ms(w.loops.wallMsPerOp)}, workerd process CPU ${ms(w.loops.cpuMsPerOp)} ` +
      `(= ${w.loops.cpuMsPerOp ? int(1000 / w.loops.cpuMsPerOp) : 'n/a'} verifications per CPU-second; ` +
      `viem ${int(1000 / verify.viem.cpuMsPerOpMedian)}). Ours in Node: ${int(verify.oursNode.median)} ops/s, ` +
      `CPU ${ms(verify.oursNode.cpuMsPerOpMedian)} per verification.`,
    `- workerd, one verification per request (${w.perRequest.one.count} requests through Miniflare's ` +
      `dispatchFetch): wall p50 ${ms(w.perRequest.one.wallP50)}, p99 ${ms(w.perRequest.one.wallP99)}, ` +
      `workerd CPU ${ms(w.perRequest.one.cpuMsPerRequest)} per request; an empty request: wall p50 ` +
      `${ms(w.perRequest.zero.wallP50)}, CPU ${ms(w.perRequest.zero.cpuMsPerRequest)} (Miniflare's routing ` +
      'worker included).',
    '',
  ];
  return out.join('\n');
}
