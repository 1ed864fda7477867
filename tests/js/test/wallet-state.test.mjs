// A wallet whose state changes while a payment is in flight (found by a review of MetaMask-like
// wallets, 2026-11-22): an abort while a chain-switch prompt is open sends nothing, whichever adapter;
// a busy (-32002) or disconnected (4900) wallet asked to switch says so; a signature prompt left
// open past maxTimeoutSeconds gives the budget back; and a direct transfer's receipt names the
// account that actually sent it. The wallets are scripted EIP-1193 providers, no chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, custom } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { loadX402 } from '../lib/x402.mjs';
import { paymentRequiredHeaders, usdc, PAY_TO } from '../lib/paid-server.mjs';

const x402 = await loadX402();
const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const bob = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const USDC_BASE = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
const HASH = `0x${'5e'.repeat(32)}`;
const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rpcError = (code, message) => Object.assign(new Error(message), { code });
const word = (hex) => `0x${hex.replace(/^0x/, '').toLowerCase().padStart(64, '0')}`;

/**
 * A MetaMask-like provider on `chainId`, signing as `account`; `hooks[method](params, n)` answers
 * first when it returns something. `calls` lists every method asked, in order.
 */
function provider({ chainId, account = alice, hooks = {} }) {
  const calls = [];
  const state = { chainId };
  const counts = {};
  return {
    calls,
    async request({ method, params }) {
      calls.push(method);
      counts[method] = (counts[method] ?? 0) + 1;
      const hooked = await hooks[method]?.(params, counts[method]);
      if (hooked !== undefined) return hooked;
      switch (method) {
        case 'eth_accounts':
        case 'eth_requestAccounts':
          return [account.address];
        case 'eth_chainId':
          return `0x${state.chainId.toString(16)}`;
        case 'wallet_switchEthereumChain':
          state.chainId = Number(BigInt(params[0].chainId));
          return null;
        case 'eth_signTypedData_v4': {
          const typed = JSON.parse(params[1]);
          const { EIP712Domain, ...types } = typed.types;
          return account.signTypedData({ domain: typed.domain, types, primaryType: typed.primaryType, message: typed.message });
        }
        default:
          throw rpcError(4200, `${method} is not scripted`);
      }
    },
  };
}

const adapters = {
  eip1193Wallet: (p) => x402.eip1193Wallet(p),
  'viemWallet(WalletClient)': (p) => x402.viemWallet(createWalletClient({ transport: custom(p) })),
};

/** A seed 003 server (X-402-* headers on Base) that takes any proof. */
const seed003 = async (input, init) => {
  const request = new Request(input, init);
  if (request.headers.get('x-402-payment-proof')) return new Response('{"paid":true}', { headers: { 'content-type': 'application/json' } });
  return new Response('{}', {
    status: 402,
    headers: {
      'X-402-Version': '1', 'X-402-Amount': '0.01', 'X-402-Currency': 'USD', 'X-402-Network': 'eip155:8453',
      'X-402-Token': 'USDC', 'X-402-Receiver': PAY_TO,
    },
  });
};

/** An x402 v2 server on Base Sepolia answering 402 with `requirement`, then 200 to any payment. */
const x402Server = (requirement) => async (input, init) => {
  const request = new Request(input, init);
  if (request.headers.get('payment-signature')) return new Response('ok');
  const required = { x402Version: 2, resource: { url: request.url }, accepts: [requirement] };
  return new Response('{}', { status: 402, headers: paymentRequiredHeaders(required) });
};

/**
 * A hook that aborts `controller` while the wallet's prompt is open, then lets the provider answer
 * as usual (the user accepts: the chain really switches).
 */
const abortMeanwhile = (controller) => async () => {
  controller.abort();
  await sleep(50);
  return undefined;
};

test('an abort while the chain-switch prompt is open sends no transfer, whichever adapter', { timeout: 20_000 }, async () => {
  for (const [name, make] of Object.entries(adapters)) {
    const controller = new AbortController();
    const p = provider({
      chainId: 1,
      hooks: {
        wallet_switchEthereumChain: abortMeanwhile(controller),
        eth_sendTransaction: () => HASH,
      },
    });
    const paying = x402.wrapFetch(seed003, { wallets: [make(p)], rpc: { 'eip155:8453': 'http://127.0.0.1:9/' } });
    await assert.rejects(paying('https://seed.example/paid', { signal: controller.signal }), { name: 'AbortError' }, name);
    await sleep(100); // the switch prompt answered after the abort
    assert.ok(p.calls.includes('wallet_switchEthereumChain'), name);
    assert.ok(!p.calls.includes('eth_sendTransaction'), `${name}: ${p.calls}`);
  }
});

test('an abort while the wallet switches chains or looks up its account asks for no signature', { timeout: 20_000 }, async () => {
  for (const [name, make] of Object.entries(adapters)) {
    // The adapter's own account lookup (the second eth_accounts; the first is the core's), or its
    // chain switch, is where the call is aborted.
    for (const step of ['wallet_switchEthereumChain', 'eth_accounts']) {
      const controller = new AbortController();
      const abort = abortMeanwhile(controller);
      const hook = step === 'eth_accounts' ? (params, n) => (n === 2 ? abort().then(() => [alice.address]) : undefined) : abort;
      const p = provider({ chainId: 1, hooks: { [step]: hook } });
      const paying = x402.wrapFetch(x402Server(usdc()), { wallets: [make(p)] });
      await assert.rejects(paying('https://api.example/x', { signal: controller.signal }), { name: 'AbortError' }, `${name} ${step}`);
      await sleep(100);
      assert.ok(controller.signal.aborted && p.calls.includes(step), `${name} ${step}: ${p.calls}`);
      assert.ok(!p.calls.includes('eth_signTypedData_v4'), `${name} ${step}: ${p.calls}`);
      if (step === 'eth_accounts') assert.ok(!p.calls.includes('wallet_switchEthereumChain'), `${name}: ${p.calls}`);
    }
  }
});

test('a wallet busy with another request (-32002) or disconnected (4900) when asked to switch says so, not CHAIN_NOT_AVAILABLE', async () => {
  for (const [name, make] of Object.entries(adapters)) {
    for (const code of [-32002, 4900, 4901]) {
      const p = provider({ chainId: 1, hooks: { wallet_switchEthereumChain: () => { throw rpcError(code, `code ${code}`); } } });
      const paying = x402.wrapFetch(x402Server(usdc()), { wallets: [make(p)] });
      await assert.rejects(paying('https://api.example/x'), (error) => {
        assert.equal(error.code, 'WALLET_ERROR', `${name} ${code}: ${error.message}`);
        return true;
      });
    }
    // A chain the wallet does not know is still CHAIN_NOT_AVAILABLE.
    const unknown = provider({ chainId: 1, hooks: { wallet_switchEthereumChain: () => { throw rpcError(4902, 'Unrecognized chain'); } } });
    await assert.rejects(x402.wrapFetch(x402Server(usdc()), { wallets: [make(unknown)] })('https://api.example/x'), { code: 'CHAIN_NOT_AVAILABLE' });
  }
});

test('a signature prompt left open past maxTimeoutSeconds is PAYMENT_EXPIRED and gives the budget back', { timeout: 20_000 }, async () => {
  let answered = false;
  const p = provider({ chainId: 84532, hooks: { eth_signTypedData_v4: () => new Promise(() => {}) } });
  const closed = x402.wrapFetch(x402Server(usdc({ maxTimeoutSeconds: 1 })), {
    wallets: [x402.eip1193Wallet(p)],
    policy: { budget: { total: '0.01' } },
  });
  await assert.rejects(closed('https://api.example/x'), (error) => {
    assert.equal(error.code, 'PAYMENT_EXPIRED');
    assert.match(error.message, /did not sign within the payment's 1 s/);
    return true;
  });
  // The cent is free again for a wallet that answers.
  const prompt = provider({ chainId: 84532, hooks: { eth_signTypedData_v4: () => { answered = true; } } });
  const shared = x402.wrapFetch(x402Server(usdc()), {
    wallets: [x402.eip1193Wallet(prompt)],
    policy: { budget: { total: '0.01' } },
    shareBudgetWith: closed,
  });
  assert.equal((await shared('https://api.example/y')).status, 200);
  assert.ok(answered);
});

test('a direct transfer sent from another account than the one the wallet named: the receipt names the sender', async () => {
  let sender;
  const p = provider({
    chainId: 8453,
    hooks: {
      // The wallet names alice, but sends from bob, its current account (the user switched
      // while the prompt was open; the wallet ignores the `from` it was given).
      eth_accounts: () => [alice.address],
      eth_sendTransaction: () => {
        sender = bob.address;
        return HASH;
      },
      eth_getTransactionReceipt: () => ({
        transactionHash: HASH,
        status: '0x1',
        logs: [{ address: USDC_BASE, topics: [TRANSFER_TOPIC, word(sender), word(PAY_TO)], data: word((10_000).toString(16)), removed: false }],
      }),
    },
  });
  const events = [];
  const paying = x402.wrapFetch(seed003, { wallets: [x402.eip1193Wallet(p)], onEvent: (e) => events.push(e) });
  const response = await paying('https://seed.example/paid');
  assert.equal(response.status, 200);
  assert.equal(sender.toLowerCase(), bob.address.toLowerCase());
  assert.equal(x402.getPaymentReceipt(response).payer, bob.address);
  assert.equal(events.find((e) => e.type === 'settled').receipt.payer, bob.address);
});
