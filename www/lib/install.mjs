// Gets the page ready: its npm dependencies (www/app/package-lock.json), x402-wasm from the built
// tarball (dist/x402-wasm-*.tgz, as a user installs a package), and the Vite build (www/app/dist).
//
// x402-wasm is not in www/app's package.json: the lock would pin the tarball's integrity, which
// changes at every rebuild (npm ci then fails on a fresh machine, or installs the old copy from its
// cache on this one). Each step is skipped when its input did not change since the last run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WWW = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(WWW, '..');
export const APP = join(WWW, 'app');

const sha256 = (buffer) => createHash('sha256').update(buffer).digest('hex').slice(0, 16);
const npm = (args, cwd) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });

/** The package tarball built by scripts/build.sh. */
export function tarballPath() {
  const dist = join(ROOT, 'dist');
  const found = existsSync(dist) ? readdirSync(dist).filter((f) => /^x402-wasm-.*\.tgz$/.test(f)) : [];
  if (found.length !== 1) throw new Error(`expected one dist/x402-wasm-*.tgz, found ${found.length ? found.join(', ') : 'none'}: run \`bash scripts/build.sh\` (or \`make demo\`)`);
  return join(dist, found[0]);
}

/** Installs what the page needs and builds it; returns { dist, packageDir, steps }. */
export function preparePage({ log = () => {} } = {}) {
  const steps = [];
  const tarball = tarballPath();

  // 1. The locked dependencies (React, Vite), installed again only when the lock changes.
  const lockStamp = join(APP, 'node_modules', `.www-lock-${sha256(readFileSync(join(APP, 'package-lock.json')))}`);
  if (!existsSync(lockStamp)) {
    log('npm ci in www/app');
    npm(['ci'], APP);
    writeFileSync(lockStamp, '');
    steps.push('npm ci');
  }

  // 2. x402-wasm from the tarball, installed again when the tarball changes (the stamp lives in the
  //    installed package, so an npm ci that removes the package removes the stamp too).
  const packageDir = join(APP, 'node_modules', 'x402-wasm');
  const tarStamp = join(packageDir, `.www-tarball-${sha256(readFileSync(tarball))}`);
  if (!existsSync(tarStamp)) {
    log(`npm install ${tarball.slice(ROOT.length + 1)} in www/app`);
    npm(['install', '--no-save', tarball], APP);
    writeFileSync(tarStamp, '');
    steps.push('install tarball');
  }

  // 3. The production build (about a second): always, so the page matches its sources.
  log('vite build in www/app');
  execFileSync(process.execPath, [join(APP, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: APP, stdio: ['ignore', 'pipe', 'inherit'],
  });
  steps.push('vite build');
  return { dist: join(APP, 'dist'), packageDir, steps };
}
