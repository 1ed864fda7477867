// The browser entries when the .wasm download fails (a network blip, a CDN error). The installed
// package's browser entry (index.js, worker/index.js) is imported in a child Node process whose
// fetch serves the package's .wasm from disk, or fails as each scenario's plan says: the import must
// still succeed (an ES module that failed to evaluate stays failed for the page's life), calls must
// fail with WASM_LOAD_FAILED rather than a TypeError from inside the glue, and the package must load
// the wasm again when asked (ready()) or when an asynchronous call needs it. Chromium runs the same
// recovery with a real payment in runtime-chromium.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { privateKeyToAccount } from 'viem/accounts';
import { packageDir, tempDir } from '../lib/pkg.mjs';

const run = promisify(execFile);
const scratch = tempDir('x402-wasm-load-');
const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const PAY_TO = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const PAYER = privateKeyToAccount(KEY).address;
const USDC_BASE_SEPOLIA = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';

// What every scenario starts with: the runtime's fetch, except for .wasm files, which follow PLAN
// ('fail': a network error; '404': a not-found answer; 'hang': never answers; 'ok' and anything after
// the plan: the file); a paid API as a fetch function (402 with a v2 challenge, 200 once a
// PAYMENT-SIGNATURE comes); and helpers to report what a call threw.
const PRELUDE = `
import { readFileSync } from 'node:fs';
const { PKG, PLAN, VIEM_ACCOUNTS, VIEM } = process.env;
const plan = JSON.parse(PLAN);
let downloads = 0;
const runtimeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  if (!url.endsWith('.wasm')) return runtimeFetch(input, init);
  const what = plan[downloads++] ?? 'ok';
  if (what === 'fail') throw new TypeError('Failed to fetch (test: the download is refused)');
  if (what === '404') return new Response('not found', { status: 404 });
  if (what === 'hang') return new Promise(() => {});
  return new Response(readFileSync(new URL(url)), { headers: { 'content-type': 'application/wasm' } });
};
const { privateKeyToAccount } = await import(VIEM_ACCOUNTS);
const viem = await import(VIEM);
const account = privateKeyToAccount(${JSON.stringify(KEY)});
const requirement = {
  scheme: 'exact', network: 'eip155:84532', amount: '10000', asset: ${JSON.stringify(USDC_BASE_SEPOLIA)},
  payTo: ${JSON.stringify(PAY_TO)}, maxTimeoutSeconds: 60, extra: { name: 'USDC', version: '2' },
};
const paymentRequired = { x402Version: 2, resource: { url: 'https://api.test/data' }, accepts: [requirement] };
const api = { calls: 0, paid: [] };
async function paidApi(request) {
  api.calls++;
  const header = request.headers.get('payment-signature');
  if (!header) {
    return new Response('{}', { status: 402, headers: { 'PAYMENT-REQUIRED': btoa(JSON.stringify(paymentRequired)) } });
  }
  const payload = JSON.parse(atob(header));
  const { authorization, signature } = payload.payload;
  const valid = await viem.verifyTypedData({
    address: account.address,
    domain: { name: 'USDC', version: '2', chainId: 84532, verifyingContract: requirement.asset },
    types: { TransferWithAuthorization: [
      { name: 'from', type: 'address' }, { name: 'to', type: 'address' }, { name: 'value', type: 'uint256' },
      { name: 'validAfter', type: 'uint256' }, { name: 'validBefore', type: 'uint256' }, { name: 'nonce', type: 'bytes32' },
    ] },
    primaryType: 'TransferWithAuthorization',
    message: authorization,
    signature,
  });
  api.paid.push({ valid, to: authorization.to, value: authorization.value });
  return new Response('paid content', { status: 200 });
}
function thrown(fn) {
  try {
    fn();
    return 'returned';
  } catch (error) {
    return describe(error);
  }
}
async function rejected(promise) {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return describe(error);
  }
}
const describe = (error) => ({ name: error?.name, code: error?.code, message: error?.message, cause: error?.cause?.message });
const result = {};
`;

/** Runs `body` after PRELUDE in a child process with the .wasm download plan; returns its `result`. */
async function scenario(name, plan, body) {
  const file = join(scratch, `${name}.mjs`);
  writeFileSync(file, `${PRELUDE}\n${body}\nprocess.stdout.write(JSON.stringify(result));\nprocess.exit(0);\n`);
  const env = {
    ...process.env,
    PKG: pathToFileURL(packageDir()).href,
    PLAN: JSON.stringify(plan),
    VIEM_ACCOUNTS: import.meta.resolve('viem/accounts'),
    VIEM: import.meta.resolve('viem'),
  };
  const { stdout } = await run(process.execPath, [file], { env, timeout: 30_000 });
  return JSON.parse(stdout);
}

/** The error a call makes while the wasm is not loaded, after a refused download. */
function assertNotLoaded(error, cause = /Failed to fetch \(test/) {
  assert.equal(error.name, 'X402Error', JSON.stringify(error));
  assert.equal(error.code, 'WASM_LOAD_FAILED');
  assert.match(error.message, /ready\(\)/);
  assert.match(error.cause ?? '', cause);
}

test('a failed .wasm download leaves the import working; calls throw WASM_LOAD_FAILED until ready() loads it again', async () => {
  const r = await scenario('import', ['fail'], `
    const x402 = await import(PKG + '/index.js');
    result.downloadsAtImport = downloads;
    result.parseAmount = thrown(() => x402.parseAmount('7'));
    result.evmPrivateKeyWallet = thrown(() => x402.evmPrivateKeyWallet(${JSON.stringify(KEY)}));
    result.decodeHeader = thrown(() => x402.decodeHeader('e30=', 'PaymentRequired'));
    result.isX402Error = (() => { try { x402.toCaip2('base'); } catch (e) { return e instanceof x402.X402Error; } })();
    result.ready = await x402.ready();
    result.downloadsAfterReady = downloads;
    result.parsed = x402.parseAmount('007');
    result.address = x402.evmPrivateKeyWallet(${JSON.stringify(KEY)}).address;
    await x402.ready();
    result.downloadsAtEnd = downloads;
  `);
  assert.equal(r.downloadsAtImport, 1);
  for (const call of ['parseAmount', 'evmPrivateKeyWallet', 'decodeHeader']) assertNotLoaded(r[call]);
  assert.equal(r.isX402Error, true);
  assert.equal(r.ready, undefined);
  assert.equal(r.downloadsAfterReady, 2, 'ready() downloads the wasm again');
  assert.equal(r.parsed, '7');
  assert.equal(r.address, PAYER);
  assert.equal(r.downloadsAtEnd, 2, 'once loaded, ready() downloads nothing');
});

test('ready() rejects with WASM_LOAD_FAILED while downloads fail; concurrent calls share one download', async () => {
  const r = await scenario('ready', ['fail', 'fail', '404', '404', 'ok'], `
    const x402 = await import(PKG + '/index.js');
    result.first = await rejected(x402.ready());
    result.concurrent = await Promise.allSettled([x402.ready(), x402.ready(), x402.ready()])
      .then((all) => all.map((s) => s.status === 'rejected' ? describe(s.reason) : 'resolved'));
    result.downloadsAfterConcurrent = downloads;
    result.notFound = await rejected(x402.ready());
    result.stillThrows = thrown(() => x402.parseAmount('1'));
    result.loaded = await Promise.all([x402.ready(), x402.ready()]).then(() => x402.parseAmount('1'));
    result.downloads = downloads;
  `);
  assertNotLoaded(r.first);
  assert.equal(r.concurrent.length, 3);
  for (const error of r.concurrent) assertNotLoaded(error, /\S/);
  assert.equal(r.downloadsAfterConcurrent, 3, 'three concurrent ready() calls made one download');
  assertNotLoaded(r.notFound, /\S/);
  assertNotLoaded(r.stillThrows, /\S/);
  assert.equal(r.loaded, '1');
  assert.equal(r.downloads, 5);
});

test('a paying fetch made while the wasm is missing loads it at its call, then pays (nothing is sent before)', async () => {
  const r = await scenario('pay', ['fail', 'fail', 'ok'], `
    const x402 = await import(PKG + '/index.js');
    const pay = x402.wrapFetch(paidApi, { wallets: [x402.viemWallet(account)] });
    result.first = await rejected(pay('https://api.test/data'));
    result.callsAfterFirst = api.calls;
    const response = await pay('https://api.test/data');
    result.status = response.status;
    result.body = await response.text();
    result.paid = api.paid;
    result.calls = api.calls;
    result.downloads = downloads;
    result.again = (await pay('https://api.test/data')).status;
    result.downloadsAtEnd = downloads;
  `);
  assertNotLoaded(r.first);
  assert.equal(r.callsAfterFirst, 0, 'no request went out without the wasm');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'paid content');
  assert.deepEqual(r.paid[0], { valid: true, to: PAY_TO, value: '10000' });
  assert.equal(r.calls, 2, 'one unpaid request, one paid retry');
  assert.equal(r.downloads, 3);
  assert.equal(r.again, 200);
  assert.equal(r.downloadsAtEnd, 3);
});

test('a paying fetch waiting for the wasm honours its abort signal', async () => {
  const r = await scenario('abort', ['fail', 'hang'], `
    const x402 = await import(PKG + '/index.js');
    const pay = x402.wrapFetch(paidApi, { wallets: [x402.viemWallet(account)] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('test: given up')), 100);
    result.aborted = await rejected(pay('https://api.test/data', { signal: controller.signal }));
    result.preAborted = await rejected(pay(new Request('https://api.test/data', { signal: AbortSignal.abort() })));
    result.calls = api.calls;
  `);
  assert.equal(r.aborted.message, 'test: given up');
  assert.equal(r.preAborted.name, 'AbortError');
  assert.equal(r.calls, 0);
});

test('paying fetches made before the wasm loads share their budget (shareBudgetWith), whichever is called first', async () => {
  const r = await scenario('share', ['fail', 'ok'], `
    const x402 = await import(PKG + '/index.js');
    const wallets = [x402.viemWallet(account)];
    const first = x402.wrapFetch(paidApi, { wallets, policy: { budget: { total: '0.01' } } });
    const second = x402.wrapFetch(paidApi, { wallets, policy: { budget: { total: '0.01' } }, shareBudgetWith: first });
    result.second = (await second('https://api.test/data')).status;
    result.first = await rejected(first('https://api.test/data'));
    result.paid = api.paid.length;
  `);
  assert.equal(r.second, 200);
  assert.equal(r.first.code, 'BUDGET_EXCEEDED');
  assert.equal(r.paid, 1);
});

test('createPaymentPayload loads the wasm first; a paying fetch with a policy wrapFetch refuses rejects each call', async () => {
  const r = await scenario('payload', ['fail', 'ok'], `
    const x402 = await import(PKG + '/index.js');
    const refused = x402.wrapFetch(paidApi, { wallets: [x402.viemWallet(account)], policy: { maxPerPayment: 'lots' } });
    const payload = await x402.createPaymentPayload(paymentRequired, 0, x402.viemWallet(account), {});
    result.payload = { version: payload.x402Version, from: payload.payload.authorization.from };
    result.downloads = downloads;
    result.refused = [await rejected(refused('https://api.test/data')), await rejected(refused('https://api.test/data'))];
    result.refusedNow = thrown(() => x402.wrapFetch(paidApi, { wallets: [], policy: { maxPerPayment: 'lots' } }));
    result.calls = api.calls;
  `);
  assert.deepEqual(r.payload, { version: 2, from: PAYER });
  assert.equal(r.downloads, 2);
  for (const error of [...r.refused, r.refusedNow]) assert.equal(error.code, 'INVALID_POLICY', JSON.stringify(error));
  assert.equal(r.calls, 0);
});

test('x402-wasm/worker in a browser: paymentRequired throws WASM_LOAD_FAILED, requirePayment loads the wasm and challenges', async () => {
  const r = await scenario('worker', ['fail', 'ok'], `
    const worker = await import(PKG + '/worker/index.js');
    const route = { accepts: [{ network: 'eip155:84532', payTo: ${JSON.stringify(PAY_TO)}, price: '$0.01' }] };
    result.middleware = thrown(() => worker.paymentRequired({ routes: { '/data': route }, facilitator: { url: 'https://facilitator.test' } }));
    const gate = await worker.requirePayment(new Request('https://api.test/data'), route);
    result.status = gate.response.status;
    result.challenge = JSON.parse(atob(gate.response.headers.get('payment-required'))).accepts[0].amount;
    result.downloads = downloads;
    result.middlewareNow = typeof worker.paymentRequired({ routes: { '/data': route }, facilitator: { url: 'https://facilitator.test' } });
  `);
  assertNotLoaded(r.middleware);
  assert.equal(r.status, 402);
  assert.equal(r.challenge, '10000');
  assert.equal(r.downloads, 2);
  assert.equal(r.middlewareNow, 'function');
});
