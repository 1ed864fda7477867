// Installs the packed x402-wasm tarball (dist/x402-wasm-*.tgz) into a temporary
// project, as a user would, and resolves the package from there.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

let installed;

/** The tarball built by scripts/build.sh, or the one X402_WASM_TARBALL names (to run tests against another build). */
export function tarballPath() {
  if (process.env.X402_WASM_TARBALL) return resolve(process.env.X402_WASM_TARBALL);
  const dist = join(repoRoot, 'dist');
  const tgz = readdirSync(dist).filter((f) => /^x402-wasm-.*\.tgz$/.test(f));
  if (tgz.length !== 1) throw new Error(`expected one tarball in ${dist}, found ${tgz}`);
  return join(dist, tgz[0]);
}

/** A fresh folder under the system's temporary one, removed when the process exits. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Installs the tarball into a fresh project once per process; returns its folder. */
export function installPackage() {
  if (installed) return installed;
  const dir = tempDir('x402-wasm-user-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarballPath()], { cwd: dir, stdio: 'pipe' });
  installed = dir;
  return dir;
}

/** The package folder inside an installed project. */
export function packageDir(project = installPackage()) {
  return join(project, 'node_modules', 'x402-wasm');
}

/** Resolves `x402-wasm` (or a subpath) from the user project, as Node would. */
export function resolveFromProject(specifier = 'x402-wasm', project = installPackage()) {
  return createRequire(join(project, 'index.js')).resolve(specifier);
}

/** Reads a vector file from tests/vectors. */
export function vectors(name) {
  return JSON.parse(readFileSync(join(repoRoot, 'tests', 'vectors', name), 'utf8'));
}
