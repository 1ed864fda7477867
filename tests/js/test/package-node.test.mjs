// The packed package, installed from its tarball, in Node 20: spec vectors, the
// malformed-input table, and typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installPackage, resolveFromProject, vectors } from '../lib/pkg.mjs';
import { runChecks } from '../lib/checks.mjs';

test('the installed package passes the shared checks in Node', async () => {
  const entry = resolveFromProject();
  assert.match(entry, /node_modules\/x402-wasm\/index\.node\.js$/);
  const x402 = await import(pathToFileURL(entry));
  const { count, failures } = runChecks(x402, vectors('spec_http.json'), vectors('malformed.json'));
  assert.deepEqual(failures, []);
  assert.ok(count > 60, `ran ${count} checks`);
});

test('a user script imports the package by name (exports map, ESM)', () => {
  const project = installPackage();
  writeFileSync(join(project, 'main.mjs'), `
    import { parseAmount, X402Error } from 'x402-wasm';
    try { parseAmount('-1'); } catch (e) { console.log(e instanceof X402Error, e.code); }
    console.log(parseAmount('00115792089237316195423570985008687907853269984665640564039457584007913129639935'));
  `);
  const out = execFileSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8' });
  assert.equal(out, 'true INVALID_AMOUNT\n115792089237316195423570985008687907853269984665640564039457584007913129639935\n');
});
