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
const { PKG, PLAN, VIEM_ACCOUNTS, VIEM, TIMEOUT_MS } = process.env;
const plan = JSON.parse(PLAN);
let downloads = 0;
const requests = [];
// The download's time limit, asked for and shortened to TIMEOUT_MS so that a test can see it act.
const timeouts = [];
setInterval(() => {}, 1000); // Node's timeout signals do not keep a process alive; a page would stay open
const timeout = AbortSignal.timeout;
AbortSignal.timeout = (ms) => {
  timeouts.push(ms);
  return timeout.call(AbortSignal, Number(TIMEOUT_MS));
};
const runtimeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  if (!url.endsWith('.wasm')) return runtimeFetch(input, init);
  const signal = input instanceof Request ? input.signal : init?.signal;
  requests.push({ cache: (input instanceof Request ? input.cache : init?.cache) ?? 'default', signal: signal !== undefined });
  const what = plan[downloads++] ?? 'ok';
  if (what === 'fail') throw new TypeError('Failed to fetch (test: the download is refused)');
  if (what === '404') return new Response('not found', { status: 404 });
  if (what === 'hang') {
    return new Promise((resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
  }
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
async function scenario(name, plan, body, { timeoutMs = 50 } = {}) {
  const file = join(scratch, `${name}.mjs`);
  writeFileSync(file, `${PRELUDE}\n${body}\nprocess.stdout.write(JSON.stringify(result));\nprocess.exit(0);\n`);
  const env = {
    ...process.env,
    PKG: pathToFileURL(packageDir()).href,
    PLAN: JSON.stringify(plan),
    TIMEOUT_MS: String(timeoutMs),
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
    result.requests = requests;
  `);
  assertNotLoaded(r.first);
  assert.equal(r.concurrent.length, 3);
  for (const error of r.concurrent) assertNotLoaded(error, /\S/);
  assert.equal(r.downloadsAfterConcurrent, 3, 'three concurrent ready() calls made one download');
  assertNotLoaded(r.notFound, /\S/);
  assertNotLoaded(r.stillThrows, /\S/);
  assert.equal(r.loaded, '1');
  assert.equal(r.downloads, 5);
  assert.deepEqual(r.requests.map((q) => q.cache), ['default', 'reload', 'reload', 'reload', 'reload'],
    'a retry bypasses the HTTP cache, which may hold the failed answer');
  assert.ok(r.requests.every((q) => q.signal), 'each download has a time limit');
});

test('a download that stalls fails after its time limit (60 s), and does not hold the next attempt', async () => {
  const r = await scenario('stall', ['hang', 'hang', 'ok'], `
    const x402 = await import(PKG + '/index.js');
    result.atImport = thrown(() => x402.parseAmount('1'));
    result.stalled = await rejected(x402.ready());
    result.loaded = await x402.ready().then(() => x402.parseAmount('2'));
    result.timeouts = timeouts;
    result.downloads = downloads;
  `);
  assertNotLoaded(r.atImport, /timed? ?out|TimeoutError|aborted/i);
  assertNotLoaded(r.stalled, /timed? ?out|TimeoutError|aborted/i);
  assert.equal(r.loaded, '2');
  assert.deepEqual(r.timeouts, [60_000, 60_000, 60_000]);
  assert.equal(r.downloads, 3);
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
  `, { timeoutMs: 10_000 });
  assert.equal(r.aborted.message, 'test: given up');
  assert.equal(r.preAborted.name, 'AbortError');
  assert.equal(r.calls, 0);
});

test('paying fetches made before the wasm loads share their budget (shareBudgetWith), whichever is called first', async () => {
  const r = await scenario('share', ['fail', 'ok'], `
    const x402 = await import(PKG + '/index.js');
    const wallets = [x402.viemWallet(account)];
    const policy = { budget: { total: '0.01' } };
    const pairs = () => {
      const first = x402.wrapFetch(paidApi, { wallets, policy });
      return [first, x402.wrapFetch(paidApi, { wallets, policy, shareBudgetWith: first })];
    };
    const [a1, b1] = pairs();
    const [a2, b2] = pairs();
    result.sharerFirst = [(await b1('https://api.test/data')).status, await rejected(a1('https://api.test/data'))];
    result.sharedFirst = [(await a2('https://api.test/data')).status, await rejected(b2('https://api.test/data'))];
    result.paid = api.paid.length;
  `);
  assert.equal(r.sharerFirst[0], 200);
  assert.equal(r.sharerFirst[1].code, 'BUDGET_EXCEEDED');
  assert.equal(r.sharedFirst[0], 200);
  assert.equal(r.sharedFirst[1].code, 'BUDGET_EXCEEDED');
  assert.equal(r.paid, 2);
});

test('sharing the budget of a paying fetch whose options are refused (as X402Provider does after a typo) works: it spent nothing', async () => {
  const r = await scenario('share-refused', ['fail', 'ok'], `
    const x402 = await import(PKG + '/index.js');
    const wallets = [x402.viemWallet(account)];
    const typo = x402.wrapFetch(paidApi, { wallets, policy: { maxPerPayment: 'lots' } });
    result.typo = await rejected(typo('https://api.test/data'));
    const fixed = x402.wrapFetch(paidApi, { wallets, policy: { maxPerPayment: '0.05' }, shareBudgetWith: typo });
    result.fixed = (await fixed('https://api.test/data')).status;
    result.typoAgain = await rejected(typo('https://api.test/data'));
    result.paid = api.paid.length;
  `);
  assert.equal(r.typo.code, 'INVALID_POLICY');
  assert.equal(r.fixed, 200);
  assert.equal(r.typoAgain.code, 'INVALID_POLICY');
  assert.equal(r.paid, 1);
});

test('createPaymentPayload loads the wasm first; a paying fetch with a policy wrapFetch refuses rejects each call', async () => {
  const r = await scenario('payload', ['fail', 'ok'], `
    const x402 = await import(PKG + '/index.js');
    const refused = x402.wrapFetch(paidApi, { wallets: [x402.viemWallet(account)], policy: { maxPerPayment: 'lots' } });
    const options = { wallets: [x402.viemWallet(account)] };
    const takenNow = x402.wrapFetch(paidApi, options);
    options.polcy = { maxPerPayment: 'lots' }; // added after wrapFetch: not its options
    options.wallets = [];
    const payload = await x402.createPaymentPayload(paymentRequired, 0, x402.viemWallet(account), {});
    result.payload = { version: payload.x402Version, from: payload.payload.authorization.from };
    result.downloads = downloads;
    result.refused = [await rejected(refused('https://api.test/data')), await rejected(refused('https://api.test/data'))];
    result.refusedNow = thrown(() => x402.wrapFetch(paidApi, { wallets: [], policy: { maxPerPayment: 'lots' } }));
    result.calls = api.calls;
    result.takenNow = (await takenNow('https://api.test/data')).status;
  `);
  assert.deepEqual(r.payload, { version: 2, from: PAYER });
  assert.equal(r.takenNow, 200, 'the options as they were when wrapFetch was called');
  assert.equal(r.downloads, 2);
  for (const error of [...r.refused, r.refusedNow]) assert.equal(error.code, 'INVALID_POLICY', JSON.stringify(error));
  assert.equal(r.calls, 0);
});

test('x402-wasm/worker in a browser: the middleware made without the wasm and requirePayment download it at a request', async () => {
  const r = await scenario('worker', ['fail', 'fail', 'ok'], `
    const worker = await import(PKG + '/worker/index.js');
    const route = { accepts: [{ network: 'eip155:84532', payTo: ${JSON.stringify(PAY_TO)}, price: '$0.01' }] };
    const facilitator = { url: 'https://facilitator.test' };
    const next = () => new Response('free');
    const middleware = worker.paymentRequired({ routes: { '/data': route }, facilitator });
    const unpayable = worker.paymentRequired({ routes: { '/data': { accepts: [] } }, facilitator });
    result.first = await rejected(middleware(new Request('https://api.test/data'), {}, {}, next));
    const challenged = await middleware(new Request('https://api.test/data'), {}, {}, next);
    result.status = challenged.status;
    result.challenge = JSON.parse(atob(challenged.headers.get('payment-required'))).accepts[0].amount;
    result.free = await (await middleware(new Request('https://api.test/free'), {}, {}, next)).text();
    result.unpayable = await rejected(unpayable(new Request('https://api.test/data'), {}, {}, next));
    result.unpayableNow = thrown(() => worker.paymentRequired({ routes: { '/data': { accepts: [] } }, facilitator }));
    const gate = await worker.requirePayment(new Request('https://api.test/data'), route);
    result.gate = gate.response.status;
    result.downloads = downloads;
  `);
  assertNotLoaded(r.first);
  assert.equal(r.status, 402);
  assert.equal(r.challenge, '10000');
  assert.equal(r.free, 'free');
  assert.equal(r.unpayable.code, 'INVALID_ROUTE_CONFIG', 'checked at the first request instead');
  assert.equal(r.unpayableNow.code, 'INVALID_ROUTE_CONFIG', 'checked when made once the wasm is there');
  assert.equal(r.gate, 402);
  assert.equal(r.downloads, 3);
});

test('x402-wasm/worker in a browser: requirePayment downloads the wasm again itself', async () => {
  const r = await scenario('gate', ['fail', 'ok'], `
    const worker = await import(PKG + '/worker/index.js');
    const route = { accepts: [{ network: 'eip155:84532', payTo: ${JSON.stringify(PAY_TO)}, price: '$0.02' }] };
    const gate = await worker.requirePayment(new Request('https://api.test/data'), route);
    result.status = gate.response.status;
    result.challenge = JSON.parse(atob(gate.response.headers.get('payment-required'))).accepts[0].amount;
    result.downloads = downloads;
  `);
  assert.equal(r.status, 402);
  assert.equal(r.challenge, '20000');
  assert.equal(r.downloads, 2);
});
