// The packed package in workerd (Miniflare): the workerd entry imports its wasm as a
// compiled module, module startup does no I/O or randomness, and the shared checks pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageDir, tempDir, vectors } from '../lib/pkg.mjs';
import { startWorker } from '../lib/workerd.mjs';

const lib = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib');

test('the installed package passes the shared checks in workerd', async (t) => {
  const root = tempDir('x402-worker-');
  cpSync(packageDir(), join(root, 'x402-wasm'), { recursive: true });
  cpSync(join(lib, 'checks.mjs'), join(root, 'checks.mjs'));
  writeFileSync(join(root, 'spec.json.mjs'), `export default ${JSON.stringify(vectors('spec_http.json'))};`);
  writeFileSync(join(root, 'malformed.json.mjs'), `export default ${JSON.stringify(vectors('malformed.json'))};`);
  writeFileSync(join(root, 'worker.mjs'), `
    import * as x402 from './x402-wasm/index.workerd.js';
    import { runChecks } from './checks.mjs';
    import spec from './spec.json.mjs';
    import malformed from './malformed.json.mjs';
    export default {
      async fetch() {
        return Response.json(runChecks(x402, spec, malformed));
      },
    };
  `);
  const mf = await startWorker({ scriptPath: join(root, 'worker.mjs'), modulesRoot: root });
  t.after(() => mf.dispose());
  const response = await mf.dispatchFetch('http://127.0.0.1/');
  const result = await response.json();
  assert.deepEqual(result.failures, []);
  assert.ok(result.count > 60);
});
