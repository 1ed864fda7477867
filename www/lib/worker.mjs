// Runs www/worker/src/index.js in workerd (Miniflare, on 127.0.0.1) with x402-wasm as installed
// from the tarball, the way a Workers bundler would load it: the package's `exports` map with the
// `workerd` condition (which imports the wasm as a compiled module, not compiled from bytes).
//
// Miniflare does not resolve npm packages by itself (wrangler bundles first). Instead of a bundler,
// the module list names each package file `x402-wasm/<file>` and adds, for each export of the
// package, a one-line module `x402-wasm<subpath>` re-exporting its workerd target: workerd then
// resolves `import ... from 'x402-wasm/worker'` in the entry module to that re-export.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { WWW } from './install.mjs';
import { harnessRequire } from './harness.mjs';

const SRC = join(WWW, 'worker', 'src');
const ENTRY = join(SRC, 'index.js');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The Miniflare module list: the Worker's entry, then x402-wasm (packageDir) mapped as above. */
export function workerModules(packageDir) {
  const modules = [{ type: 'ESModule', path: ENTRY, contents: readFileSync(ENTRY, 'utf8') }];
  const at = (name) => join(SRC, name); // module names are paths relative to SRC
  for (const file of files(packageDir)) {
    const name = relative(packageDir, file);
    // x402-wasm/react needs React, which a Worker does not have (and never imports).
    if (name.startsWith('react/')) continue;
    if (name.endsWith('.js')) modules.push({ type: 'ESModule', path: at(`x402-wasm/${name}`), contents: readFileSync(file, 'utf8') });
    else if (name.endsWith('.wasm')) modules.push({ type: 'CompiledWasm', path: at(`x402-wasm/${name}`), contents: readFileSync(file) });
  }
  const { name: pkg, exports } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  for (const [subpath, conditions] of Object.entries(exports)) {
    const target = typeof conditions === 'string' ? conditions : conditions.workerd ?? conditions.import ?? conditions.default;
    if (!target?.endsWith('.js') || subpath.startsWith('./react')) continue;
    const name = `${pkg}${subpath.slice(1)}`; // '.' -> x402-wasm, './worker' -> x402-wasm/worker
    // Relative to the re-export's own folder: `x402-wasm/worker` lives in `x402-wasm/`.
    const from = subpath === '.' ? `./${pkg}/${target.slice(2)}` : `./${target.slice(2)}`;
    modules.push({ type: 'ESModule', path: at(name), contents: `export * from '${from}';\n` });
  }
  return modules;
}

/**
 * Starts the paywalled API Worker with `bindings` (its env: NETWORK, ASSET, PRICE, ...).
 * Returns { url, origin, dispose() }.
 */
export async function startApiWorker({ packageDir, bindings }) {
  const { Miniflare } = harnessRequire('miniflare');
  const mf = new Miniflare({
    name: 'x402-www-api',
    modules: workerModules(packageDir),
    modulesRoot: SRC,
    compatibilityDate: '2025-09-01',
    bindings,
    host: '127.0.0.1',
    port: 0,
  });
  let url;
  try {
    url = await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  return { url: url.toString(), origin: url.origin, dispose: () => mf.dispose() };
}
