// `make demo` without the setup and build: runs www/demo-node.mjs (one paid request settled on anvil
// through the official facilitator) as a child process against the built dist/pkg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../lib/pkg.mjs';

test('the demo pays for one request on anvil and checks the balances', { timeout: 50_000 }, async (t) => {
  const child = spawn(process.execPath, [join(repoRoot, 'www', 'demo-node.mjs')], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });

  assert.equal(code, 0, `demo exited with ${code ?? signal}:\n${output}`);
  const tx = /^ {2}client \| transaction: (0x[0-9a-f]{64})$/m.exec(output);
  assert.ok(tx, `no transaction line in:\n${output}`);
  assert.match(output, new RegExp(`^ {2}transaction {2}${tx[1]}: status success`, 'm'));
  assert.match(output, /^balance check: OK, the payee received exactly 10000 atomic units \(0\.01 USDC\)/m);
  assert.match(output, /replay[\s\S]*<- 402 Payment Required, receipt: success false/);
  assert.doesNotMatch(output, /FAIL/);
});
