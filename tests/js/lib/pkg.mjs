// Installs the packed x402-wasm tarball (dist/x402-wasm-*.tgz) into a temporary
// project, as a user would, and resolves the package from there.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * Installs the tarball into a user project (npm install <tarball>) and returns its folder. The test
 * files, run in parallel processes, share one project per checkout and tarball content: installed once into a
 * folder of its own, then renamed into place (atomic: a process sees a whole project or none; a
 * loser of the race drops its copy). Projects of other tarballs left for over an hour are removed.
 */
export function installPackage() {
  if (installed) return installed;
  const tarball = tarballPath();
  // Per checkout too: the project links to this checkout's node_modules (types.test.mjs).
  const digest = createHash('sha256').update(`${repoRoot}\0`).update(readFileSync(tarball)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `${SHARED_PREFIX}${digest}`);
  if (!existsSync(join(dir, 'package.json'))) {
    removeStaleProjects(dir);
    const scratch = mkdtempSync(`${dir}.partial-`);
    try {
      writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: scratch, stdio: 'pipe' });
      renameSync(scratch, dir);
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      if (!existsSync(join(dir, 'package.json'))) throw error;
    }
  }
  // Marks it in use, so that a run of another tarball does not take it for stale.
  utimesSync(dir, new Date(), new Date());
  installed = dir;
  return dir;
}

const SHARED_PREFIX = 'x402-wasm-user-';

function removeStaleProjects(keep) {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!name.startsWith(SHARED_PREFIX) || path === keep) continue;
    try {
      if (statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
    } catch { /* another process removed it */ }
  }
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
