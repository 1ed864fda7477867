// Direct ERC-20 transfers sent by the wallets themselves (sendTransaction), on a real chain: anvil
// running TestUSDC. The wasm-held key builds, signs and broadcasts EIP-1559 transactions over
// JSON-RPC; eip1193Wallet and viemWallet hand them to the wallet (anvil's unlocked accounts, a viem
// WalletClient). Calldata comes from viem's encodeFunctionData, balances from the token contract.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, custom, encodeFunctionData, erc20Abi, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  anvilAccount, anvilChain, anvilClients, balanceOf, deployTestUSDC, mint, rpc, startAnvil,
} from '../lib/chain.mjs';
import { startBaseUsdcChain, startHeaderDialectServer } from '../lib/seed-header-dialect.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const CHAIN_ID = 31337;
const HASH = /^0x[0-9a-f]{64}$/;

let anvil;
let token;
before(async () => {
  anvil = await startAnvil({ chainId: CHAIN_ID });
  token = await deployTestUSDC(anvil);
});
after(() => anvil?.stop());

const transfer = (to, amount) => encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] });

/** A fresh wasm-held key with 1 ETH for gas and `tokens` TestUSDC. */
async function fundedKeyWallet(tokens = 10_000_000n) {
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  await rpc(anvil.rpcUrl, 'anvil_setBalance', [wallet.address, '0xde0b6b3a7640000']);
  await mint(token, wallet.address, tokens);
  return wallet;
}

const freshRecipient = () => privateKeyToAccount(generatePrivateKey()).address;
const nonceOf = async (address) => Number(await rpc(anvil.rpcUrl, 'eth_getTransactionCount', [address, 'latest']));
const receiptOf = (hash) => token.publicClient.waitForTransactionReceipt({ hash });

/** An EIP-1193 provider object that forwards every request to anvil over JSON-RPC (errors keep their code). */
function anvilProvider({ reject = [] } = {}) {
  const calls = [];
  return {
    calls,
    async request({ method, params = [] }) {
      calls.push({ method, params });
      if (reject.includes(method)) throw Object.assign(new Error('User denied transaction signature.'), { code: 4001 });
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
      const res = await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = await res.json();
      if (json.error) throw Object.assign(new Error(json.error.message), { code: json.error.code });
      return json.result;
    },
  };
}

async function pollReceipt(adapter, hash) {
  for (let i = 0; i < 100; i += 1) {
    const receipt = await adapter.getTransactionReceipt(hash);
    if (receipt) return receipt;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no receipt for ${hash}`);
}

test('the wasm-held key sends an ERC-20 transfer: the recipient gains exactly the amount', async () => {
  const wallet = await fundedKeyWallet();
  const payTo = freshRecipient();
  const hash = await wallet.sendTransaction(
    { chainId: CHAIN_ID, to: token.address, data: transfer(payTo, 1_234_567n), value: '0x0' },
    { rpcUrl: anvil.rpcUrl },
  );
  assert.match(hash, HASH);
  const receipt = await receiptOf(hash);
  assert.equal(receipt.status, 'success');
  assert.equal(await balanceOf(token, payTo), 1_234_567n);
  assert.equal(await balanceOf(token, wallet.address), 10_000_000n - 1_234_567n);

  const tx = await token.publicClient.getTransaction({ hash });
  assert.equal(tx.type, 'eip1559');
  assert.equal(tx.from.toLowerCase(), wallet.address.toLowerCase());
  assert.equal(tx.to.toLowerCase(), token.address.toLowerCase());
  assert.equal(tx.chainId, CHAIN_ID);
  assert.equal(tx.nonce, 0);
  assert.equal(tx.value, 0n);
  assert.ok(tx.maxFeePerGas >= tx.maxPriorityFeePerGas && tx.maxPriorityFeePerGas > 0n);
  assert.ok(tx.gas > receipt.gasUsed, `gas limit ${tx.gas} leaves no margin over ${receipt.gasUsed}`);
});

test('two sends before a block is mined take consecutive pending nonces; both land', async () => {
  const wallet = await fundedKeyWallet();
  const payTo = freshRecipient();
  await rpc(anvil.rpcUrl, 'evm_setAutomine', [false]);
  let hashes;
  try {
    const send = (amount) => wallet.sendTransaction(
      { chainId: CHAIN_ID, to: token.address, data: transfer(payTo, amount) }, { rpcUrl: anvil.rpcUrl });
    hashes = [await send(100n), await send(200n)];
    assert.equal(await nonceOf(wallet.address), 0, 'nothing mined yet');
    await rpc(anvil.rpcUrl, 'evm_mine', []);
  } finally {
    await rpc(anvil.rpcUrl, 'evm_setAutomine', [true]);
  }
  const txs = await Promise.all(hashes.map((hash) => token.publicClient.getTransaction({ hash })));
  assert.deepEqual(txs.map((t) => t.nonce), [0, 1]);
  for (const hash of hashes) assert.equal((await receiptOf(hash)).status, 'success');
  assert.equal(await balanceOf(token, payTo), 300n);
  assert.equal(await nonceOf(wallet.address), 2);
});

test('concurrent sends from one key (one wallet and a second wallet of the same key) take distinct nonces; all land', async () => {
  const secret = generatePrivateKey();
  const wallet = x402.evmPrivateKeyWallet(secret);
  const twin = x402.evmPrivateKeyWallet(secret);
  await rpc(anvil.rpcUrl, 'anvil_setBalance', [wallet.address, '0xde0b6b3a7640000']);
  await mint(token, wallet.address, 10_000_000n);
  const payTo = freshRecipient();
  const send = (from, amount) => from.sendTransaction(
    { chainId: CHAIN_ID, to: token.address, data: transfer(payTo, amount) }, { rpcUrl: anvil.rpcUrl });
  // Started together: every one reads the chain, the nonce and the fees before any is broadcast,
  // unless the sends of one address wait for each other.
  const amounts = [1n, 2n, 4n, 8n, 16n, 32n];
  const hashes = await Promise.all(amounts.map((amount, i) => send(i % 2 ? twin : wallet, amount)));
  assert.equal(new Set(hashes).size, amounts.length);
  const txs = await Promise.all(hashes.map((hash) => token.publicClient.getTransaction({ hash })));
  assert.deepEqual(txs.map((t) => t.nonce).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
  for (const hash of hashes) assert.equal((await receiptOf(hash)).status, 'success');
  assert.equal(await balanceOf(token, payTo), 63n);
  assert.equal(await nonceOf(wallet.address), amounts.length);
  // A failed send releases the address: the next one is sent.
  await assert.rejects(send(wallet, 10n ** 30n), (e) => e.code === 'TRANSACTION_FAILED');
  await send(twin, 64n);
  assert.equal(await balanceOf(token, payTo), 127n);
});

test('ctx.signal: a send aborted while waiting for its turn sends nothing, and the next still waits for the one before', async () => {
  const wallet = await fundedKeyWallet();
  const payTo = freshRecipient();
  const send = (amount, signal) => wallet.sendTransaction(
    { chainId: CHAIN_ID, to: token.address, data: transfer(payTo, amount) }, { rpcUrl: anvil.rpcUrl, signal });
  const controller = new AbortController();
  const reason = new Error('the caller gave up');
  const first = send(1n);
  const aborted = send(2n, controller.signal);
  const third = send(4n);
  controller.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);
  const hashes = await Promise.all([first, third]);
  const txs = await Promise.all(hashes.map((hash) => token.publicClient.getTransaction({ hash })));
  assert.deepEqual(txs.map((t) => t.nonce), [0, 1]);
  for (const hash of hashes) assert.equal((await receiptOf(hash)).status, 'success');
  assert.equal(await balanceOf(token, payTo), 5n, 'the aborted transfer of 2 was never sent');
  // Already aborted: refused at once, nothing sent.
  await assert.rejects(send(8n, AbortSignal.abort(reason)), (e) => e === reason);
  await assert.rejects(send(8n, 'not a signal'), (e) => e.code === 'INVALID_ARGUMENT' && /ctx\.signal/.test(e.message));
  assert.equal(await nonceOf(wallet.address), 2);
  assert.equal(await balanceOf(token, payTo), 5n);
});

test('a chain id the RPC does not serve is refused before anything is sent', async () => {
  const wallet = await fundedKeyWallet();
  const tx = { chainId: 8453, to: token.address, data: transfer(freshRecipient(), 1n) };
  await assert.rejects(wallet.sendTransaction(tx, { rpcUrl: anvil.rpcUrl }),
    (e) => e.name === 'X402Error' && e.code === 'CHAIN_NOT_AVAILABLE' && /31337/.test(e.message));
  assert.equal(await nonceOf(wallet.address), 0);
  assert.equal(await balanceOf(token, wallet.address), 10_000_000n);
});

test('a transfer that would revert fails at gas estimation (TRANSACTION_FAILED), nothing sent', async () => {
  const wallet = await fundedKeyWallet(5n);
  const tx = { chainId: CHAIN_ID, to: token.address, data: transfer(freshRecipient(), 6n) };
  await assert.rejects(wallet.sendTransaction(tx, { rpcUrl: anvil.rpcUrl }),
    (e) => e.code === 'TRANSACTION_FAILED' && /would revert, so it was not sent: execution reverted/.test(e.message));
  assert.equal(await nonceOf(wallet.address), 0);
});

test('malformed requests are coded errors (no panic, nothing sent)', async () => {
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  const good = { chainId: CHAIN_ID, to: token.address, data: transfer(freshRecipient(), 1n) };
  const ctx = { rpcUrl: anvil.rpcUrl };
  const cases = [
    ['no ctx', good, undefined, 'INVALID_ARGUMENT', /rpcUrl/],
    ['ctx without rpcUrl', good, {}, 'INVALID_ARGUMENT', /rpcUrl/],
    ['rpcUrl not a string', good, { rpcUrl: 42 }, 'INVALID_ARGUMENT', /rpcUrl/],
    ['tx not an object', 'transfer', ctx, 'INVALID_ARGUMENT', /object/],
    ['tx null', null, ctx, 'INVALID_ARGUMENT', /object/],
    ['chainId missing', { ...good, chainId: undefined }, ctx, 'INVALID_ARGUMENT', /chainId/],
    ['chainId not an integer', { ...good, chainId: 1.5 }, ctx, 'INVALID_ARGUMENT', /chainId/],
    ['chainId zero', { ...good, chainId: 0 }, ctx, 'INVALID_ARGUMENT', /chainId/],
    ['chainId negative', { ...good, chainId: -1 }, ctx, 'INVALID_ARGUMENT', /chainId/],
    ['chainId hex text', { ...good, chainId: '0x7a69' }, ctx, 'INVALID_ARGUMENT', /chainId/],
    ['to missing', { ...good, to: undefined }, ctx, 'INVALID_ARGUMENT', /to/],
    ['to too short', { ...good, to: '0x1234' }, ctx, 'INVALID_ADDRESS', /./],
    ['to with a bad checksum', { ...good, to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD' }, ctx, 'INVALID_ADDRESS', /checksum/],
    ['data not hex', { ...good, data: '0xzz' }, ctx, 'INVALID_ARGUMENT', /data/],
    ['data odd length', { ...good, data: '0xabc' }, ctx, 'INVALID_ARGUMENT', /data/],
    ['data without 0x', { ...good, data: 'a9059cbb' }, ctx, 'INVALID_ARGUMENT', /data/],
    ['data a number', { ...good, data: 7 }, ctx, 'INVALID_ARGUMENT', /data/],
    ['value negative', { ...good, value: -1 }, ctx, 'INVALID_ARGUMENT', /value/],
    ['value above 2^256', { ...good, value: `0x1${'0'.repeat(64)}` }, ctx, 'INVALID_ARGUMENT', /value/],
    ['value not a number', { ...good, value: 'lots' }, ctx, 'INVALID_ARGUMENT', /value/],
  ];
  for (const [name, tx, context, code, message] of cases) {
    await assert.rejects(wallet.sendTransaction(tx, context), (e) => {
      assert.ok(e instanceof Error, `${name}: not an Error`);
      assert.equal(e.name, 'X402Error', `${name}: ${e}`);
      assert.equal(e.code, code, `${name}: ${e.message}`);
      assert.match(e.message, message, name);
      return true;
    }, name);
  }
  // A bigint value and a decimal-string chain id (what a BigInt becomes) are accepted.
  await rpc(anvil.rpcUrl, 'anvil_setBalance', [wallet.address, '0xde0b6b3a7640000']);
  const payTo = freshRecipient();
  const hash = await wallet.sendTransaction({ chainId: BigInt(CHAIN_ID), to: payTo, value: 5n }, ctx);
  assert.equal((await receiptOf(hash)).status, 'success');
  assert.equal(await token.publicClient.getBalance({ address: payTo }), 5n);
});

test('eip1193Wallet sends with eth_sendTransaction (anvil unlocked account); its receipt is read back', async () => {
  const from = anvilAccount(3).address;
  await mint(token, from, 1_000_000n);
  const provider = anvilProvider();
  const wallet = x402.eip1193Wallet(provider, { account: from });
  const payTo = freshRecipient();
  const before = await balanceOf(token, from);
  const hash = await wallet.sendTransaction({ chainId: CHAIN_ID, to: token.address, data: transfer(payTo, 250_000n), value: '0x0' });
  assert.match(hash, HASH);
  const receipt = await pollReceipt(wallet, hash);
  assert.equal(receipt.status, '0x1');
  assert.equal(receipt.transactionHash, hash);
  assert.equal(await balanceOf(token, payTo), 250_000n);
  assert.equal(await balanceOf(token, from), before - 250_000n);
  const sent = provider.calls.find((c) => c.method === 'eth_sendTransaction').params[0];
  assert.deepEqual(Object.keys(sent).sort(), ['chainId', 'data', 'from', 'to', 'value']);
  assert.equal(sent.value, '0x0');
  // The chain is named, so a wallet that moved to another chain since the switch refuses.
  assert.equal(Number(sent.chainId), Number(await provider.request({ method: 'eth_chainId' })));
  assert.equal(await wallet.getTransactionReceipt(`0x${'ab'.repeat(32)}`), null);
});

test('eip1193Wallet: a chain it cannot switch to is CHAIN_NOT_AVAILABLE; a refusal (4001) is USER_REJECTED', async () => {
  const from = anvilAccount(3).address;
  const tx = { chainId: CHAIN_ID, to: token.address, data: transfer(freshRecipient(), 1n) };
  const other = anvilProvider();
  await assert.rejects(x402.eip1193Wallet(other, { account: from }).sendTransaction({ ...tx, chainId: 8453 }),
    { code: 'CHAIN_NOT_AVAILABLE' });
  assert.ok(!other.calls.some((c) => c.method === 'eth_sendTransaction'));

  const nonce = await nonceOf(from);
  const refusing = anvilProvider({ reject: ['eth_sendTransaction'] });
  await assert.rejects(x402.eip1193Wallet(refusing, { account: from }).sendTransaction(tx),
    (e) => e instanceof x402.X402Error && e.code === 'USER_REJECTED' && e.cause.code === 4001);
  assert.equal(await nonceOf(from), nonce);
  await assert.rejects(x402.eip1193Wallet(anvilProvider()).sendTransaction({ ...tx, data: 'nope' }), { code: 'INVALID_ARGUMENT' });
});

test('viemWallet(walletClient) sends through the client: a local account and a JSON-RPC account', async () => {
  const local = anvilAccount(4);
  await mint(token, local.address, 1_000_000n);
  const { walletClient } = anvilClients(anvil, local);
  const wallet = x402.viemWallet(walletClient);
  const payTo = freshRecipient();
  const hash = await wallet.sendTransaction({ chainId: CHAIN_ID, to: token.address, data: transfer(payTo, 77n), value: '0x0' });
  assert.match(hash, HASH);
  assert.equal((await pollReceipt(wallet, hash)).status, '0x1');
  assert.equal(await balanceOf(token, payTo), 77n);
  await assert.rejects(wallet.sendTransaction({ chainId: 8453, to: token.address, data: transfer(payTo, 1n) }),
    { code: 'CHAIN_NOT_AVAILABLE' });

  // An address (a JSON-RPC account): viem asks the node, whose account is unlocked, with eth_sendTransaction.
  const unlocked = anvilAccount(5).address;
  await mint(token, unlocked, 1_000n);
  const jsonRpc = x402.viemWallet(createWalletClient({
    account: unlocked, chain: anvilChain(anvil), transport: http(anvil.rpcUrl),
  }));
  const hash2 = await jsonRpc.sendTransaction({ chainId: CHAIN_ID, to: token.address, data: transfer(payTo, 23n) });
  assert.equal((await receiptOf(hash2)).status, 'success');
  assert.equal(await balanceOf(token, payTo), 100n);
});

test('viemWallet: a bare Account cannot send (no sendTransaction; wrapFetch names the WalletClient); a refusal is USER_REJECTED', async () => {
  const bare = x402.viemWallet(privateKeyToAccount(generatePrivateKey()));
  // wallet-trust.test.mjs: wrapFetch passes it over for a transfer, or refuses with WALLET_UNSUPPORTED.
  assert.equal(bare.sendTransaction, undefined);

  const refusing = anvilProvider({ reject: ['eth_sendTransaction'] });
  const client = createWalletClient({ account: anvilAccount(6).address, transport: custom(refusing) });
  await assert.rejects(x402.viemWallet(client).sendTransaction({ chainId: CHAIN_ID, to: token.address, data: '0x' }),
    (e) => e instanceof x402.X402Error && e.code === 'USER_REJECTED');
});

// The core's side (send_evm_transaction, wait_for_evm_receipt) through wrapFetch paying an X-402-*
// headers server (seed 003) on anvil serving as Base, with Base's USDC address.
test('wrapFetch pays X-402-* with sendTransaction: over options.rpc, through the wallet receipt, reverted, unsupported', async (t) => {
  const chain = await startBaseUsdcChain();
  t.after(() => chain.stop());
  const receiver = freshRecipient();
  const server = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver });
  t.after(() => server.close());
  const url = `${server.url}/premium-data`;
  const policy = { maxPerPayment: '1.00' };

  // The wasm-held key: sent and confirmed over options.rpc.
  const key = x402.evmPrivateKeyWallet(generatePrivateKey());
  await rpc(chain.rpcUrl, 'anvil_setBalance', [key.address, '0xde0b6b3a7640000']);
  await chain.mint(key.address, 1_000_000n);
  const paid = await x402.wrapFetch(fetch, { wallets: [key], rpc: { 'eip155:8453': chain.rpcUrl }, policy })(url);
  assert.equal(paid.status, 200);
  const receipt = x402.getPaymentReceipt(paid);
  assert.match(receipt.transaction, HASH);
  assert.equal(await chain.balanceOf(receiver), 10_000n);

  // An EIP-1193 wallet and no options.rpc: the receipt is read through wallet.getTransactionReceipt.
  const from = anvilAccount(3).address;
  await chain.mint(from, 1_000_000n);
  const calls = [];
  const provider = (gas) => ({
    async request({ method, params = [] }) {
      calls.push(method);
      const forwarded = method === 'eth_sendTransaction' && gas ? [{ ...params[0], gas }] : params;
      return rpc(chain.rpcUrl, method, forwarded);
    },
  });
  const viaWallet = await x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(provider(), { account: from })], policy })(url);
  assert.equal(viaWallet.status, 200);
  assert.ok(calls.includes('eth_getTransactionReceipt'));
  assert.equal(await chain.balanceOf(receiver), 20_000n);

  // Too little gas: mined and reverted (status 0x0) -> TRANSACTION_FAILED, nothing paid.
  const starved = x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(provider('0x6000'), { account: from })], policy });
  await assert.rejects(starved(url), (e) => e.code === 'TRANSACTION_FAILED' && HASH.test(/0x[0-9a-f]{64}/.exec(e.message)?.[0]));
  assert.equal(await chain.balanceOf(receiver), 20_000n);

  // A wallet that can only sign typed data.
  const signOnly = { kind: 'evm', address: key.address, signTypedData: (d) => key.signTypedData(d) };
  await assert.rejects(x402.wrapFetch(fetch, { wallets: [signOnly], rpc: { 'eip155:8453': chain.rpcUrl }, policy })(url),
    (e) => e.code === 'WALLET_UNSUPPORTED' && /sendTransaction/.test(e.message));
});
