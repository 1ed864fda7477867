// The published TypeScript types, compiled by tsc (strict) in a project that installed the tarball:
// types/valid.ts (the README's quickstarts in TypeScript and the adapter shapes the runtime accepts)
// and types/viem.ts (viem accounts and clients as wallets) must compile, and every `@ts-expect-error`
// line of types/invalid.ts (mistakes the runtime refuses) must be an error, of the code its directive
// names (a bare directive would also pass for an unrelated error on its line). Under both module
// resolutions users run: NodeNext (Node) and Bundler (Vite, Next.js, esbuild). Our own declarations
// are checked too (no skipLibCheck) where viem is not imported: viem's take seconds to check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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

test('each mistake in types/invalid.ts fails for its own reason: the error code its directive names', () => {
  const dir = typesProject();
  const lines = readFileSync(join(dir, 'invalid.ts'), 'utf8').split('\n');
  const expected = [];
  // The directives blanked (line numbers kept), so tsc reports what each one covered.
  const bare = lines.map((line, i) => {
    const directive = /^\s*\/\/ @ts-expect-error (TS\d+)\b/.exec(line);
    if (!directive) return line;
    expected.push(`line ${i + 2} ${directive[1]}`);
    return '//';
  });
  const directives = lines.filter((line) => /^\s*\/\/ @ts-expect-error\b/.test(line)).length;
  assert.ok(expected.length >= 6 && expected.length === directives, `every directive names its code (${expected.length} of ${directives})`);
  writeFileSync(join(dir, 'invalid-bare.ts'), bare.join('\n'));
  const result = tsc(dir, 'bare', ['invalid-bare.ts'], { ...NODENEXT, pretty: false });
  assert.equal(result.ok, false, 'the mistakes compile without their directives');
  const errors = result.output.split('\n').filter((line) => /error TS\d+/.test(line));
  const found = errors.map((line) => {
    const at = /^invalid-bare\.ts\((\d+),\d+\): error (TS\d+):/.exec(line);
    assert.ok(at, `an error outside the mistakes: ${line}`);
    return `line ${at[1]} ${at[2]}`;
  });
  assert.deepEqual([...new Set(found)].sort(), expected.sort(), result.output);
});
