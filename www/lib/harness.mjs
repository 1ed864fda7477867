// The demo runs on the test harness's npm dependencies (tests/js, installed by scripts/setup.sh):
// anvil, viem, the official x402 facilitator, Miniflare (workerd) and playwright-core.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './install.mjs';

const HARNESS = join(ROOT, 'tests', 'js');
if (!existsSync(join(HARNESS, 'node_modules', 'miniflare'))) {
  throw new Error('the test harness dependencies are missing: run `bash scripts/setup.sh` first (or `make demo`)');
}

/** require() from tests/js: the harness's CommonJS-loadable packages. */
export const harnessRequire = createRequire(join(HARNESS, 'package.json'));
/** Imports a module of tests/js/lib (chain.mjs, browser.mjs). */
export const harnessLib = (name) => import(pathToFileURL(join(HARNESS, 'lib', name)).href);
