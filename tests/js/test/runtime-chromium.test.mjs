// The packed package in headless Chromium, paying for real: a page on origin A (127.0.0.1:portA)
// calls a paid x402 v2 API on origin B (127.0.0.1:portB) with wrapFetch and an injected EIP-1193
// wallet backed by a test key (signing happens in Node with viem, through page.exposeFunction).
// The API settles with the official facilitator on anvil; the payee's balance is read from the chain.
// CORS: the unpaid GET must be a simple request (no preflight); the paid retry preflights only
// because of PAYMENT-SIGNATURE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { packageDir } from '../lib/pkg.mjs';
import { launchChromium, serveStatic } from '../lib/browser.mjs';
import {
  anvilAccount, balanceOf, deployTestUSDC, installMulticall3, mint, startAnvil, startOfficialFacilitator,
} from '../lib/chain.mjs';
import { exactRequirement, startPaidApi } from '../lib/runtime-paid-api.mjs';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const NETWORK = 'eip155:31337';
const PRICE = 25_000n; // 0.025 USDC

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>x402-wasm in Chromium</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; }
  h1 { font-size: 18px; }
  pre { background: #f4f4f4; padding: 12px; white-space: pre-wrap; word-break: break-all; }
  .ok { color: #0a6d2c; } .bad { color: #b00020; }
</style></head>
<body><h1>x402-wasm: cross-origin paid fetch with an EIP-1193 wallet</h1>
<p id="status">waiting</p><pre id="out"></pre></body></html>`;

/** Integer members of EIP-712 typed data come as decimal strings in JSON: make them BigInts again. */
function fromJson(types, type, value) {
  const array = /^(.*)\[\d*\]$/.exec(type);
  if (array) return value.map((item) => fromJson(types, array[1], item));
  if (types[type]) return Object.fromEntries(types[type].map((f) => [f.name, fromJson(types, f.type, value[f.name])]));
  if (/^u?int\d*$/.test(type)) return BigInt(value);
  return value;
}

/**
 * The wallet's signing half, in Node: what an extension's background page would do for
 * eth_signTypedData_v4. Checks what MetaMask checks (the account, the active chain), then signs.
 */
function testKeySigner(account, signed) {
  return async (from, json, activeChain) => {
    if (typeof from !== 'string' || from.toLowerCase() !== account.address.toLowerCase()) {
      throw new Error(`unknown account ${from}`);
    }
    if (typeof json !== 'string') throw new Error('eth_signTypedData_v4 expects the typed data as a JSON string');
    const { types: { EIP712Domain, ...types }, domain, primaryType, message } = JSON.parse(json);
    if (!Array.isArray(EIP712Domain)) throw new Error('typed data without EIP712Domain');
    if (BigInt(domain.chainId) !== BigInt(activeChain)) {
      throw new Error(`Provided chainId "${domain.chainId}" must match the active chainId "${BigInt(activeChain)}"`);
    }
    const typed = {
      domain: fromJson({ EIP712Domain }, 'EIP712Domain', domain),
      types,
      primaryType,
      message: fromJson(types, primaryType, message),
    };
    const signature = await account.signTypedData(typed);
    signed.push({ primaryType, domain, message, signature });
    return signature;
  };
}

/** Injected before any page script, like a wallet extension's content script: window.ethereum. */
function injectProvider({ address, chainId }) {
  let chain = chainId;
  const calls = [];
  const rpcError = (code, message) => Object.assign(new Error(message), { code });
  window.__walletCalls = calls;
  window.__walletSetChain = (id) => { chain = id; };
  window.ethereum = {
    isTestWallet: true,
    async request({ method, params } = {}) {
      calls.push(method);
      switch (method) {
        case 'eth_accounts':
        case 'eth_requestAccounts':
          return [address.toLowerCase()];
        case 'eth_chainId':
          return chain;
        case 'wallet_switchEthereumChain': {
          const wanted = params?.[0]?.chainId;
          if (!['0x1', '0x7a69'].includes(wanted)) throw rpcError(4902, `Unrecognized chain ID "${wanted}".`);
          chain = wanted;
          return null;
        }
        case 'eth_signTypedData_v4':
          return window.__testWalletSign(params?.[0], params?.[1], chain);
        default:
          throw rpcError(4200, `The wallet does not support ${method}`);
      }
    },
    on() {},
    removeListener() {},
  };
}

/** Runs in the page: one paid GET through the packaged wrapFetch; renders and returns the outcome. */
async function payInPage({ apiUrl, policy, init }) {
  const x402 = await import('/pkg/index.js');
  const events = [];
  const paidFetch = x402.wrapFetch(fetch, {
    wallets: [x402.eip1193Wallet(window.ethereum)],
    policy,
    onEvent: (event) => events.push(event.type),
  });
  const callsBefore = window.__walletCalls.length;
  let result;
  try {
    const response = await paidFetch(apiUrl, init);
    const text = await response.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    result = {
      status: response.status,
      body,
      receipt: x402.getPaymentReceipt(response) ?? null,
      paymentResponseHeader: response.headers.get('payment-response'),
      events,
      walletCalls: window.__walletCalls.slice(callsBefore),
    };
  } catch (error) {
    result = { error: `${error?.code ?? error?.name}: ${error?.message}`, events, walletCalls: window.__walletCalls.slice(callsBefore) };
  }
  const ok = result.status === 200 && result.receipt?.success === true;
  const status = document.getElementById('status');
  status.textContent = ok ? `paid: HTTP ${result.status}, settled in ${result.receipt.transaction}` : 'FAILED';
  status.className = ok ? 'ok' : 'bad';
  document.getElementById('out').textContent += `${init?.method ?? 'GET'} ${apiUrl}\n${JSON.stringify(result, null, 2)}\n\n`;
  return result;
}

/**
 * Everything one test needs, stopped by t.after: anvil with TestUSDC and Multicall3, the official
 * facilitator, a funded test key, origin A (the page + the package), origin B (the paid API allowing
 * only origin A; preflights are not cached so every one is seen), Chromium with the injected wallet
 * on `walletChain`, and the page loaded.
 */
async function setup(t, { walletChain = '0x7a69', payToIndex = 2, data } = {}) {
  const anvil = await startAnvil({ chainId: 31337 });
  t.after(() => anvil.stop());
  const token = await deployTestUSDC(anvil);
  await installMulticall3(anvil);
  const facilitator = await startOfficialFacilitator({ ...anvil, network: NETWORK });
  const payer = privateKeyToAccount(generatePrivateKey());
  await mint(token, payer.address, 1_000_000n);
  const payTo = anvilAccount(payToIndex).address;

  const site = await serveStatic({ '/pkg/': packageDir() }, {
    'GET /': (req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE),
    'GET /favicon.ico': (req, res) => res.writeHead(204).end(),
  });
  t.after(() => site.close());
  const requirement = exactRequirement({ token: token.address, payTo, amount: PRICE });
  const api = await startPaidApi({ facilitator, requirement, data, allowOrigin: site.origin, maxAge: 0 });
  t.after(() => api.close());
  assert.notEqual(new URL(site.origin).port, new URL(api.origin).port, 'page and API are different origins');

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    // Chromium logs every non-2xx fetch; the 402 challenge is expected.
    if (m.type() === 'error' && !/status of 402 \(Payment Required\)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  const signed = [];
  await page.exposeFunction('__testWalletSign', testKeySigner(payer, signed));
  await page.addInitScript(injectProvider, { address: payer.address, chainId: walletChain });
  await page.goto(`${site.origin}/`);

  const policy = {
    assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }],
  };
  const balances = async () => ({ payee: await balanceOf(token, payTo), payer: await balanceOf(token, payer.address) });
  const pay = (init) => page.evaluate(payInPage, { apiUrl: api.url, policy, init });
  return { token, payer, payTo, site, api, page, pageErrors, signed, balances, pay, policy };
}

/** A readable dump of what the API saw, for failure messages. */
const seenBy = (api) => JSON.stringify(api.requests.map(({ method, status, outcome, reason, error }) => ({ method, status, outcome, reason, error })));

/** The events that must happen, in order (others, like 'approved', may come in between), and no failure. */
function assertPaidEvents(events) {
  const order = ['payment_required', 'signed', 'settled'].map((type) => events.indexOf(type));
  assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), events.join());
  assert.ok(!events.includes('failed'), events.join());
}

test('a page on another origin pays a CORS x402 API with an EIP-1193 wallet; settled on anvil', { timeout: 60_000 }, async (t) => {
  const data = { report: 'premium', items: [1, 2, 3], price: '0.025 USDC' };
  const { token, payer, payTo, site, api, page, pageErrors, signed, balances, pay } = await setup(t, { data });
  const before = await balances();

  const result = await pay();
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'runtime-chromium.png'), fullPage: true });

  // The page got the paid response and its receipt.
  assert.equal(result.error, undefined, `payment failed in the page: ${result.error}\nserver saw: ${seenBy(api)}`);
  assert.equal(result.status, 200, JSON.stringify(result));
  assert.deepEqual(result.body, data);
  assert.ok(result.paymentResponseHeader, 'PAYMENT-RESPONSE is readable in the page (exposed by CORS)');
  assert.equal(result.receipt?.success, true, JSON.stringify(result.receipt));
  assert.equal(result.receipt.network, NETWORK);
  assert.equal(result.receipt.transaction, api.settlements[0].transaction);
  assert.equal(result.receipt.payer?.toLowerCase(), payer.address.toLowerCase());
  assertPaidEvents(result.events);
  assert.deepEqual(pageErrors, []);

  // The wallet was asked once, for exactly this payment, on the right chain (no switch needed).
  assert.equal(result.walletCalls.filter((m) => m === 'eth_signTypedData_v4').length, 1, result.walletCalls.join());
  assert.ok(!result.walletCalls.includes('wallet_switchEthereumChain'), result.walletCalls.join());
  assert.equal(signed.length, 1);
  assert.equal(signed[0].primaryType, 'TransferWithAuthorization');
  assert.equal(signed[0].message.to.toLowerCase(), payTo.toLowerCase());
  assert.equal(signed[0].message.value, String(PRICE));

  // Real settlement: the balances moved by exactly the price.
  const after = await balances();
  assert.equal(after.payee, before.payee + PRICE);
  assert.equal(after.payer, before.payer - PRICE);
  const tx = await token.publicClient.getTransactionReceipt({ hash: result.receipt.transaction });
  assert.equal(tx.status, 'success');

  // CORS as the server saw it: GET (simple, no preflight), OPTIONS (for PAYMENT-SIGNATURE only), paid GET.
  const seen = api.requests.map((r) => `${r.method} ${r.outcome}`);
  assert.deepEqual(seen, ['GET challenged', 'OPTIONS preflight', 'GET paid'], seenBy(api));
  const [unpaid, preflight, paid] = api.requests;
  assert.equal(unpaid.headers.origin, site.origin, 'the unpaid GET is a cross-origin request');
  assert.equal(unpaid.headers['sec-fetch-mode'], 'cors');
  assert.equal(unpaid.headers['payment-signature'], undefined);
  assert.equal(unpaid.headers['content-type'], undefined, 'the SDK adds no content type to a GET');
  assert.equal(preflight.headers.origin, site.origin);
  assert.equal(preflight.headers['access-control-request-method'], 'GET');
  assert.equal(preflight.headers['access-control-request-headers'], 'payment-signature',
    'the paid retry adds the payment header and nothing else that needs a preflight');
  assert.equal(paid.headers.origin, site.origin);
  assert.ok(paid.headers['payment-signature']);
  assert.equal(paid.transaction, result.receipt.transaction);
});

test('a simple cross-origin POST stays simple: no preflight before the 402, same body on the paid retry', { timeout: 60_000 }, async (t) => {
  const { api, pageErrors, balances, pay } = await setup(t, { payToIndex: 5 });
  const before = await balances();
  const body = 'city=Lisbon&units=metric&note=caf%C3%A9';
  const result = await pay({ method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(result.error, undefined, `payment failed in the page: ${result.error}\nserver saw: ${seenBy(api)}`);
  assert.equal(result.status, 200, JSON.stringify(result));
  assert.equal(result.receipt?.success, true, JSON.stringify(result.receipt));
  assertPaidEvents(result.events);
  assert.deepEqual(pageErrors, []);

  assert.deepEqual(api.requests.map((r) => `${r.method} ${r.outcome}`), ['POST challenged', 'OPTIONS preflight', 'POST paid'], seenBy(api));
  const [unpaid, preflight, paid] = api.requests;
  for (const r of [unpaid, paid]) {
    assert.equal(r.body, body);
    assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(r.headers.origin, api.requests[0].headers.origin);
  }
  assert.equal(preflight.headers['access-control-request-method'], 'POST');
  assert.equal(preflight.headers['access-control-request-headers'], 'payment-signature');
  assert.equal((await balances()).payee, before.payee + PRICE);
});

test('an EIP-1193 wallet on another chain is switched to the requirement\'s chain before signing', { timeout: 60_000 }, async (t) => {
  const { api, page, signed, balances, pay } = await setup(t, { walletChain: '0x1', payToIndex: 3 }); // on mainnet
  const before = await balances();
  const result = await pay();
  assert.equal(result.error, undefined, `payment failed in the page: ${result.error}\nserver saw: ${seenBy(api)}`);
  assert.equal(result.status, 200, JSON.stringify(result));
  assert.equal(result.receipt?.success, true);
  const switchAt = result.walletCalls.indexOf('wallet_switchEthereumChain');
  assert.ok(switchAt >= 0 && switchAt < result.walletCalls.indexOf('eth_signTypedData_v4'), result.walletCalls.join());
  assert.equal(await page.evaluate(() => window.ethereum.request({ method: 'eth_chainId' })), '0x7a69');
  assert.equal(signed.length, 1);
  assert.equal((await balances()).payee, before.payee + PRICE);
});

/**
 * Runs in the page: two paid GETs whose abort signal comes from an iframe's realm (an embedded
 * widget's AbortController), which the page's own AbortSignal does not recognise as one of its own.
 * The first is aborted while the user is asked: it must end in AbortError with nothing signed. The
 * second is never aborted: it must be paid. Returns what each did.
 */
async function payWithIframeSignal({ apiUrl, policy }) {
  const x402 = await import('/pkg/index.js');
  const frame = document.createElement('iframe');
  document.body.append(frame);
  const Foreign = frame.contentWindow.AbortController;
  const outcome = async (abortWhenAsked) => {
    const controller = new Foreign();
    const calls = window.__walletCalls.length;
    const paidFetch = x402.wrapFetch(fetch, {
      wallets: [x402.eip1193Wallet(window.ethereum)],
      policy,
      onPaymentRequired: async () => {
        if (abortWhenAsked) controller.abort();
        return true;
      },
    });
    try {
      const response = await paidFetch(apiUrl, { signal: controller.signal });
      return { status: response.status, body: await response.text(), walletCalls: window.__walletCalls.slice(calls) };
    } catch (error) {
      return { error: error?.name, walletCalls: window.__walletCalls.slice(calls) };
    }
  };
  const result = {
    foreign: !(new Foreign().signal instanceof AbortSignal),
    aborted: await outcome(true),
    paid: await outcome(false),
  };
  frame.remove();
  return result;
}

test('an abort signal from an iframe\'s realm is honoured: aborted while asked, nothing is signed; not aborted, it pays', { timeout: 60_000 }, async (t) => {
  const { api, page, pageErrors, signed, balances, policy } = await setup(t, { payToIndex: 6 });
  const before = await balances();
  const result = await page.evaluate(payWithIframeSignal, { apiUrl: api.url, policy });
  assert.equal(result.foreign, true, 'the iframe\'s AbortSignal is not an instance of the page\'s');
  assert.equal(result.aborted.error, 'AbortError', JSON.stringify(result.aborted));
  assert.ok(!result.aborted.walletCalls.includes('eth_signTypedData_v4'), result.aborted.walletCalls.join());
  assert.equal(result.paid.status, 200, JSON.stringify(result.paid));
  assert.equal(signed.length, 1, 'only the call that was not aborted was signed');
  assert.deepEqual(api.requests.map((r) => `${r.method} ${r.outcome}`).filter((s) => !s.startsWith('OPTIONS')),
    ['GET challenged', 'GET challenged', 'GET paid'], seenBy(api));
  assert.equal((await balances()).payee, before.payee + PRICE);
  assert.deepEqual(pageErrors, []);
});

/**
 * Runs in the page whose first download of the package's .wasm fails: the import still succeeds, a
 * synchronous call says why it cannot run, and a paying fetch made then downloads the wasm again
 * at its call and pays.
 */
async function payAfterFailedWasmLoad({ apiUrl, policy }) {
  const x402 = await import('/pkg/index.js');
  let sync;
  try {
    sync = x402.parseAmount('1');
  } catch (error) {
    sync = { code: error.code, isX402Error: error instanceof x402.X402Error, cause: String(error.cause) };
  }
  const paidFetch = x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(window.ethereum)], policy });
  const response = await paidFetch(apiUrl);
  return { sync, status: response.status, receipt: x402.getPaymentReceipt(response) ?? null, parsed: x402.parseAmount('0042') };
}

test('a page whose first .wasm download fails still imports the package; its paying fetch downloads it again and pays', { timeout: 60_000 }, async (t) => {
  const { api, page, pageErrors, signed, balances, policy } = await setup(t, { payToIndex: 7 });
  let downloads = 0;
  await page.route('**/x402_wasm_bg.wasm', (route) => (++downloads === 1 ? route.abort('internetdisconnected') : route.continue()));
  const before = await balances();
  const result = await page.evaluate(payAfterFailedWasmLoad, { apiUrl: api.url, policy });
  assert.equal(result.sync.code, 'WASM_LOAD_FAILED', JSON.stringify(result));
  assert.equal(result.sync.isX402Error, true);
  assert.match(result.sync.cause, /Failed to fetch/, 'the download\'s own error is the cause');
  assert.equal(result.status, 200, `${JSON.stringify(result)}\nserver saw: ${seenBy(api)}`);
  assert.equal(result.receipt?.success, true);
  assert.equal(result.parsed, '42');
  assert.equal(downloads, 2, 'the failed download, then the one the paying fetch made');
  assert.equal(signed.length, 1);
  assert.equal((await balances()).payee, before.payee + PRICE);
  assert.deepEqual(pageErrors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e)), []);
});
