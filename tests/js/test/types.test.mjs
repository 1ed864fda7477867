// The published TypeScript types, compiled by tsc (strict) in a project that installed the tarball:
// types/valid.ts (the README's quickstarts in TypeScript and the adapter shapes the runtime accepts)
// and types/viem.ts (viem accounts and clients as wallets) must compile, and every `@ts-expect-error`
// line of types/invalid.ts (mistakes the runtime refuses) must be an error. Under both module
// resolutions users run: NodeNext (Node) and Bundler (Vite, Next.js, esbuild). Our own declarations
// are checked too (no skipLibCheck) where viem is not imported: viem's take seconds to check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPackage } from '../lib/pkg.mjs';

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const COMPILER_OPTIONS = {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  target: 'ES2022',
  lib: ['ES2022', 'DOM', 'DOM.Iterable'],
  types: [],
};

/** A folder inside the user project holding the type sources, with viem visible to them. */
function typesProject() {
  const project = installPackage();
  const dir = join(project, 'types');
  mkdirSync(dir, { recursive: true });
  for (const file of ['valid.ts', 'invalid.ts', 'viem.ts']) copyFileSync(join(HERE, '..', 'types', file), join(dir, file));
  // The types' own imports of viem resolve from the project's node_modules, as in a user's app.
  const viem = join(project, 'node_modules', 'viem');
  try { symlinkSync(dirname(require.resolve('viem/package.json')), viem, 'dir'); } catch (e) { if (e.code !== 'EEXIST') throw e; }
  return dir;
}

/** Runs tsc on `files` with `options`; resolves to its output, or throws with it when it fails. */
function tsc(dir, name, files, options) {
  const config = join(dir, `tsconfig.${name}.json`);
  writeFileSync(config, JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, ...options }, files }));
  try {
    return { ok: true, output: execFileSync(process.execPath, [TSC, '-p', config], { cwd: dir, encoding: 'utf8' }) };
  } catch (e) {
    return { ok: false, output: `${e.stdout}${e.stderr}` };
  }
}

const NODENEXT = { module: 'NodeNext', moduleResolution: 'NodeNext' };
const BUNDLER = { module: 'ESNext', moduleResolution: 'Bundler' };

test('the types compile the quickstarts and refuse the mistakes, declarations checked (NodeNext resolution)', () => {
  const result = tsc(typesProject(), 'nodenext', ['valid.ts', 'invalid.ts'], NODENEXT);
  assert.ok(result.ok, `tsc (NodeNext):\n${result.output}`);
});

test('the same with viem accounts and clients as wallets (Bundler resolution)', () => {
  const result = tsc(typesProject(), 'bundler', ['valid.ts', 'invalid.ts', 'viem.ts'], { ...BUNDLER, skipLibCheck: true });
  assert.ok(result.ok, `tsc (Bundler):\n${result.output}`);
});
