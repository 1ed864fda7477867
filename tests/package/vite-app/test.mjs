// Drives the Vite app in headless Debian Chromium, twice: the `vite build` output (dist/, default
// config, no plugin) on a plain static server, then the `vite` dev server. Each time the page loads
// x402-wasm's wasm by itself, creates a wallet right after the import, then pays the local x402 v2
// server (another origin, CORS) on a click and shows the resource and the receipt's transaction.
// Run after `vite build`; exits non-zero on failure.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import * as x402 from 'x402-wasm';
import { startServer, check, PAYER_KEY, PAYER } from '../lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/** A plain static file server for dist/ (what any host would do: no Vite at run time). */
async function serveDist() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    const file = normalize(join(dist, path === '/' ? 'index.html' : decodeURIComponent(path)));
    try {
      if (!file.startsWith(dist) || !(await stat(file)).isFile()) throw new Error('no file');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Starts `vite` (the dev server, default config) on a free port; resolves once it answers. */
async function startViteDev() {
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => { const { port: p } = probe.address(); probe.close(() => resolve(p)); });
  });
  const child = spawn(join(here, 'node_modules', '.bin', 'vite'), ['--host', '127.0.0.1', '--port', String(port), '--strictPort', '--clearScreen', 'false'], {
    cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BROWSER: 'none' },
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vite dev exited: ${log}`);
    if (Date.now() > deadline) { child.kill(); throw new Error(`vite dev did not start: ${log}`); }
    const ok = await fetch(origin).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin,
    close: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** Opens the app at `siteOrigin`, pays on a click, and checks what the page shows. */
async function payFromPage(browser, siteOrigin, wasmPrefix, label) {
  const api = await startServer(x402, { allowOrigin: siteOrigin });
  const page = await browser.newPage();
  try {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
    // Chromium logs every non-2xx response as a console error: the expected 402 and the favicon
    // 404 are checked through responses instead.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.status() >= 400 && !(r.status() === 402 && path === '/paid') && path !== '/favicon.ico') problems.push(`${r.status()} ${r.url()}`);
    });
    const wasmRequests = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) wasmRequests.push(r.url()); });

    const query = new URLSearchParams({ api: api.url('/paid'), key: PAYER_KEY });
    await page.goto(`${siteOrigin}/?${query}`);
    await page.waitForFunction(() => document.querySelector('#result').textContent.startsWith('ready'), null, { timeout: 30_000 })
      .catch((error) => { throw new Error(`${label}: the page never got ready (${error.message}): ${problems.join('\n')}`); });
    check((await page.textContent('#result')) === `ready: ${PAYER}`, `${label}: the wallet was created right after import`);
    check(wasmRequests.length === 1 && wasmRequests[0].startsWith(`${siteOrigin}${wasmPrefix}`), `${label}: one wasm fetch under ${wasmPrefix}: ${wasmRequests}`);

    await page.click('#pay');
    await page.waitForSelector('#result[data-done="true"]', { timeout: 20_000 })
      .catch((error) => { throw new Error(`${label}: the payment never finished (${error.message}): ${problems.join('\n')}`); });
    const shown = JSON.parse(await page.textContent('#result'));
    check(shown.status === 200 && shown.data?.message === 'paid content', `${label}: page shows ${JSON.stringify(shown)}`);
    check(api.settlements.length === 1 && shown.transaction === api.settlements[0].transaction, `${label}: the page shows the settled transaction`);
    check(api.payments.length === 1 && api.payments[0].verification.payer === PAYER, `${label}: one verified payment`);
    check(problems.length === 0, `${label}: ${problems.join('\n')}`);
    console.log(`vite: ${label} app paid ${api.url('/paid')} in Chromium, tx ${shown.transaction}`);
  } finally {
    await page.close();
    await api.close();
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // `vite build` output on a plain static server: the wasm is an emitted asset.
  const site = await serveDist();
  try {
    await payFromPage(browser, site.origin, '/assets/', 'built');
  } finally {
    await site.close();
  }
  // `vite` (dev server; dependencies pre-bundled): the wasm is served from node_modules.
  const dev = await startViteDev();
  try {
    await payFromPage(browser, dev.origin, '/node_modules/x402-wasm/', 'dev-server');
  } finally {
    await dev.close();
  }
} finally {
  await browser.close();
}
