// Builds the user's Next.js app with `next build` (Turbopack, Next's default; no next.config), serves it
// with `next start`, and checks with plain fetch, against the local x402 v2 server:
//   1. a route handler pays an upstream from the server (x402-wasm's Node entry, bundled by Next);
//      with a cap below the price it answers the typed error code and pays nothing;
//   2. a Server Component page pays the upstream while rendering (another bundling layer: with the wasm
//      read as `new URL('./x402_wasm_bg.wasm', import.meta.url)`, Turbopack built the route handlers
//      but `next build` failed on this page, ERR_INVALID_ARG_TYPE);
//   3. a route handler protected by x402-wasm/worker's paymentRequired answers 402, accepts a payment
//      made by the package in Node, settles through the stand-in facilitator and refuses its replay;
//   4. the build's file traces (what `output: 'standalone'` and hosts copy) hold the package's wasm;
//   5. Edge runtime route handlers (the package's "edge-light" entries): one pays the upstream, one
//      answers 402 with x402-wasm/worker's requirePayment.
// Exits non-zero on failure; stops `next start` by itself.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as x402 from 'x402-wasm';
import { startServer, check, PAYER_KEY, PAYER } from '../lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const next = join(here, 'node_modules', '.bin', 'next');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NO_COLOR: '1' };

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** `next build` from scratch (no .next/ left by an earlier tarball). */
function build() {
  rmSync(join(here, '.next'), { recursive: true, force: true });
  let log;
  try {
    log = execFileSync(next, ['build'], { cwd: here, stdio: 'pipe', env, encoding: 'utf8' });
  } catch (error) {
    throw new Error(`next build failed:\n${error.stdout}\n${error.stderr}`);
  }
  // The default bundler is what most apps get; `next build --webpack` is not run here.
  check(/Next\.js [\d.]+ \(Turbopack\)/.test(log), `next build did not use Turbopack:\n${log}`);
  // Hosts and `output: 'standalone'` copy only the traced files: the wasm the Node entry reads at run
  // time must be among them, at its place in node_modules.
  const wasm = join(here, 'node_modules', 'x402-wasm', 'x402_wasm_bg.wasm');
  for (const entry of ['app/page.js', 'app/api/pay-upstream/route.js', 'app/api/premium/route.js']) {
    const traceFile = join(here, '.next', 'server', `${entry}.nft.json`);
    const { files } = JSON.parse(readFileSync(traceFile, 'utf8'));
    check(files.some((f) => resolve(dirname(traceFile), f) === wasm), `${entry}: the build trace lacks ${wasm}`);
  }
}

/** `next start` on 127.0.0.1:<free port>, in its own process group; resolves once it answers. */
async function startNext(vars) {
  const port = await freePort();
  const child = spawn(next, ['start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: here,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, ...vars },
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const origin = `http://127.0.0.1:${port}`;
  const stop = () => new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    child.once('exit', () => resolveStop());
    try { process.kill(-child.pid, 'SIGTERM'); } catch { resolveStop(); }
    setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000).unref();
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${log}`);
    if (Date.now() > deadline) { await stop(); throw new Error(`next start did not answer within 30 s:\n${log}`); }
    // Any HTTP answer means Next serves (a path no route has: 404; `/` would pay).
    if (await fetch(`${origin}/favicon.ico`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { origin, stop, log: () => log };
}

/** The JSON of a response, or an error showing what came instead (Next's HTML error page...). */
async function json(response, label) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${label} answered ${response.status}, not JSON: ${text.slice(0, 400)}`);
  }
}

build();
const api = await startServer(x402);
const app = await startNext({ UPSTREAM_URL: api.url('/paid'), FACILITATOR_URL: api.origin, PAYER_KEY });
try {
  // 1. A route handler pays the upstream.
  const upstream = await json(await fetch(`${app.origin}/api/pay-upstream`), '/api/pay-upstream');
  check(upstream.status === 200 && upstream.data?.message === 'paid content', `route paid upstream: ${JSON.stringify(upstream)}`);
  check(api.settlements.length === 1 && upstream.transaction === api.settlements[0].transaction, 'the route got the settled transaction');
  check(api.payments.length === 1 && api.payments[0].verification.payer === PAYER, 'one verified payment from the route');
  const capped = await fetch(`${app.origin}/api/pay-upstream?max=0.001`);
  const refused = await json(capped, '/api/pay-upstream?max=0.001');
  check(capped.status === 502 && refused.error === 'PAYMENT_LIMIT_EXCEEDED', `capped route: ${capped.status} ${JSON.stringify(refused)}`);
  check(api.payments.length === 1, 'a refused payment sends nothing');

  // 2. A Server Component pays while rendering.
  const page = await fetch(`${app.origin}/`);
  const html = await page.text();
  const shown = (id) => html.match(new RegExp(`<p id="${id}">([^<]*)</p>`))?.[1];
  check(page.status === 200 && shown('message') === 'paid content', `page: ${page.status} ${html.slice(0, 400)}`);
  check(shown('paid') === '0.01 USDC', `page shows paid ${shown('paid')}`);
  check(api.settlements.length === 2 && shown('transaction') === api.settlements[1].transaction, 'the page shows the settled transaction');
  check(api.payments.length === 2 && api.payments[1].verification.payer === PAYER, 'one verified payment from the page');

  // 3. The protected route: 402, then a paid request from Node, then a replay.
  const premium = `${app.origin}/api/premium`;
  const challenge = await fetch(premium);
  check(challenge.status === 402 && challenge.headers.get('payment-required'), `unpaid /api/premium: ${challenge.status}`);
  const offered = x402.decodeHeader(challenge.headers.get('payment-required'), 'PaymentRequired');
  check(offered.accepts[0].amount === '10000' && offered.accepts[0].network === 'eip155:84532', `offer ${JSON.stringify(offered.accepts)}`);
  check(offered.resource.url === 'https://shop.example/api/premium', `offered resource ${JSON.stringify(offered.resource)}`);

  let paymentHeader;
  const recording = (input, init) => {
    const value = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get('payment-signature');
    if (value) paymentHeader = value;
    return fetch(input, init);
  };
  const pay = x402.wrapFetch(recording, { wallets: [x402.evmPrivateKeyWallet(PAYER_KEY)], policy: { maxPerPayment: '0.05' } });
  const paid = await pay(premium);
  check(paid.status === 200 && (await json(paid, 'paid /api/premium')).premium === true, `paid /api/premium: ${paid.status}`);
  const receipt = x402.getPaymentReceipt(paid);
  check(receipt?.success === true && receipt.transaction === api.settlements[2]?.transaction, `receipt ${JSON.stringify(receipt)}`);
  check(api.facilitatorCalls.includes('settle'), 'settled through the facilitator');
  check(typeof paymentHeader === 'string', 'the payment header was seen');

  const replay = await fetch(premium, { headers: { 'PAYMENT-SIGNATURE': paymentHeader } });
  check(replay.status === 402, `replayed payment: ${replay.status}`);
  const replayReceipt = x402.decodePaymentResponse(replay.headers.get('payment-response'));
  check(replayReceipt.errorReason === 'duplicate_settlement', `replay refused with ${replayReceipt.errorReason}`);
  check(api.settlements.length === 3, 'the replay did not settle');

  // 5. The Edge runtime (the "edge-light" entries): a route pays the upstream, another challenges.
  const edge = await json(await fetch(`${app.origin}/api/edge-pay`), '/api/edge-pay');
  check(edge.status === 200 && edge.data?.message === 'paid content' && edge.parsed === '42', `edge route: ${JSON.stringify(edge)}`);
  check(api.settlements.length === 4 && edge.transaction === api.settlements[3].transaction, 'the edge route got the settled transaction');
  const edgeChallenge = await fetch(`${app.origin}/api/edge-premium`);
  check(edgeChallenge.status === 402, `unpaid /api/edge-premium: ${edgeChallenge.status} ${await edgeChallenge.clone().text()}`);
  const edgeOffer = x402.decodeHeader(edgeChallenge.headers.get('payment-required'), 'PaymentRequired');
  check(edgeOffer.accepts[0].amount === '20000', `edge offer ${JSON.stringify(edgeOffer.accepts)}`);

  // Next logs what a route or page threw with ⨯ even when the answer looked fine.
  check(!app.log().includes('⨯'), 'next start logged an error');
  console.log(`next: next build (Turbopack) + next start: a route and a page paid ${api.url('/paid')}, a paymentRequired route served a paid request and refused its replay; Edge routes paid and challenged`);
} catch (error) {
  console.error(app.log());
  throw error;
} finally {
  await app.stop();
  await api.close();
}
