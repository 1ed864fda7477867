// The error codes users branch on are documented where they look: every code the sources can
// throw (the Rust core's Error::code table, coded(...) errors made in the wasm glue, X402Errors
// made by the JS facade) is in index.d.ts's X402ErrorCode union and in the README's error table,
// and neither lists a code nothing throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/pkg.mjs';

const read = (path) => readFileSync(join(repoRoot, path), 'utf8');
const files = (dir, ext) => readdirSync(join(repoRoot, dir), { recursive: true })
  .filter((f) => f.endsWith(ext) && !f.endsWith('.test.mjs'))
  .map((f) => read(join(dir, f)));
const all = (text, pattern) => [...text.matchAll(pattern)].map((m) => m[1]);

const thrown = new Set([
  ...all(read('src/error/mod.rs'), /=> "([A-Z][A-Z0-9_]+)"/g),
  ...files('src', '.rs').flatMap((t) => all(t, /coded\(\s*"([A-Z][A-Z0-9_]+)"/g)),
  ...files('pkg-template', '.js').flatMap((t) => all(t, /X402Error\([^;]*?'([A-Z][A-Z0-9_]+)'/gs)),
  ...files('pkg-template', '.js').flatMap((t) => all(t, /\?\s*'([A-Z][A-Z0-9_]+)'\s*:\s*'[A-Z_]+'/g)),
  ...files('pkg-template', '.js').flatMap((t) => all(t, /\?\s*'[A-Z_]+'\s*:\s*'([A-Z][A-Z0-9_]+)'/g)),
]);
const union = new Set(all(read('pkg-template/index.d.ts').split('export type X402ErrorCode =')[1].split(';')[0], /'([A-Z0-9_]+)'/g));
const table = read('README.md').split('## Error codes')[1].split('\n## ')[0];
const documented = new Set(all(table, /`([A-Z][A-Z0-9_]+)`/g));

test('error codes: the sources throw a known set of codes', () => {
  assert.ok(thrown.size > 40, `only ${thrown.size} codes found: the patterns no longer match the sources`);
  for (const code of ['INVALID_HEADER', 'USED_AFTER_FREE', 'FACILITATOR_TIMEOUT', 'USER_REJECTED']) assert.ok(thrown.has(code), code);
});

test('error codes: each thrown code is in X402ErrorCode and in the README table, and both list only thrown codes', () => {
  assert.deepEqual([...thrown].filter((c) => !union.has(c)).sort(), [], 'missing from index.d.ts');
  assert.deepEqual([...thrown].filter((c) => !documented.has(c)).sort(), [], 'missing from the README');
  assert.deepEqual([...union].filter((c) => !thrown.has(c)).sort(), [], 'in index.d.ts, never thrown');
  assert.deepEqual([...documented].filter((c) => !thrown.has(c)).sort(), [], 'in the README, never thrown');
});
