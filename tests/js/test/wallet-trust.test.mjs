// What wrapFetch believes of a wallet: only the package's own adapters are trusted to say that a
// transfer they were asked to send was not sent (another adapter's failure keeps the budget), a
// wallet's error keeps only the package's codes, a wallet is chosen for what it can do, and several
// paying fetches can share one budget (shareBudgetWith).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { loadX402 } from '../lib/x402.mjs';
import { rpc } from '../lib/chain.mjs';
import { startBaseUsdcChain, startHeaderDialectServer } from '../lib/seed-servers.mjs';
import { serverFor, usdc, countingWallet, TEST_KEY, PAY_TO } from '../lib/paid-server.mjs';

const x402 = await loadX402();
const { viemWallet } = x402;
const PAYER_EVM = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'; // anvil account 1 = TEST_KEY
const SOLANA_DEVNET = {
  scheme: 'exact', network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1', amount: '10000',
  asset: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU', payTo: '2wKupLR9q6wXYppw8Gr2NvWxKBUqm4PPJKkQfoxHDBg4',
  maxTimeoutSeconds: 60, extra: { feePayer: '2wKupLR9q6wXYppw8Gr2NvWxKBUqm4PPJKkQfoxHDBg4' },
};

async function headerDialect(t) {
  const chain = await startBaseUsdcChain();
  t.after(() => chain.stop());
  await chain.mint(PAYER_EVM, 5_000_000n);
  const server = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver: PAY_TO, amountUsd: '0.01' });
  t.after(() => server.close());
  return { chain, server, url: `${server.url}/premium-data`, rpc: { 'eip155:8453': chain.rpcUrl } };
}

test('a wallet of your own that sent the transfer and then fails with a "nothing sent" code keeps the budget', async (t) => {
  const { chain, url, rpc: rpcUrls } = await headerDialect(t);
  const key = x402.evmPrivateKeyWallet(TEST_KEY);
  let sent = 0;
  const mine = {
    kind: 'evm',
    address: key.address,
    signTypedData: (typed) => key.signTypedData(typed),
    async sendTransaction(tx, ctx) {
      await key.sendTransaction(tx, ctx);
      sent += 1;
      throw Object.assign(new Error('the popup was closed'), { code: 'USER_REJECTED' });
    },
  };
  const before = await chain.balanceOf(PAY_TO);
  const paying = x402.wrapFetch(fetch, { wallets: [mine], rpc: rpcUrls, policy: { budget: { total: '0.02' } } });
  for (let i = 0; i < 2; i += 1) await assert.rejects(paying(url), (e) => e.code === 'USER_REJECTED');
  await assert.rejects(paying(url), (e) => e.code === 'BUDGET_EXCEEDED');
  assert.equal(sent, 2);
  assert.equal((await chain.balanceOf(PAY_TO)) - before, 20_000n, 'no more left than the budget');
});

test("an object inheriting from the package's wallet with a sendTransaction of its own is not believed either", async (t) => {
  const { chain, url, rpc: rpcUrls } = await headerDialect(t);
  const key = x402.evmPrivateKeyWallet(TEST_KEY);
  const provider = { request: async ({ method, params }) => rpc(rpcUrls['eip155:8453'], method, params ?? []) };
  const injected = x402.eip1193Wallet(provider, { account: PAYER_EVM });
  for (const [name, base] of [['key wallet', key], ['EIP-1193 adapter', injected]]) {
    let sent = 0;
    const hashes = [];
    // Inherits __x402Own (and everything else) from the package's wallet; sends, then fails as if it had not.
    const wrapper = Object.create(base, {
      sendTransaction: {
        value: async (tx, ctx) => {
          hashes.push(await base.sendTransaction(tx, ctx));
          sent += 1;
          throw Object.assign(new Error('the popup was closed'), { code: 'USER_REJECTED' });
        },
      },
    });
    const before = await chain.balanceOf(PAY_TO);
    const paying = x402.wrapFetch(fetch, { wallets: [wrapper], rpc: rpcUrls, policy: { budget: { total: '0.02' } } });
    for (let i = 0; i < 2; i += 1) await assert.rejects(paying(url), (e) => e.code === 'USER_REJECTED', name);
    await assert.rejects(paying(url), (e) => e.code === 'BUDGET_EXCEEDED', name);
    assert.equal(sent, 2, name);
    // anvil mines each transaction as it comes, but may answer first.
    for (const hash of hashes) await chain.publicClient.waitForTransactionReceipt({ hash });
    assert.equal((await chain.balanceOf(PAY_TO)) - before, 20_000n, `${name}: no more left than the budget`);
  }
  // The package's JS adapters are frozen: a method cannot be replaced in place, nor by a Proxy
  // (which must report a frozen member as it is), so what the core believes stays the package's.
  assert.ok(Object.isFrozen(injected));
  assert.throws(() => { injected.sendTransaction = async () => '0x'; }, TypeError);
  const proxied = new Proxy(injected, { get: (t, k, r) => (k === 'sendTransaction' ? async () => '0x' : Reflect.get(t, k, r)) });
  assert.throws(() => proxied.sendTransaction, TypeError);
  assert.throws(() => x402.wrapFetch(fetch, { wallets: [proxied] }));
  // The package's wallets themselves, and an object inheriting one unchanged, are still believed:
  // a refusal before sending frees the budget.
  let refuse = true;
  const refusing = { request: async (args) => {
    if (args.method === 'eth_sendTransaction' && refuse) throw Object.assign(new Error('execution reverted'), { code: 3 });
    return provider.request(args);
  } };
  const inherited = Object.create(x402.eip1193Wallet(refusing, { account: PAYER_EVM }));
  const paying = x402.wrapFetch(fetch, { wallets: [inherited], rpc: rpcUrls, policy: { budget: { total: '0.01' } } });
  await assert.rejects(paying(url), (e) => e.code === 'TRANSACTION_FAILED');
  refuse = false;
  assert.equal((await paying(url)).status, 200);
});

test('a wallet that sends another transfer than the one asked is caught before the proof is sent; the budget keeps it', async (t) => {
  const { chain, server, url, rpc: rpcUrls } = await headerDialect(t);
  const key = x402.evmPrivateKeyWallet(TEST_KEY);
  const sent = [];
  const shortChanging = {
    kind: 'evm',
    address: key.address,
    // A successful transfer of one unit less than asked: its hash is not this payment.
    async sendTransaction(tx, ctx) {
      const amount = BigInt(`0x${tx.data.slice(-64)}`) - 1n;
      const data = `${tx.data.slice(0, -64)}${amount.toString(16).padStart(64, '0')}`;
      const hash = await key.sendTransaction({ ...tx, data }, ctx);
      sent.push(hash);
      return hash;
    },
  };
  const before = await chain.balanceOf(PAY_TO);
  const paying = x402.wrapFetch(fetch, { wallets: [shortChanging], rpc: rpcUrls, policy: { budget: { total: '0.01' } } });
  await assert.rejects(paying(url), (e) => e.code === 'WALLET_ALTERED_TRANSACTION' && /no Transfer of this token and amount/.test(e.message));
  assert.equal(sent.length, 1);
  assert.equal((await chain.balanceOf(PAY_TO)) - before, 9_999n, 'the wallet did move money');
  assert.equal(server.seen.filter((r) => r.headers['x-402-payment-proof']).length, 0, 'no proof was sent');
  // What may have been spent stays counted.
  await assert.rejects(paying(url), (e) => e.code === 'BUDGET_EXCEEDED');
  assert.equal(sent.length, 1);
});

test("the package's EIP-1193 adapter: the wallet's gas estimate refusing the call (code 3) is TRANSACTION_FAILED and frees the budget", async (t) => {
  const { url, rpc: rpcUrls } = await headerDialect(t);
  let refuse = true;
  const provider = {
    request: async ({ method, params }) => {
      if (method === 'eth_sendTransaction' && refuse) throw Object.assign(new Error('execution reverted'), { code: 3 });
      return rpc(rpcUrls['eip155:8453'], method, params ?? []);
    },
  };
  const paying = x402.wrapFetch(fetch, {
    wallets: [x402.eip1193Wallet(provider, { account: PAYER_EVM })],
    rpc: rpcUrls,
    policy: { budget: { total: '0.01' } },
  });
  await assert.rejects(paying(url), (e) => e.code === 'TRANSACTION_FAILED');
  refuse = false;
  assert.equal((await paying(url)).status, 200);
});

test('a direct transfer is sent by a wallet that can send: a viem Account (it cannot) is passed over, or refused before approval', async (t) => {
  const { chain, url, rpc: rpcUrls } = await headerDialect(t);
  const account = viemWallet(privateKeyToAccount(TEST_KEY));
  const before = await chain.balanceOf(PAY_TO);
  let asked = 0;
  const approve = () => {
    asked += 1;
    return true;
  };
  const both = x402.wrapFetch(fetch, { wallets: [account, x402.evmPrivateKeyWallet(TEST_KEY)], rpc: rpcUrls, onPaymentRequired: approve });
  assert.equal((await both(url)).status, 200);
  assert.equal((await chain.balanceOf(PAY_TO)) - before, 10_000n);
  const alone = x402.wrapFetch(fetch, { wallets: [account], rpc: rpcUrls, onPaymentRequired: approve });
  await assert.rejects(alone(url), (e) => e.code === 'WALLET_UNSUPPORTED' && /WalletClient/.test(e.message));
  assert.equal(asked, 1);
});

test("a wallet's error keeps only the package's codes; ethers' ACTION_REJECTED is USER_REJECTED", async (t) => {
  const server = await serverFor(t, { routes: { '/p': { accepts: [usdc()] } } });
  for (const [code, expected] of [['ACTION_REJECTED', 'USER_REJECTED'], ['ECONNRESET', 'WALLET_ERROR'], ['USER_REJECTED', 'USER_REJECTED']]) {
    const wallet = {
      kind: 'evm',
      address: PAYER_EVM,
      signTypedData: async () => {
        throw Object.assign(new Error(`wallet says ${code}`), { code });
      },
    };
    const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
    await assert.rejects(paying(server.url('/p')), (e) => e instanceof x402.X402Error && e.code === expected, code);
  }
  assert.equal(server.payments.length, 0);
});

test('a wallet that cannot make a payment is not chosen for it', async (t) => {
  const server = await serverFor(t, { routes: { '/p': { accepts: [SOLANA_DEVNET, usdc()] } } });
  // A Solana wallet that can only sign and send (no signTransaction): not for `exact`.
  let asked = 0;
  const sendOnly = { kind: 'solana', address: SOLANA_DEVNET.payTo, sendTransaction: async () => { asked += 1; } };
  const counting = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [sendOnly, counting.wallet] });
  const response = await paying(server.url('/p'));
  assert.equal(response.status, 200);
  assert.equal(server.payments[0].payload.accepted.network, 'eip155:84532');
  assert.equal(asked, 0);
  const alone = x402.wrapFetch(fetch, { wallets: [sendOnly], onPaymentRequired: () => assert.fail('asked to approve') });
  const solanaOnly = await serverFor(t, { routes: { '/p': { accepts: [SOLANA_DEVNET] } } });
  // Alone, it is refused before anyone is asked, naming what it lacks.
  await assert.rejects(alone(solanaOnly.url('/p')), (e) => e.code === 'WALLET_UNSUPPORTED' && /signTransaction/.test(e.message));
});

test('a wallet whose address getter throws (disconnected, revoked) fails with WALLET_ERROR, its error as cause; the budget is kept', async (t) => {
  const server = await serverFor(t, { routes: { '/evm': { accepts: [usdc()] }, '/sol': { accepts: [SOLANA_DEVNET] } } });
  const thrown = new Error('wallet disconnected');
  let signed = 0;
  const wallets = {
    evm: { kind: 'evm', get address() { throw thrown; }, signTypedData: async () => { signed += 1; return '0x'; } },
    sol: { kind: 'solana', get address() { throw thrown; }, signTransaction: async (bytes) => { signed += 1; return bytes; } },
  };
  for (const [path, wallet] of Object.entries(wallets)) {
    const coded = (e) => e instanceof x402.X402Error && e.code === 'WALLET_ERROR' && e.cause === thrown;
    const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { total: '0.01' } } });
    await assert.rejects(paying(server.url(`/${path}`)), coded, path);
    const challenge = { x402Version: 2, resource: { url: server.url(`/${path}`) }, accepts: [path === 'evm' ? usdc() : SOLANA_DEVNET] };
    await assert.rejects(x402.createPaymentPayload(challenge, 0, wallet), coded, path);
    // Nothing left the client: the budget of one payment is still there (the next try reaches the wallet again).
    await assert.rejects(paying(server.url(`/${path}`)), coded, `${path}, second try`);
  }
  assert.equal(signed, 0);
  assert.equal(server.payments.length, 0);
});

test('shareBudgetWith: two paying fetches spend one budget, each under its own limits', async (t) => {
  const server = await serverFor(t, { routes: { '/p': { accepts: [usdc()] } } });
  const first = x402.wrapFetch(fetch, { wallets: [countingWallet(x402).wallet], policy: { budget: { total: '0.03' } } });
  const second = x402.wrapFetch(fetch, {
    wallets: [countingWallet(x402).wallet],
    policy: { budget: { total: '0.02' } },
    shareBudgetWith: first,
  });
  assert.equal((await first(server.url('/p'))).status, 200);
  assert.equal((await second(server.url('/p'))).status, 200);
  // 0.02 spent between them: the second's own total is reached, the first's is not.
  await assert.rejects(second(server.url('/p')), (e) => e.code === 'BUDGET_EXCEEDED');
  assert.equal((await first(server.url('/p'))).status, 200);
  await assert.rejects(first(server.url('/p')), (e) => e.code === 'BUDGET_EXCEEDED');
  assert.equal(server.payments.length, 3);
  for (const bad of [fetch, () => {}, {}, 'first']) {
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [], shareBudgetWith: bad }), (e) => e.code === 'INVALID_ARGUMENT');
  }
});

test('the approval question leaves out `resource` when the 402 names none', async () => {
  const requirement = usdc();
  const header = x402.encodeHeader({ x402Version: 2, accepts: [requirement] });
  const fake = async () => new Response('{}', { status: 402, headers: { 'PAYMENT-REQUIRED': header, 'content-type': 'application/json' } });
  let question;
  const paying = x402.wrapFetch(fake, {
    wallets: [countingWallet(x402).wallet],
    onPaymentRequired: (q) => {
      question = q;
      return false;
    },
  });
  await assert.rejects(paying('http://127.0.0.1:9/p'), (e) => e.code === 'PAYMENT_REJECTED');
  assert.equal(Object.hasOwn(question, 'resource'), false);
  assert.equal(question.amountFormatted, '0.01 USDC');
});
