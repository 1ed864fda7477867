// Cold start: wall time from spawning `node -e <script>` to the first payload's signature on
// its stdout (module loading, wasm instantiation or viem/x402 setup, first signature), and to
// the first paid response of a wrapped fetch against the benchmark's loopback server.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, KEY, NOW, PAYMENT_REQUIRED, PKG_NODE_ENTRY } from './fixtures.mjs';
import { median } from './measure.mjs';

const PR = JSON.stringify(PAYMENT_REQUIRED);

export const COLD_SCRIPTS = {
  ours: [
    `import { evmPrivateKeyWallet, createPaymentPayload } from ${JSON.stringify(pathToFileURL(PKG_NODE_ENTRY).href)};`,
    `const wallet = evmPrivateKeyWallet(${JSON.stringify(KEY)});`,
    `const p = await createPaymentPayload(${PR}, 0, wallet, { now: ${NOW} });`,
    'console.log(p.payload.signature);',
  ].join('\n'),
  official: [
    "import { privateKeyToAccount } from 'viem/accounts';",
    "import { x402Client } from '@x402/core/client';",
    "import { registerExactEvmScheme } from '@x402/evm/exact/client';",
    'const client = new x402Client();',
    `registerExactEvmScheme(client, { signer: privateKeyToAccount(${JSON.stringify(KEY)}) });`,
    'client.setSpendControls(false);',
    `const p = await client.createPaymentPayload(${PR});`,
    'console.log(p.payload.signature);',
  ].join('\n'),
  // Node itself, for scale: the floor both sides pay.
  baseline: "console.log('0x' + '00'.repeat(65));",
};

const SIGNATURE_LINE = /^0x[0-9a-f]{130}$/i;

/** One spawn: milliseconds until the first line arrives on stdout (it must match `accept`). */
function spawnOnce(script, accept) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: BENCH_DIR, // bare imports resolve from bench/node_modules
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let ms = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (ms === null && out.includes('\n')) ms = Number(process.hrtime.bigint() - t0) / 1e6;
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n')[0];
      if (code !== 0 || ms === null || !accept.test(line)) {
        reject(new Error(`bench: cold-start child failed (exit ${code}): ${err || out}`));
      } else resolve(ms);
    });
  });
}

/** Alternates the scripts `runs` times after one discarded spawn of each (disk cache). */
async function alternateSpawns(scripts, runs, accept) {
  const names = Object.keys(scripts);
  for (const n of names) await spawnOnce(scripts[n], accept);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) {
    for (const n of names) samples[n].push(await spawnOnce(scripts[n], accept));
  }
  return Object.fromEntries(names.map((n) => [n, { samples: samples[n], median: median(samples[n]) }]));
}

/** Spawn -> first payload: ours, official, baseline alternated `runs` times. */
export function coldStart(runs) {
  return alternateSpawns(COLD_SCRIPTS, runs, SIGNATURE_LINE);
}

/**
 * The scripts of the paid cold start: import the library, build the paying fetch, pay for `url`
 * once and print `<status> <body>`. Both use Node's global fetch and the same key. `plain` is for
 * scale: the same two round trips with a ready-made PAYMENT-SIGNATURE (`plainHeader`), no library.
 */
export function paidColdScripts(url, plainHeader) {
  const u = JSON.stringify(url);
  return {
    ours: [
      `import { evmPrivateKeyWallet, wrapFetch } from ${JSON.stringify(pathToFileURL(PKG_NODE_ENTRY).href)};`,
      `const pay = wrapFetch(fetch, { wallets: [evmPrivateKeyWallet(${JSON.stringify(KEY)})] });`,
      `const r = await pay(${u});`,
      'console.log(r.status, await r.text());',
    ].join('\n'),
    official: [
      "import { privateKeyToAccount } from 'viem/accounts';",
      "import { x402Client } from '@x402/core/client';",
      "import { registerExactEvmScheme } from '@x402/evm/exact/client';",
      "import { wrapFetchWithPayment } from '@x402/fetch';",
      'const client = new x402Client();',
      `registerExactEvmScheme(client, { signer: privateKeyToAccount(${JSON.stringify(KEY)}) });`,
      'client.setSpendControls(false);',
      'const pay = wrapFetchWithPayment(fetch, client);',
      `const r = await pay(${u});`,
      'console.log(r.status, await r.text());',
    ].join('\n'),
    plain: [
      `const a = await fetch(${u}); await a.text();`,
      `const r = await fetch(${u}, { headers: { 'PAYMENT-SIGNATURE': ${JSON.stringify(plainHeader)} } });`,
      'console.log(r.status, await r.text());',
    ].join('\n'),
  };
}

/** Spawn -> first paid response (a `200 ...` line): ours, official, plain alternated `runs` times. */
export function coldStartPaid(runs, url, plainHeader) {
  return alternateSpawns(paidColdScripts(url, plainHeader), runs, /^200 /);
}
