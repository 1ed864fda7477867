// The packed package in workerd (Miniflare), paying for real: a Worker whose fetch handler calls a
// paid x402 v2 upstream (a node:http API on 127.0.0.1 that settles with the official facilitator on
// anvil) through wrapFetch with a private-key wallet held in wasm, created inside the handler
// (Workers forbid randomness at global scope). The Worker returns the upstream data and the receipt;
// the payee's balance is read from the chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { packageDir } from '../lib/pkg.mjs';
import { Miniflare } from 'miniflare';
import { startWorker } from '../lib/workerd.mjs';
import {
  anvilAccount, balanceOf, deployTestUSDC, installMulticall3, mint, startAnvil, startOfficialFacilitator,
} from '../lib/chain.mjs';
import { exactRequirement, startPaidApi } from '../lib/runtime-paid-api.mjs';

const NETWORK = 'eip155:31337';
const PRICE = 40_000n; // 0.04 USDC

// Counts calls to the sources of randomness and time while the modules after it are evaluated.
// ES modules evaluate in import order: probe-start, then the package, then probe-end.
const PROBE_START = `
  const counts = { getRandomValues: 0, randomUUID: 0, mathRandom: 0, dateNow: 0 };
  const originals = {
    getRandomValues: crypto.getRandomValues, randomUUID: crypto.randomUUID, random: Math.random, now: Date.now,
  };
  crypto.getRandomValues = function (array) { counts.getRandomValues += 1; return originals.getRandomValues.call(crypto, array); };
  crypto.randomUUID = function () { counts.randomUUID += 1; return originals.randomUUID.call(crypto); };
  Math.random = function () { counts.mathRandom += 1; return originals.random.call(Math); };
  Date.now = function () { counts.dateNow += 1; return originals.now.call(Date); };
  export const startupProbe = { counts, installed: crypto.getRandomValues !== originals.getRandomValues, originals };
`;
const PROBE_END = `
  import { startupProbe } from './probe-start.mjs';
  const { counts, originals } = startupProbe;
  export const atStartup = { ...counts, probeInstalled: startupProbe.installed };
  crypto.getRandomValues = originals.getRandomValues;
  crypto.randomUUID = originals.randomUUID;
  Math.random = originals.random;
  Date.now = originals.now;
`;

const WORKER = `
  import './probe-start.mjs';
  import { wrapFetch, evmPrivateKeyWallet, getPaymentReceipt } from './x402-wasm/index.workerd.js';
  import { atStartup } from './probe-end.mjs';

  export default {
    async fetch(request, env) {
      const url = new URL(request.url);
      if (url.pathname === '/startup') return Response.json(atStartup);
      // Everything that may need randomness (the wallet, nonces) is created per request.
      const events = [];
      const policy = {
        assets: [{ network: env.NETWORK, asset: env.TOKEN, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }],
      };
      const wallet = evmPrivateKeyWallet(env.PAYER_KEY);
      try {
        const paidFetch = wrapFetch(fetch, { wallets: [wallet], policy, onEvent: (e) => events.push(e.type) });
        const upstream = await paidFetch(env.UPSTREAM_URL, { headers: { accept: 'application/json' } });
        const text = await upstream.text();
        let data;
        try { data = JSON.parse(text); } catch { data = text; }
        return Response.json({ status: upstream.status, data, receipt: getPaymentReceipt(upstream) ?? null, events, payer: wallet.address });
      } catch (error) {
        return Response.json({ error: String(error?.code ?? error?.name) + ': ' + error?.message, events }, { status: 500 });
      } finally {
        wallet.free?.();
      }
    },
  };
`;

/** A temp folder with the installed package, the probes and the Worker; removed at the end. */
function workerRoot(t, source) {
  const root = mkdtempSync(join(tmpdir(), 'x402-runtime-worker-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(packageDir(), join(root, 'x402-wasm'), { recursive: true });
  writeFileSync(join(root, 'probe-start.mjs'), PROBE_START);
  writeFileSync(join(root, 'probe-end.mjs'), PROBE_END);
  writeFileSync(join(root, 'worker.mjs'), source);
  return root;
}

test('a Worker pays a loopback x402 upstream with wrapFetch; settled on anvil', { timeout: 60_000 }, async (t) => {
  const anvil = await startAnvil({ chainId: 31337 });
  t.after(() => anvil.stop());
  const token = await deployTestUSDC(anvil);
  await installMulticall3(anvil);
  const facilitator = await startOfficialFacilitator({ ...anvil, network: NETWORK });
  const payerKey = generatePrivateKey();
  const payer = privateKeyToAccount(payerKey);
  await mint(token, payer.address, 1_000_000n);
  const payTo = anvilAccount(4).address;

  const data = { forecast: 'sunny', source: 'paid upstream' };
  const requirement = exactRequirement({ token: token.address, payTo, amount: PRICE });
  const api = await startPaidApi({ facilitator, requirement, data });
  t.after(() => api.close());

  const root = workerRoot(t, WORKER);
  const mf = await startWorker({
    scriptPath: join(root, 'worker.mjs'),
    modulesRoot: root,
    bindings: { PAYER_KEY: payerKey, UPSTREAM_URL: api.url, TOKEN: token.address, NETWORK },
  });
  t.after(() => mf.dispose());

  // Module startup touched no randomness or clock (the probe really was in place).
  const startup = await (await mf.dispatchFetch('http://worker.test/startup')).json();
  assert.equal(startup.probeInstalled, true);
  assert.deepEqual(startup, { getRandomValues: 0, randomUUID: 0, mathRandom: 0, dateNow: 0, probeInstalled: true });

  const payeeBefore = await balanceOf(token, payTo);
  const payerBefore = await balanceOf(token, payer.address);
  const response = await mf.dispatchFetch('http://worker.test/');
  const result = await response.json();
  const seen = api.requests.map(({ method, status, outcome, reason }) => ({ method, status, outcome, reason }));
  assert.equal(result.error, undefined, `the Worker failed: ${result.error}\nupstream saw: ${JSON.stringify(seen)}`);
  assert.equal(response.status, 200);
  assert.equal(result.status, 200, JSON.stringify(result));
  assert.deepEqual(result.data, data);
  assert.equal(result.payer, payer.address);
  assert.equal(result.receipt?.success, true, JSON.stringify(result.receipt));
  assert.equal(result.receipt.network, NETWORK);
  assert.equal(result.receipt.payer?.toLowerCase(), payer.address.toLowerCase());
  assert.equal(result.receipt.transaction, api.settlements[0]?.transaction);
  // The events that must happen, in order (others, like 'approved', may come in between).
  const order = ['payment_required', 'signed', 'settled'].map((type) => result.events.indexOf(type));
  assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), result.events.join());
  assert.ok(!result.events.includes('failed'), result.events.join());

  // Exactly one unpaid and one paid request reached the upstream, with the caller's header kept.
  assert.deepEqual(seen.map((r) => `${r.method} ${r.outcome}`), ['GET challenged', 'GET paid']);
  for (const r of api.requests) assert.equal(r.headers.accept, 'application/json');
  assert.equal(api.requests[0].headers['payment-signature'], undefined);

  // Real settlement: the balances moved by exactly the price.
  assert.equal(await balanceOf(token, payTo), payeeBefore + PRICE);
  assert.equal(await balanceOf(token, payer.address), payerBefore - PRICE);
  const tx = await token.publicClient.getTransactionReceipt({ hash: result.receipt.transaction });
  assert.equal(tx.status, 'success');
  assert.equal(tx.to?.toLowerCase(), token.address.toLowerCase());
});

test('workerd really forbids randomness at global scope (so the startup check above means something)', { timeout: 30_000 }, async (t) => {
  const root = workerRoot(t, `
    import * as x402 from './x402-wasm/index.workerd.js';
    const value = crypto.getRandomValues(new Uint8Array(4)); // not allowed here
    export default { fetch: () => new Response(String(value) + typeof x402.wrapFetch) };
  `);
  let stderr = '';
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(root, 'worker.mjs'),
    modulesRoot: root,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2025-09-01',
    host: '127.0.0.1',
    handleRuntimeStdio: (out, err) => {
      out.resume();
      err.on('data', (chunk) => { stderr += chunk; });
    },
  });
  t.after(() => mf.dispose().catch(() => {})); // dispose() rethrows the startup failure
  await assert.rejects(mf.ready, /failed to start/);
  assert.match(stderr, /Disallowed operation called within global scope/);
});
