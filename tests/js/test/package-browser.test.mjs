// The packed package in headless Chromium: the browser entry fetches its wasm and
// passes the shared checks; errors are X402Error instances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageDir, vectors } from '../lib/pkg.mjs';
import { launchChromium, serveStatic } from '../lib/browser.mjs';

const lib = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib');

test('the installed package passes the shared checks in Chromium', async (t) => {
  const spec = vectors('spec_http.json');
  const malformed = vectors('malformed.json');
  const server = await serveStatic({ '/pkg/': packageDir(), '/lib/': lib }, {
    'GET /': (req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>x402</title>'),
  });
  t.after(() => server.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.origin}/`);
  const result = await page.evaluate(async ({ spec, malformed }) => {
    const x402 = await import('/pkg/index.js');
    const { runChecks } = await import('/lib/checks.mjs');
    return runChecks(x402, spec, malformed);
  }, { spec, malformed });
  assert.deepEqual(result.failures, []);
  assert.ok(result.count > 60);
  assert.deepEqual(errors, []);
});
