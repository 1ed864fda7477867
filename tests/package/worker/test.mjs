// Runs the user's Worker (src/index.js) under `wrangler dev` (wrangler bundles it with esbuild and
// its workerd conditions; no nodejs_compat) and checks, against the local x402 v2 server:
//   1. the Worker pays an upstream from its handler (x402-wasm's workerd entry, wallet from env);
//   2. its paymentRequired route answers 402, accepts a payment made by the package in Node,
//      settles through the stand-in facilitator, and refuses the same payment again
//      (duplicate_settlement, Durable Object replay store).
// It first checks `wrangler deploy --dry-run` bundles the workerd entry (the wasm as a module).
// Exits non-zero on failure; stops wrangler (and its workerd) by itself.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as x402 from 'x402-wasm';
import { startServer, check, PAYER_KEY, PAYER } from '../lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** `wrangler dev` on 127.0.0.1:<free port>, in its own process group; resolves once it answers. */
async function startWrangler(vars) {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'x402-wrangler-state-'));
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state, '--log-level', 'warn',
    '--inspector-port', String(await freePort()), '--show-interactive-dev-session=false'];
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  const child = spawn(join(here, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: here,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' },
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const origin = `http://127.0.0.1:${port}`;
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    try { process.kill(-child.pid, 'SIGTERM'); } catch { resolve(); }
    setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000).unref();
  }).finally(() => rmSync(state, { recursive: true, force: true }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
    if (Date.now() > deadline) { await stop(); throw new Error(`wrangler dev did not answer within 60 s:\n${log}`); }
    // Any HTTP answer means workerd serves the Worker (the root is no route: 404).
    if (await fetch(`${origin}/`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { origin, stop, log: () => log };
}

/** `wrangler deploy --dry-run`: the bundle must import the wasm as a module (the workerd entry). */
function dryRunBundle() {
  const out = mkdtempSync(join(tmpdir(), 'x402-wrangler-out-'));
  try {
    try {
      execFileSync(join(here, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', out], {
        cwd: here, stdio: 'pipe', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error', CI: '1', NO_COLOR: '1' },
      });
    } catch (error) {
      throw new Error(`wrangler deploy --dry-run failed:\n${error.stdout}\n${error.stderr}`);
    }
    const files = readdirSync(out);
    const wasm = files.filter((f) => f.endsWith('.wasm'));
    const js = readFileSync(join(out, 'index.js'), 'utf8');
    check(wasm.length === 1, `one wasm module in the bundle: ${files}`);
    check(js.includes(`from "./${wasm[0]}"`), 'the bundle imports the wasm as a module (workerd entry)');
    check(!js.includes('import.meta.url'), 'the bundle does not use the browser entry');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

dryRunBundle();
const api = await startServer(x402);
const worker = await startWrangler({ UPSTREAM_URL: api.url('/paid'), FACILITATOR_URL: api.origin, PAYER_KEY });
try {
  // 1. The Worker pays an upstream from its handler.
  const answer = await fetch(`${worker.origin}/pay-upstream`);
  const text = await answer.text();
  let upstream;
  try {
    upstream = JSON.parse(text);
  } catch {
    throw new Error(`/pay-upstream answered ${answer.status}, not JSON: ${text.slice(0, 400)}`);
  }
  check(upstream.status === 200 && upstream.data?.message === 'paid content', `worker paid upstream: ${JSON.stringify(upstream)}`);
  check(api.settlements.length === 1 && upstream.transaction === api.settlements[0].transaction, 'the Worker got the settled transaction');
  check(api.payments.length === 1 && api.payments[0].verification.payer === PAYER, 'one verified payment from the Worker');

  // 2. Its protected route: 402, then a paid request from Node, then a replay.
  const premium = `${worker.origin}/premium`;
  const challenge = await fetch(premium);
  check(challenge.status === 402 && challenge.headers.get('payment-required'), `unpaid /premium: ${challenge.status}`);
  // What the route does not price is not served unpaid (the handler answers GET /premium only).
  const posted = await fetch(premium, { method: 'POST' });
  check(posted.status === 404 && !(await posted.text()).includes('premium'), `unpaid POST /premium: ${posted.status}`);
  const offered = x402.decodeHeader(challenge.headers.get('payment-required'), 'PaymentRequired');
  check(offered.accepts[0].amount === '10000' && offered.accepts[0].network === 'eip155:84532', `offer ${JSON.stringify(offered.accepts)}`);

  let paymentHeader;
  const recording = (input, init) => {
    const value = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get('payment-signature');
    if (value) paymentHeader = value;
    return fetch(input, init);
  };
  const pay = x402.wrapFetch(recording, { wallets: [x402.evmPrivateKeyWallet(PAYER_KEY)], policy: { maxPerPayment: '0.05' } });
  const paid = await pay(premium);
  check(paid.status === 200 && (await paid.json()).premium === true, `paid /premium: ${paid.status}`);
  const receipt = x402.getPaymentReceipt(paid);
  check(receipt?.success === true && receipt.transaction === api.settlements[1]?.transaction, `receipt ${JSON.stringify(receipt)}`);
  check(api.facilitatorCalls.includes('settle'), 'settled through the facilitator');
  check(typeof paymentHeader === 'string', 'the payment header was seen');

  const replay = await fetch(premium, { headers: { 'PAYMENT-SIGNATURE': paymentHeader } });
  check(replay.status === 402, `replayed payment: ${replay.status}`);
  const replayReceipt = x402.decodePaymentResponse(replay.headers.get('payment-response'));
  check(replayReceipt.errorReason === 'duplicate_settlement', `replay refused with ${replayReceipt.errorReason}`);
  check(api.settlements.length === 2, 'the replay did not settle');
  console.log(`worker: wrangler dev paid ${api.url('/paid')} (tx ${upstream.transaction}), served a paid /premium, refused its replay`);
} catch (error) {
  console.error(worker.log());
  throw error;
} finally {
  await worker.stop();
  await api.close();
}
