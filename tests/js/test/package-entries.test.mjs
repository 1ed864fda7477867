// The runtime entries against the API they publish. The package is "sideEffects": false, so each
// entry exports its names as its own bindings (`export const x = api.x`): a bundler that sees a
// re-export resolves it past the entry and drops the entry's wasm init (shown with esbuild by
// tests/package/node-app/bundle.mjs). Here: every entry exports exactly api.js's names (the worker
// entries their sources'), declares each one itself, and initialises the wasm of its own runtime;
// then the installed Node entries, imported, agree with the parse and alias the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageDir, repoRoot } from '../lib/pkg.mjs';

const template = join(repoRoot, 'pkg-template');
const MAIN = ['index.js', 'index.node.js', 'index.workerd.js', 'index.edge.js'];
const WORKER = ['worker/index.js', 'worker/index.node.js', 'worker/index.workerd.js', 'worker/index.edge.js'];
const WORKER_SOURCES = ['worker/handler.js', 'worker/facilitator.js', 'worker/replay.js'];

// One `export` statement at the start of a line (the pkg-template style), in each of its forms.
const EXPORT = new RegExp([
  /^export\s+(?:async\s+)?function\*?\s+([\w$]+)/.source, // 1: function
  /^export\s+class\s+([\w$]+)/.source, // 2: class
  /^export\s+(?:const|let|var)\s+([\w$]+)/.source, // 3: one binding
  /^export\s+(?:const|let|var)\s*\{([^}]*)\}/.source, // 4: destructured bindings
  /^export\s*\{([^}]*)\}(?:\s*from\s*['"]([^'"]+)['"])?/.source, // 5: list, 6: its source
  /^export\s*\*\s*(?:as\s+([\w$]+)\s*)?from\s*['"]([^'"]+)['"]/.source, // 7: namespace name, 8: source
  /^export\s+default\b()/.source, // 9: default
].join('|'), 'gm');

/** The names a module file exports, following `export *`; `reexports` lists the statements that are not declarations. */
function parseExports(dir, file) {
  const source = readFileSync(join(dir, file), 'utf8');
  const names = new Set();
  const reexports = [];
  const listed = (list) => list.replace(/\/\/.*$/gm, '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of source.matchAll(EXPORT)) {
    if (m[1] ?? m[2] ?? m[3]) names.add(m[1] ?? m[2] ?? m[3]);
    else if (m[4] !== undefined) for (const b of listed(m[4])) names.add(b.split(':').pop().replace('...', '').trim());
    else if (m[5] !== undefined) {
      reexports.push(m[0]);
      for (const s of listed(m[5])) names.add(s.split(/\s+as\s+/).pop());
    } else if (m[8] !== undefined) {
      reexports.push(m[0]);
      if (m[7]) names.add(m[7]);
      else for (const n of parseExports(dir, join(file, '..', m[8])).names) if (n !== 'default') names.add(n);
    } else if (m[9] !== undefined) names.add('default');
  }
  return { names, reexports, source };
}

const sorted = (names) => [...names].sort();
const apiNames = sorted(parseExports(template, 'api.js').names);
const workerNames = sorted(['X402Error', 'ready', ...WORKER_SOURCES.flatMap((f) => [...parseExports(template, f).names])]);

test('the package declares "sideEffects": false', () => {
  const pkg = JSON.parse(readFileSync(join(template, 'package.json'), 'utf8'));
  assert.equal(pkg.sideEffects, false);
});

// The published names (a public contract: new ones may join, none may go or be renamed).
const PUBLIC = ['X402Error', 'createPaymentPayload', 'decodeHeader', 'decodePaymentResponse', 'discoverX402',
  'eip1193Wallet', 'encodeHeader', 'encodePaymentHeader', 'evmPrivateKeyWallet', 'formatUnits', 'getPaymentReceipt',
  'hashTypedData', 'parseAmount', 'parsePrice', 'recognizePaymentRequired', 'recoverTypedDataAddress',
  'ready', 'solanaPrivateKeyWallet', 'solanaWallet', 'toCaip2', 'toV1Network', 'verifyPayment', 'viemWallet', 'wrapFetch'];
const PUBLIC_WORKER = ['X402Error', 'ready', 'requirePayment', 'paymentRequired', 'preflight', 'createFacilitatorClient',
  'memoryReplayStore', 'durableObjectReplayStore', 'ReplayStoreDurableObject'];

test('api.js and the worker sources still export every published name', () => {
  assert.deepEqual(PUBLIC.filter((n) => !apiNames.includes(n)), []);
  assert.deepEqual(PUBLIC_WORKER.filter((n) => !workerNames.includes(n)), []);
});

for (const [entries, expected, what] of [[MAIN, apiNames, "api.js's"], [WORKER, workerNames, "the worker sources'"]]) {
  for (const entry of entries) {
    test(`${entry} exports ${what} names, each as its own binding, after its runtime's init`, () => {
      const { names, reexports, source } = parseExports(template, entry);
      assert.deepEqual(sorted(names), expected);
      assert.deepEqual(reexports, [], 'a re-export lets a bundler drop the entry and its wasm init');
      const runtime = entry.match(/index(\.\w+)?\.js$/)[1] ?? '';
      const from = `${entry.startsWith('worker/') ? '../' : './'}init${runtime}.js`;
      assert.ok(source.includes(`import { init } from '${from}';`), `${entry} imports init from ${from}`);
      assert.match(source, /^(await )?init\(\);$/m, `${entry} calls init() at top level`);
    });
  }
}

test('x402-wasm/react reaches the wasm only through the main entry, whose init it then keeps', () => {
  const files = readdirSync(join(template, 'react')).filter((f) => f.endsWith('.js')).map((f) => `react/${f}`);
  assert.ok(files.includes('react/useX402.js') && files.includes('react/provider.js'), String(files));
  const specifiers = files.flatMap((f) => [...readFileSync(join(template, f), 'utf8').matchAll(/^(?:import|export)\b[^;]*?from\s*['"]([^'"]+)['"]/gm)]
    .map((m) => m[1]));
  assert.ok(specifiers.includes('x402-wasm'), 'provider.js imports wrapFetch from x402-wasm');
  assert.deepEqual(specifiers.filter((s) => s.startsWith('..')), [], 'no import past the entry (../api.js would skip its init)');
});

test('the installed Node entries agree with the parse and alias the API, initialised', async () => {
  const dir = packageDir();
  const load = (file) => import(pathToFileURL(join(dir, file)));
  const [api, main, worker] = await Promise.all([load('api.js'), load('index.node.js'), load('worker/index.node.js')]);
  assert.deepEqual(Object.keys(api), apiNames);
  assert.deepEqual(Object.keys(main), apiNames);
  for (const name of apiNames) assert.equal(main[name], api[name], `index.node.js ${name} is api.js's`);
  assert.deepEqual(Object.keys(worker), workerNames);
  const sources = await Promise.all(WORKER_SOURCES.map(load));
  for (const name of workerNames) {
    const origin = ['X402Error', 'ready'].includes(name) ? main : sources.find((s) => name in s);
    assert.equal(worker[name], origin[name], `worker/index.node.js ${name}`);
  }
  assert.equal(main.parseAmount('0042'), '42');
});
