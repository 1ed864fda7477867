// The web demo as `make demo` runs it (www/run.mjs, mode 1), without the setup and build: the React
// page (www/app, built with Vite against the packed tarball) pays the Worker API (x402-wasm/worker in
// workerd) with an injected EIP-1193 wallet, Playwright clicking "Connect wallet" and "Approve
// payment" in Chromium; the payment settles on anvil through the official facilitator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/pkg.mjs';

const SCREENSHOT = join(repoRoot, 'www', 'artifacts', 'demo-screenshot.png');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('the web demo: a React page pays the Worker API by clicking; the payee got the price on anvil', { timeout: 90_000 }, async (t) => {
  const started = Date.now();
  const env = { ...process.env };
  delete env.DEMO_SERVE; // mode 1, whatever the caller's environment says
  const child = spawn(process.execPath, [join(repoRoot, 'www', 'run.mjs')], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });

  assert.equal(code, 0, `the web demo exited with ${code ?? signal}:\n${output}`);
  assert.doesNotMatch(output, /FAIL/);
  // The page showed the price, was clicked through, and rendered the receipt of a real transaction.
  assert.match(output, /^ {2}api {10}unpaid POST: 405 /m);
  assert.match(output, /^ {2}page {3}\| price shown: 0\.01 USDC/m);
  assert.match(output, /^ {2}page {3}\| clicked "Connect wallet": 0x[0-9a-fA-F]{40}$/m);
  assert.match(output, /^ {2}page {3}\| clicked "Approve payment"/m);
  const tx = /^ {2}page {3}\| receipt transaction: (0x[0-9a-f]{64})$/m.exec(output);
  assert.ok(tx, `no receipt transaction in:\n${output}`);
  assert.match(output, new RegExp(`^ {2}transaction {2}${tx[1]}: status success`, 'm'));
  assert.match(output, /^balance check: OK, the payee received exactly 10000 atomic units \(0\.01 USDC\)/m);

  // The screenshot of this run.
  const shot = statSync(SCREENSHOT);
  assert.ok(shot.mtimeMs >= started - 1000, 'the screenshot was written by this run');
  assert.ok(shot.size > 10_000, `screenshot of ${shot.size} bytes`);
  assert.deepEqual(readFileSync(SCREENSHOT).subarray(0, 8), PNG_SIGNATURE, 'the screenshot is a PNG');
});
