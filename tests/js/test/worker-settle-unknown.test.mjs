// A /settle that gives no answer although the payment settled (the facilitator settles on anvil, then
// its answer is lost: a 502): with `rpc`, x402-wasm/worker asks the chain whether the EIP-3009
// authorization was used (AuthorizationUsed) and serves the payment with that transaction; without it
// the payer is charged and refused, as before. A /settle that fails without settling is still refused,
// and nothing moves. A node that says another chain, redirects, or answers inconsistently is not
// believed. workerd (Miniflare), anvil, the official v2 facilitator over loopback HTTP; for x402
// v1, anvil as chain 84532 (base-sepolia), the official v1 client and the v1 facilitator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { decodeXPaymentResponse, wrapFetchWithPayment as wrapFetchWithPaymentV1 } from 'x402-fetch';
import { anvilClients, assertSettled, balanceOf, mint } from '../lib/chain.mjs';
import {
  MINTED, NETWORK, PRICE, assertServedWeather, decodeJsonHeader, encodeJsonHeader, startHelperWorker, v1Chain, v2Chain, weatherRoute,
} from '../lib/worker-harness.mjs';
import { resolveFromProject } from '../lib/pkg.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const AUTHORIZATION_FIELDS = [
  { name: 'from', type: 'address' }, { name: 'to', type: 'address' }, { name: 'value', type: 'uint256' },
  { name: 'validAfter', type: 'uint256' }, { name: 'validBefore', type: 'uint256' }, { name: 'nonce', type: 'bytes32' },
];
const worker = await import(pathToFileURL(resolveFromProject('x402-wasm/worker')));

/**
 * A facilitator in front of `upstream`: `mode.settle` is 'pass', 'lost' (/settle forwarded and
 * settled, then answered 502) or 'down' (502 at once, nothing forwarded).
 */
async function lossyFacilitator(t, upstream) {
  const mode = { settle: 'pass' };
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.url === '/settle' && mode.settle === 'down') return res.writeHead(502).end('bad gateway');
    const answer = await fetch(`${upstream}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'GET' ? undefined : body });
    const text = await answer.text();
    if (req.url === '/settle' && mode.settle === 'lost') return res.writeHead(502).end('bad gateway');
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  return { mode, url: `http://127.0.0.1:${server.address().port}` };
}

async function setup(t, copies = 1) {
  const chain = await v2Chain(t);
  const lossy = await lossyFacilitator(t, chain.facilitator.url);
  const route = weatherRoute({ asset: chain.token.address, payTo: chain.payTo });
  const helper = await startHelperWorker(t, {
    copies,
    middlewares: [
      { store: 'memory', routes: { 'GET /weather': route }, facilitator: { url: lossy.url }, rpc: { [NETWORK]: chain.anvil.rpcUrl } },
      { store: 'memory', routes: { 'GET /premium/*': route }, facilitator: { url: lossy.url } },
    ],
  });
  return { ...chain, lossy, helper };
}

/** Pays `path` once with a new funded key; resolves to { response, wallet, before }. */
async function payOnce(t, { token, payTo, helper }, path) {
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, MINTED);
  const before = { payer: await balanceOf(token, wallet.address), payee: await balanceOf(token, payTo) };
  const unpaid = await helper.fetch(path);
  assert.equal(unpaid.status, 402);
  const payload = await x402.createPaymentPayload(decodeJsonHeader(unpaid.headers.get('payment-required')), 0, wallet);
  const response = await helper.fetch(path, { headers: { 'PAYMENT-SIGNATURE': encodeJsonHeader(payload) } });
  return { response, wallet, before };
}

test('a settlement whose answer was lost is found on chain (rpc) and served with its transaction; without rpc the payer is charged and refused', async (t) => {
  const setupped = await setup(t);
  const { token, payTo, lossy, facilitator } = setupped;
  lossy.mode.settle = 'lost';

  const served = await payOnce(t, setupped, '/weather');
  const receipt = decodeJsonHeader(served.response.headers.get('payment-response'));
  await assertServedWeather(served.response);
  assert.equal(receipt.success, true);
  assert.equal(receipt.network, NETWORK);
  assert.equal(receipt.payer, served.wallet.address);
  await assertSettled(token, receipt.transaction, { payer: served.wallet.address, payTo, before: served.before, price: PRICE });
  assert.equal(facilitator.calls.settle, 1);

  // The same loss where the gate has no rpc: charged (the facilitator settled) and refused.
  const refused = await payOnce(t, setupped, '/premium/report');
  assert.equal(refused.response.status, 402);
  assert.equal(decodeJsonHeader(refused.response.headers.get('payment-response')).errorReason, 'unexpected_settle_error');
  assert.equal(facilitator.calls.settle, 2);
  assert.equal(await balanceOf(token, refused.wallet.address), refused.before.payer - PRICE);
});

test('a /settle that fails without settling is refused with rpc too, after the chain shows nothing; nothing moves', async (t) => {
  const setupped = await setup(t);
  const { token, lossy, facilitator } = setupped;
  lossy.mode.settle = 'down';
  const { response, wallet, before } = await payOnce(t, setupped, '/weather');
  assert.equal(response.status, 402);
  assert.equal(decodeJsonHeader(response.headers.get('payment-response')).errorReason, 'unexpected_settle_error');
  assert.equal(facilitator.calls.settle, 0);
  assert.equal(await balanceOf(token, wallet.address), before.payer);
});

test('a nonce the payer used for another authorization (to itself) is not taken for this payment: refused, nothing paid', async (t) => {
  const setupped = await setup(t);
  const { token, payTo, lossy, helper } = setupped;
  lossy.mode.settle = 'lost';
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  const wallet = x402.evmPrivateKeyWallet(key);
  t.after(() => wallet.free());
  await mint(token, wallet.address, MINTED);
  const unpaid = await helper.fetch('/weather');
  const payload = await x402.createPaymentPayload(decodeJsonHeader(unpaid.headers.get('payment-required')), 0, wallet);
  const { nonce } = payload.payload.authorization;
  // Signed by the payer under the same nonce: 1 unit to itself, executed before the payment is sent.
  const message = { from: account.address, to: account.address, value: 1n, validAfter: 0n, validBefore: 2n ** 48n, nonce };
  const signature = await account.signTypedData({
    domain: { name: 'USDC', version: '2', chainId: 31337, verifyingContract: token.address },
    types: { TransferWithAuthorization: AUTHORIZATION_FIELDS },
    primaryType: 'TransferWithAuthorization',
    message,
  });
  const hash = await token.walletClient.writeContract({
    address: token.address, abi: token.abi, functionName: 'transferWithAuthorization',
    args: [message.from, message.to, message.value, message.validAfter, message.validBefore, nonce, signature],
  });
  assert.equal((await token.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
  const payee = await balanceOf(token, payTo);

  const response = await helper.fetch('/weather', { headers: { 'PAYMENT-SIGNATURE': encodeJsonHeader(payload) } });
  assert.equal(response.status, 402, await response.clone().text());
  assert.equal(decodeJsonHeader(response.headers.get('payment-response')).errorReason, 'unexpected_settle_error');
  assert.equal(await balanceOf(token, payTo), payee, 'the payee got nothing');
  assert.equal((await helper.stats()).handled, 1, 'the handler ran (settling comes after it), its answer not sent');
});

test('a payment settled and served before (another isolate\'s memory store) is not served again when /settle fails: its block is older', async (t) => {
  const setupped = await setup(t, 2);
  const { token, payTo, lossy, helper, facilitator } = setupped;
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, MINTED);
  const unpaid = await helper.fetch('/weather');
  const header = encodeJsonHeader(await x402.createPaymentPayload(decodeJsonHeader(unpaid.headers.get('payment-required')), 0, wallet));
  await assertServedWeather(await helper.fetch('/weather', { headers: { 'PAYMENT-SIGNATURE': header } }, 0));
  assert.equal(facilitator.calls.settle, 1);
  const payee = await balanceOf(token, payTo);
  // Later than the chain's clock may differ from the Worker's (5 s), the same header at the other
  // isolate, whose store has not seen it, while /settle gives no answer.
  await new Promise((resolve) => { setTimeout(resolve, 6500); });
  lossy.mode.settle = 'lost';
  const replay = await helper.fetch('/weather', { headers: { 'PAYMENT-SIGNATURE': header } }, 1);
  assert.equal(replay.status, 402, await replay.clone().text());
  assert.equal(decodeJsonHeader(replay.headers.get('payment-response')).errorReason, 'unexpected_settle_error');
  assert.equal(await balanceOf(token, payTo), payee);
});

/** A loopback server answering `handle(req, res, body)`, closed at t.after. Resolves to its URL. */
async function listen(t, handle) {
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    await handle(req, res, body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  return `http://127.0.0.1:${server.address().port}`;
}

/**
 * A JSON-RPC node in front of anvil that lies as `mode.lie` says: 'none' forwards; 'chain' says it
 * serves chain 1; 'redirect' answers 307 to another host (`elsewhere`, which forwards to anvil and
 * counts what it got); 'receipt' names another transaction in the receipt it forwards; 'block' puts
 * the receipt and its logs in another real, recent block (mined for the lie).
 */
async function lyingRpc(t, anvilUrl) {
  const mode = { lie: 'none' };
  const elsewhere = { calls: 0 };
  const forward = async (body) => (await fetch(anvilUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
  const ask = async (method, params = []) => (await forward(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))).result;
  const other = await listen(t, async (req, res, body) => {
    elsewhere.calls += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await forward(body)));
  });
  const url = await listen(t, async (req, res, body) => {
    if (mode.lie === 'redirect') return res.writeHead(307, { location: other }).end();
    const { method } = JSON.parse(body);
    const answer = await forward(body);
    if (method === 'eth_chainId' && mode.lie === 'chain') answer.result = '0x1';
    const receipt = method === 'eth_getTransactionReceipt' ? answer.result : undefined;
    if (receipt && mode.lie === 'receipt') receipt.transactionHash = `0x${'ee'.repeat(32)}`;
    if (receipt && mode.lie === 'block') {
      await ask('evm_mine');
      const block = await ask('eth_getBlockByNumber', ['latest', false]);
      for (const x of [receipt, ...receipt.logs]) Object.assign(x, { blockHash: block.hash, blockNumber: block.number });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  return { url, mode, elsewhere };
}

test('rpc: a node that says another chain, redirects, or whose answers disagree is not believed (refused, though settled); the real node is', async (t) => {
  const chain = await v2Chain(t);
  const { token, anvil } = chain;
  const lossy = await lossyFacilitator(t, chain.facilitator.url);
  const lying = await lyingRpc(t, anvil.rpcUrl);
  const route = weatherRoute({ asset: token.address, payTo: chain.payTo });
  const helper = await startHelperWorker(t, {
    middlewares: [
      { store: 'memory', routes: { 'GET /weather': route }, facilitator: { url: lossy.url }, rpc: { [NETWORK]: anvil.rpcUrl } },
      { store: 'memory', routes: { 'GET /premium/*': route }, facilitator: { url: lossy.url }, rpc: { [NETWORK]: lying.url } },
    ],
  });
  const setupped = { ...chain, helper };
  lossy.mode.settle = 'lost';

  // The controls: the real node, and the proxy telling the truth, find the lost settlement.
  await assertServedWeather((await payOnce(t, setupped, '/weather')).response);
  const truth = (await payOnce(t, setupped, '/premium/truth')).response;
  assert.equal(truth.status, 200, await truth.clone().text());
  assert.equal(decodeJsonHeader(truth.headers.get('payment-response')).success, true);
  for (const lie of ['chain', 'redirect', 'receipt', 'block']) {
    lying.mode.lie = lie;
    const { response, wallet, before } = await payOnce(t, setupped, `/premium/${lie}`);
    assert.equal(response.status, 402, `${lie}: ${await response.clone().text()}`);
    assert.equal(decodeJsonHeader(response.headers.get('payment-response')).errorReason, 'unexpected_settle_error', lie);
    assert.equal(await balanceOf(token, wallet.address), before.payer - PRICE, `${lie}: settled (its answer lost), not believed`);
  }
  assert.equal(lying.elsewhere.calls, 0, 'the redirect was not followed');
  assert.equal(chain.facilitator.calls.settle, 6);
});

test('v1: a settlement whose answer was lost is found on chain for an x402 v1 payment (network "base-sepolia", rpc keyed by its CAIP-2 name)', async (t) => {
  const { anvil, token, facilitator, payTo } = await v1Chain(t);
  const lossy = await lossyFacilitator(t, facilitator.url);
  const helper = await startHelperWorker(t, {
    middlewares: [{
      store: 'memory',
      routes: { 'GET /weather': weatherRoute({ asset: token.address, payTo, network: 'base-sepolia', acceptV1: true }) },
      facilitator: { url: lossy.url },
      rpc: { 'eip155:84532': anvil.rpcUrl },
    }],
  });
  lossy.mode.settle = 'lost';
  // The official v1 client (x402-fetch), its wallet on chain 84532.
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, account.address) };
  const pay = wrapFetchWithPaymentV1(fetch, anvilClients(anvil, account).walletClient);

  const response = await pay(`${helper.url}weather`);
  await assertServedWeather(response);
  const receipt = decodeXPaymentResponse(response.headers.get('x-payment-response'));
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  assert.equal(receipt.network, 'base-sepolia');
  assert.equal(getAddress(receipt.payer), account.address);
  await assertSettled(token, receipt.transaction, { payer: account.address, payTo, before, price: PRICE });
  assert.equal(facilitator.calls.settle.length, 1, 'settled once, by the facilitator whose answer was lost');
  assert.equal((await helper.stats()).handled, 1);
});

test('rpc is checked at startup: EVM networks to http(s) URLs', () => {
  const route = weatherRoute({ asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C' });
  const make = (rpc) => worker.paymentRequired({ routes: { '/x': route }, facilitator: { url: 'https://f.example' }, rpc });
  for (const rpc of [null, Promise.resolve({}), new Map(), 'https://rpc.example', { 'solana:devnet': 'https://rpc.example' }, { [NETWORK]: 'ws://rpc.example' }, { [NETWORK]: 42 }, { [NETWORK]: 'https://' }]) {
    assert.throws(() => make(rpc), (e) => e.code === 'INVALID_ARGUMENT' && /rpc must map EVM networks/.test(e.message), JSON.stringify(rpc));
  }
  assert.equal(typeof make({ [NETWORK]: 'https://rpc.example' }), 'function');
  assert.equal(typeof make((env) => ({ [NETWORK]: env.RPC_URL })), 'function', 'a function of env is checked when called');
});
