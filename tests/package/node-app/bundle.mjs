// The installed package through a real bundler: esbuild (the one wrangler pins in ../worker, so no
// dependency of its own) bundles three small user scripts with tree shaking on, honouring the
// package's "sideEffects": false, then runs each bundle. Every script makes a call that needs the wasm
// instantiated, so a bundle that resolved the imports past an entry module (straight to api.js or
// worker/handler.js) and dropped it, and the entry's init with it, fails here. The cases:
//   node     x402-wasm for platform node          -> index.node.js
//   worker   x402-wasm/worker for platform node   -> worker/index.node.js
//   browser  x402-wasm for platform browser       -> index.js, run in Node with fetch reading file: URLs
//   node-cjs x402-wasm for platform node, CommonJS -> index.node.js (no import.meta.url in the bundle)
// Exits 0 when every bundle prints what it should and tree shaking dropped an unused module.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, PAYER_KEY, PAYER, PAY_TO, NETWORK } from '../lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const esbuild = createRequire(join(here, '..', 'worker', 'package.json'))('esbuild');
const pkg = 'node_modules/x402-wasm';

const paying = `
  import { wrapFetch, evmPrivateKeyWallet } from 'x402-wasm';
  const pay = wrapFetch(fetch, { wallets: [evmPrivateKeyWallet('${PAYER_KEY}')], policy: { maxPerPayment: '0.05' } });
  console.log(typeof pay, evmPrivateKeyWallet('${PAYER_KEY}').address);
`;
const cases = [
  { name: 'node', platform: 'node', entry: `${pkg}/index.node.js`, source: paying, expect: `function ${PAYER}` },
  {
    name: 'worker',
    platform: 'node',
    entry: `${pkg}/worker/index.node.js`,
    // Only x402-wasm/worker: importing the main entry too would initialise the wasm for it.
    source: `
      import { requirePayment } from 'x402-wasm/worker';
      const route = { accepts: [{ network: '${NETWORK}', payTo: '${PAY_TO}', price: '$0.01' }] };
      const { response } = await requirePayment(new Request('http://127.0.0.1/paid'), route, {});
      const challenge = JSON.parse(atob(response.headers.get('payment-required')));
      console.log(response.status, challenge.accepts[0].network, challenge.accepts[0].amount);
    `,
    expect: `402 ${NETWORK} 10000`,
  },
  { name: 'browser', platform: 'browser', entry: `${pkg}/index.js`, source: paying, expect: `function ${PAYER}` },
  // CommonJS, esbuild's default for Node (serverless bundlers use it): no import.meta.url there.
  { name: 'node-cjs', platform: 'node', format: 'cjs', entry: `${pkg}/index.node.js`, source: paying, expect: `function ${PAYER}` },
];

// Node's fetch refuses file: URLs; the browser entry fetches its wasm from one when run from disk.
const fileFetch = `data:text/javascript,${encodeURIComponent(`
  import { readFile } from 'node:fs/promises';
  const net = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return url.startsWith('file:')
      ? new Response(await readFile(new URL(url)), { headers: { 'content-type': 'application/wasm' } })
      : net(input, init);
  };
`)}`;

const out = mkdtempSync(join(tmpdir(), 'x402-esbuild-'));
try {
  // A bundle's import.meta.url is its own: the entries look for the wasm next to it.
  copyFileSync(join(here, pkg, 'x402_wasm_bg.wasm'), join(out, 'x402_wasm_bg.wasm'));
  for (const { name, platform, format = 'esm', entry, source, expect } of cases) {
    const outfile = join(out, `${name}.${format === 'cjs' ? 'cjs' : 'mjs'}`);
    const { metafile } = await esbuild.build({
      stdin: { contents: source, resolveDir: here, sourcefile: `${name}.mjs` },
      absWorkingDir: here,
      bundle: true,
      treeShaking: true,
      platform,
      format,
      outfile,
      metafile: true,
      logLevel: 'silent',
    });
    const kept = Object.values(metafile.outputs)[0].inputs;
    const entryKept = kept[entry]?.bytesInOutput > 0;
    const args = platform === 'browser' ? ['--import', fileFetch, outfile] : [outfile];
    let printed;
    try {
      printed = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (error) {
      throw new Error(`${name}: the bundle failed (${entry} ${entryKept ? 'kept' : 'dropped'} by esbuild):\n${error.stderr}`);
    }
    check(printed === expect, `${name}: printed ${JSON.stringify(printed)}, expected ${JSON.stringify(expect)}`);
    check(!(kept[`${pkg}/wallets/solana.js`]?.bytesInOutput > 0), `${name}: the unused wallets/solana.js was not tree-shaken`);
    console.log(`esbuild ${esbuild.version} ${name} (${platform}, ${entry.slice(pkg.length + 1)} ${entryKept ? 'kept' : 'dropped'}): ${printed}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
