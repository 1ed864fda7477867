// The hooks keep the spending promises when the app re-renders, re-creates its provider, or starts
// requests over one another: an open question is never stranded holding the budget, a provider made
// again keeps what was spent, and a loaded (paid) resource is not paid for again.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { React, X402Provider, consoleErrors, createRoot, reactVersion, usePaidResource, useX402Fetch, x402 } from '../lib/env.mjs';
import { createWalletClient, custom } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { inAct, mount, mountProvider, probe, tick, until } from '../lib/render.mjs';
import { fakeServer, testWallet } from '../lib/fake-server.mjs';

const CENT = '10000';
const routes = {
  '/a': { price: CENT, body: { a: 1 } },
  '/b': { price: CENT, body: { b: 2 } },
  '/free': { body: { free: true } },
};
const oneCent = { budget: { total: '0.01' } };
const resource = (server, path) => probe(({ url }) => usePaidResource(url), { url: path && server.url(path) });

after(() => assert.deepEqual(consoleErrors, [], 'React logged errors'));

test(`React ${reactVersion}: a newer request declines the open question and gives its budget back`, async (t) => {
  const server = fakeServer(routes);
  const mine = probe(useX402Fetch);
  const other = probe(useX402Fetch);
  await mountProvider(t, server, [mine, other], { policy: oneCent });
  const paid = await inAct(() => mine.latest.fetch(server.url('/a')));
  await until(() => mine.latest.pendingPayment !== null);
  // A free request of the same component: the paid one's question is declined, not stranded.
  const free = await inAct(() => mine.latest.fetch(server.url('/free')));
  assert.equal((await paid.done).error.code, 'PAYMENT_SUPERSEDED');
  assert.equal((await free.done).value.status, 200);
  assert.equal(mine.latest.pendingPayment, null);
  // Its cent was given back: the other component can spend it.
  const next = await inAct(() => other.latest.fetch(server.url('/b')));
  await until(() => other.latest.pendingPayment !== null);
  await inAct(() => other.latest.pendingPayment.approve());
  assert.equal((await next.done).value.status, 200);
  assert.deepEqual(server.payments.map((p) => p.path), ['/b']);
});

test(`React ${reactVersion}: an already aborted call leaves the open question answerable`, async (t) => {
  const server = fakeServer(routes);
  const hook = probe(useX402Fetch);
  await mountProvider(t, server, [hook]);
  const paid = await inAct(() => hook.latest.fetch(server.url('/a')));
  await until(() => hook.latest.pendingPayment !== null);
  const aborted = await inAct(() => hook.latest.fetch(server.url('/b'), { signal: AbortSignal.abort() }));
  assert.equal((await aborted.done).error.name, 'AbortError');
  assert.equal(hook.latest.status, 'awaiting-approval');
  await inAct(() => hook.latest.pendingPayment.approve());
  assert.equal((await paid.done).value.status, 200);
  await until(() => hook.latest.status === 'settled');
  assert.notEqual(hook.latest.receipt, null);
  assert.deepEqual(server.requests.map((r) => r.path), ['/a', '/a']);
});

test(`React ${reactVersion}: a provider made again keeps the spending and does not reload what was paid`, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  const other = probe(useX402Fetch);
  const view = await mountProvider(t, server, [page, other], { policy: oneCent });
  await until(() => page.latest.pendingPayment !== null);
  await inAct(() => page.latest.pendingPayment.approve());
  await until(() => page.latest.status === 'settled' && !page.latest.loading);
  // An equal policy written in the render, then a different one: the fetch is made again.
  await view.rerender([page, other], { policy: { budget: { total: '0.01' } } });
  const before = other.latest.fetch;
  await view.rerender([page, other], { policy: { budget: { total: '0.01' }, maxPerPayment: '0.50' } });
  assert.notEqual(other.latest.fetch, before);
  await tick(20);
  assert.deepEqual(page.latest.data, { a: 1 });
  assert.equal(server.requests.length, 2, 'the paid resource was not loaded again');
  // The new policy's total counts the cent spent under the old one.
  const more = await inAct(() => other.latest.fetch(server.url('/b')));
  assert.equal((await more.done).error.code, 'BUDGET_EXCEEDED');
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: a load that failed is tried again when the wallets change`, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  const view = await mountProvider(t, server, [page], { wallets: [] });
  await until(() => page.latest.error !== null);
  assert.equal(page.latest.error.code, 'NO_MATCHING_REQUIREMENT');
  await view.rerender([page], { wallets: [view.wallet] });
  await until(() => page.latest.pendingPayment !== null);
  await inAct(() => page.latest.pendingPayment.approve());
  await until(() => page.latest.status === 'settled' && !page.latest.loading);
  assert.deepEqual(page.latest.data, { a: 1 });
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: refetch() while the paid request is under way does not pay again`, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  await mountProvider(t, server, [page]);
  await until(() => page.latest.pendingPayment !== null);
  const hold = server.holdPaid();
  await inAct(() => page.latest.pendingPayment.approve());
  await until(() => page.latest.status === 'paying');
  await inAct(() => page.latest.refetch());
  hold.open();
  await until(() => page.latest.status === 'settled' && !page.latest.loading);
  await tick(20);
  assert.deepEqual(page.latest.data, { a: 1 });
  assert.deepEqual(server.requests, [{ path: '/a', paid: false }, { path: '/a', paid: true }]);
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: StrictMode at the root (effects run twice): one question, one payment`, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  const wallet = testWallet();
  const provider = React.createElement(X402Provider, { wallets: [wallet], fetch: server.fetch }, page.element());
  const view = await mount(React.createElement(React.StrictMode, null, provider));
  t.after(view.unmount);
  await until(() => page.latest.pendingPayment !== null);
  const question = page.latest.pendingPayment;
  await tick(20);
  assert.equal(page.latest.pendingPayment, question, 'asked once');
  await inAct(() => question.approve());
  await until(() => page.latest.status === 'settled' && !page.latest.loading);
  assert.deepEqual(page.latest.data, { a: 1 });
  assert.equal(wallet.signatures, 1);
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: a wallet connected while the first load is under way is used once that load fails`, async (t) => {
  const server = fakeServer(routes);
  let open;
  const gate = new Promise((resolve) => {
    open = resolve;
  });
  const slow = async (...args) => {
    await gate;
    return server.fetch(...args);
  };
  const page = resource(server, '/a');
  const view = await mountProvider(t, server, [page], { wallets: [], fetch: slow });
  await tick(10);
  await view.rerender([page], { wallets: [view.wallet] });
  open();
  await until(() => page.latest.pendingPayment !== null);
  await inAct(() => page.latest.pendingPayment.approve());
  await until(() => page.latest.status === 'settled' && !page.latest.loading);
  assert.deepEqual(page.latest.data, { a: 1 });
  assert.equal(server.payments.length, 1);
});

// Functions written inline in the render (an arrow for policy.select, fetch or onEvent, a wallet
// adapter made at each render) must not make a new paying fetch whose load is retried at each render.

/** A new adapter object over `wallet` at each call, as `wallets={[eip1193Wallet(window.ethereum)]}` makes. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Renders `element` and lets it run for `ms` as in a browser, outside act(): a render loop then
 * shows as a count of requests instead of holding act() forever. Unmounted after the test.
 */
async function runOutsideAct(t, element, ms) {
  const root = createRoot(document.createElement('div'));
  t.after(() => React.act(async () => root.unmount()));
  globalThis.IS_REACT_ACT_ENVIRONMENT = false;
  try {
    root.render(element);
    await sleep(ms);
  } finally {
    globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  }
}

const inlineAdapter = (wallet) => ({
  kind: 'evm',
  getAddress: () => wallet.getAddress(),
  signTypedData: (typedData) => wallet.signTypedData(typedData),
});

test(`React ${reactVersion}: functions written inline (fetch, policy.select, facilitator headers, onEvent) keep the paying fetch; the latest render's are called`, async (t) => {
  const server = fakeServer(routes);
  const hook = probe(useX402Fetch);
  const wallets = [testWallet()];
  const selected = [];
  const events = [];
  const app = (n) =>
    React.createElement(
      X402Provider,
      {
        wallets,
        fetch: (...args) => server.fetch(...args),
        policy: {
          maxPerPayment: '0.05',
          select: (requirements) => {
            selected.push(n);
            return requirements[0];
          },
        },
        facilitators: [{ url: 'https://facilitator.example.test', headers: () => ({ authorization: `render ${n}` }) }],
        onEvent: (event) => events.push(`${n} ${event.type}`),
      },
      hook.element(),
    );
  const view = await mount(app(1));
  t.after(view.unmount);
  const first = hook.latest.fetch;
  await view.rerender(app(2));
  await view.rerender(app(3));
  assert.ok(hook.renders.length >= 3);
  assert.equal(hook.latest.fetch, first);
  const { done } = await inAct(() => hook.latest.fetch(server.url('/a')));
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.approve());
  assert.equal((await done).value.status, 200);
  assert.deepEqual(selected, [3]);
  assert.deepEqual(events, ['3 payment_required', '3 approved', '3 signed', '3 settled']);
  // A real change of value still makes a new paying fetch.
  await view.rerender(React.createElement(X402Provider, { wallets, fetch: server.fetch, policy: { maxPerPayment: '0.10' } }, hook.element()));
  assert.notEqual(hook.latest.fetch, first);
});

test(`React ${reactVersion}: a load the policy refused is not loaded again at each render of an app its events re-render (inline select and wallet adapter)`, async (t) => {
  const server = fakeServer({ '/dear': { price: '5000000', body: 'dear' } }); // $5, above the $1 cap
  const page = resource(server, '/dear');
  const wallet = testWallet();
  let renders = 0;
  function App() {
    const [, setEvents] = React.useState(0);
    renders += 1;
    return React.createElement(
      X402Provider,
      {
        wallets: [inlineAdapter(wallet)],
        fetch: server.fetch,
        policy: { maxPerPayment: '1', select: (requirements) => requirements[0] },
        onEvent: () => setEvents((n) => n + 1),
      },
      page.element(),
    );
  }
  await runOutsideAct(t, React.createElement(App), 300);
  assert.equal(page.latest.error?.code, 'PAYMENT_LIMIT_EXCEEDED');
  assert.equal(server.requests.length, 1, `${server.requests.length} requests`);
  assert.ok(renders < 10, `${renders} renders`);
});

test(`React ${reactVersion}: a load that found no wallet for the 402 is retried once for a wallet adapter made again, and again when a wallet really connects`, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  const wallet = testWallet();
  // A Solana wallet cannot pay the route's EVM requirement: NO_MATCHING_REQUIREMENT.
  const solanaAdapter = () => ({ kind: 'solana', getAddress: async () => '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin' });
  let connect;
  function App() {
    const [, setEvents] = React.useState(0);
    const [evm, setEvm] = React.useState(false);
    connect = () => setEvm(true);
    return React.createElement(
      X402Provider,
      {
        wallets: evm ? [solanaAdapter(), inlineAdapter(wallet)] : [solanaAdapter()],
        fetch: server.fetch,
        onEvent: () => setEvents((n) => n + 1),
      },
      page.element(),
    );
  }
  await runOutsideAct(t, React.createElement(App), 300);
  assert.equal(page.latest.error?.code, 'NO_MATCHING_REQUIREMENT');
  assert.equal(server.requests.length, 2, 'the first load, and one retry for the adapter made again');
  const before = server.requests.length;
  await inAct(() => connect());
  await until(() => page.latest.pendingPayment !== null);
  await inAct(() => page.latest.pendingPayment.approve());
  await until(() => page.latest.status === 'settled' && !page.latest.loading);
  assert.deepEqual(page.latest.data, { a: 1 });
  assert.equal(server.requests.length, before + 2);
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: a load the user refused is not asked again when the wallets change`, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  const view = await mountProvider(t, server, [page]);
  await until(() => page.latest.pendingPayment !== null);
  await inAct(() => page.latest.pendingPayment.reject());
  await until(() => page.latest.error !== null);
  assert.equal(page.latest.error.code, 'PAYMENT_REJECTED');
  await view.rerender([page], { wallets: [view.wallet, testWallet()] });
  await tick(50);
  assert.equal(page.latest.pendingPayment, null);
  assert.equal(page.latest.error.code, 'PAYMENT_REJECTED');
  assert.deepEqual(server.requests, [{ path: '/a', paid: false }]);
  // refetch() asks again.
  await inAct(() => page.latest.refetch());
  await until(() => page.latest.pendingPayment !== null);
});

test(`React ${reactVersion}: a load the policy refused is tried again when the policy really changes`, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  const view = await mountProvider(t, server, [page], { policy: { maxPerPayment: '0.001' } });
  await until(() => page.latest.error !== null);
  assert.equal(page.latest.error.code, 'PAYMENT_LIMIT_EXCEEDED');
  await view.rerender([page], { policy: { maxPerPayment: '0.001' } });
  await tick(20);
  assert.equal(server.requests.length, 1, 'an equal policy changes nothing');
  await view.rerender([page], { policy: { maxPerPayment: '0.05' } });
  await until(() => page.latest.pendingPayment !== null);
  await inAct(() => page.latest.pendingPayment.approve());
  await until(() => page.latest.status === 'settled' && !page.latest.loading);
  assert.deepEqual(page.latest.data, { a: 1 });
  assert.equal(server.payments.length, 1);
});

const BOB_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

test(`React ${reactVersion}: wallets changed while a load waits for approval: it asks again, and the new wallet pays`, { timeout: 20_000 }, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  const view = await mountProvider(t, server, [page]);
  await until(() => page.latest.pendingPayment !== null);
  const asked = page.latest.pendingPayment;
  // The account switched (another wallet), then no wallet at all: each time the open question goes.
  const bob = x402.evmPrivateKeyWallet(BOB_KEY);
  await view.rerender([page], { wallets: [bob] });
  await until(() => page.latest.pendingPayment !== null && page.latest.pendingPayment !== asked);
  await inAct(() => page.latest.pendingPayment.approve());
  await until(() => page.latest.status === 'settled' && !page.latest.loading);
  assert.deepEqual(page.latest.data, { a: 1 });
  assert.deepEqual(server.payments.map((p) => p.payer), [bob.address]);
  assert.equal(view.wallet.signatures, 0, 'the wallet removed never signed');
});

/** `server.fetch` whose first unpaid request answers only once `gate.open()` is called. */
function gatedFetch(server) {
  let open;
  const gate = new Promise((resolve) => (open = resolve));
  let first = true;
  const fetch = async (input, init) => {
    const unpaid = !new Headers(init?.headers ?? input?.headers).has('payment-signature');
    if (unpaid && first) {
      first = false;
      await gate;
    }
    return server.fetch(input, init);
  };
  return { fetch, open };
}

test(`React ${reactVersion}: wallets changed before a useX402Fetch call's question opens: it is declined too`, { timeout: 20_000 }, async (t) => {
  const server = fakeServer(routes);
  const gated = gatedFetch(server);
  const hook = probe(useX402Fetch);
  const view = await mountProvider(t, server, [hook], { fetch: gated.fetch });
  const call = await inAct(() => hook.latest.fetch(server.url('/a')));
  await view.rerender([hook], { fetch: gated.fetch, wallets: [x402.evmPrivateKeyWallet(BOB_KEY)] });
  await inAct(() => gated.open()); // its 402 arrives after the change
  const { error } = await call.done;
  assert.equal(error?.code, 'PAYMENT_SUPERSEDED');
  assert.equal(server.payments.length, 0);
  assert.equal(view.wallet.signatures, 0);
});

test(`React ${reactVersion}: wallets changed while a free load is under way: it is not sent again`, { timeout: 20_000 }, async (t) => {
  const server = fakeServer(routes);
  const gated = gatedFetch(server);
  const page = resource(server, '/free');
  const view = await mountProvider(t, server, [page], { fetch: gated.fetch });
  await view.rerender([page], { fetch: gated.fetch, wallets: [x402.evmPrivateKeyWallet(BOB_KEY)] });
  await inAct(() => gated.open());
  await until(() => !page.latest.loading && page.latest.data !== undefined);
  assert.deepEqual(page.latest.data, { free: true });
  assert.deepEqual(server.requests, [{ path: '/free', paid: false }]);
});

test(`React ${reactVersion}: wallets changed while a useX402Fetch call waits for approval: it is declined, nothing paid`, { timeout: 20_000 }, async (t) => {
  const server = fakeServer(routes);
  const hook = probe(useX402Fetch);
  const view = await mountProvider(t, server, [hook]);
  const call = await inAct(() => hook.latest.fetch(server.url('/a')));
  await until(() => hook.latest.pendingPayment !== null);
  await view.rerender([hook], { wallets: [] });
  const { error } = await call.done;
  assert.equal(error.code, 'PAYMENT_SUPERSEDED');
  assert.match(error.message, /wallets or settings changed/);
  assert.equal(server.payments.length, 0);
  assert.equal(view.wallet.signatures, 0);
});

test(`React ${reactVersion}: the account switched in eip1193Wallet({ account }), or another Solana wallet, while a question is open: declined, nothing paid from the account left`, { timeout: 20_000 }, async (t) => {
  const alice = x402.evmPrivateKeyWallet(`0x${'22'.repeat(32)}`);
  const bob = x402.evmPrivateKeyWallet(BOB_KEY);
  // One injected provider with both accounts connected (MetaMask with two accounts).
  const signedBy = [];
  const ethereum = {
    async request({ method, params }) {
      if (method === 'eth_accounts' || method === 'eth_requestAccounts') return [alice.address, bob.address];
      if (method === 'eth_chainId') return '0x2105';
      if (method === 'eth_signTypedData_v4') {
        const [address, json] = params;
        const { types: { EIP712Domain, ...types }, domain, primaryType, message } = JSON.parse(json);
        const key = [alice, bob].find((k) => k.address.toLowerCase() === address.toLowerCase());
        signedBy.push(key.address);
        return key.signTypedData({ domain, types, primaryType, message });
      }
      throw Object.assign(new Error(`unsupported ${method}`), { code: 4200 });
    },
  };
  const standard = (name, address) => ({
    name, accounts: [{ address }], features: { 'solana:signTransaction': { signTransaction: async () => assert.fail('no Solana payment here') } },
  });
  const phantom = standard('Phantom', '9iwnHYithMG2kK9j7HnNWsvn9MaJVqSqmdEN62xyKc8K');
  const solflare = standard('Solflare', 'A8pFDXgRiTVHhKsJqmMV2rYsfHok8dH2xaqdyFYwvueD');
  const switches = {
    'EVM account': [[x402.eip1193Wallet(ethereum, { account: alice.address })], [x402.eip1193Wallet(ethereum, { account: bob.address })]],
    'Solana wallet': [[x402.eip1193Wallet(ethereum), x402.solanaWallet(phantom)], [x402.eip1193Wallet(ethereum), x402.solanaWallet(solflare)]],
    'Solana account': [[x402.eip1193Wallet(ethereum), x402.solanaWallet(phantom, { account: 'A' })], [x402.eip1193Wallet(ethereum), x402.solanaWallet(phantom, { account: 'B' })]],
  };
  for (const [what, [before, after]] of Object.entries(switches)) {
    signedBy.length = 0;
    const server = fakeServer(routes);
    const hook = probe(useX402Fetch);
    const element = (wallets) => React.createElement(X402Provider, { wallets, fetch: server.fetch }, hook.element());
    const view = await mount(element(before));
    const call = await inAct(() => hook.latest.fetch(server.url('/a')));
    await until(() => hook.latest.pendingPayment !== null);
    const asked = hook.latest.pendingPayment;
    await view.rerender(element(after));
    const { error } = await call.done;
    assert.equal(error?.code, 'PAYMENT_SUPERSEDED', what);
    await inAct(() => asked.approve()); // the stale question's approval pays nothing
    await tick(20);
    assert.deepEqual([server.payments.length, signedBy.length], [0, 0], what);
    // An adapter made again with the same account is the same setting: a question stays open.
    const again = await inAct(() => hook.latest.fetch(server.url('/b')));
    await until(() => hook.latest.pendingPayment !== null);
    await view.rerender(element(what === 'EVM account'
      ? [x402.eip1193Wallet(ethereum, { account: bob.address })]
      : [x402.eip1193Wallet(ethereum), x402.solanaWallet(what === 'Solana wallet' ? solflare : phantom, what === 'Solana wallet' ? {} : { account: 'B' })]));
    await inAct(() => hook.latest.pendingPayment.approve());
    assert.equal((await again.done).value?.status, 200, what);
    await view.unmount();
  }
});

test(`React ${reactVersion}: a viem WalletClient adapter written in the render of an app its events re-render: asked once, no request loop`, { timeout: 20_000 }, async (t) => {
  const server = fakeServer(routes);
  const page = resource(server, '/a');
  const account = privateKeyToAccount(BOB_KEY);
  function App() {
    const [, setEvents] = React.useState(0);
    // A new client (with a new random uid) at each render: the same account and chain.
    const wallets = [x402.viemWallet(createWalletClient({ account, transport: custom({ request: async () => null }) }))];
    return React.createElement(X402Provider, { wallets, fetch: server.fetch, onEvent: () => setEvents((n) => n + 1) }, page.element());
  }
  const view = await mount(React.createElement(App));
  t.after(view.unmount);
  await until(() => page.latest.pendingPayment !== null);
  const asked = page.latest.pendingPayment;
  await tick(300);
  assert.equal(page.latest.pendingPayment, asked, 'the same question stays open');
  assert.deepEqual(server.requests, [{ path: '/a', paid: false }]);
});

// An open question holds its budget reservation; a load the budget refused meanwhile is tried again
// once the question is declined (the cent was only held), not left in BUDGET_EXCEEDED.
test(`React ${reactVersion}: a load refused BUDGET_EXCEEDED while another's question held the budget is asked again once that question is declined`, async (t) => {
  const h = React.createElement;
  const server = fakeServer({ '/a': { price: '10000', body: { a: 1 } }, '/b': { price: '10000', body: { b: 2 } } });
  const wallets = [testWallet()];
  const policy = { budget: { total: '0.01' } };
  const a = probe(({ url }) => usePaidResource(url), { url: server.url('/a') });
  const b = probe(({ url }) => usePaidResource(url), { url: server.url('/b') });
  const view = await mount(h(X402Provider, { wallets, fetch: server.fetch, policy }, a.element()));
  t.after(view.unmount);
  await until(() => a.latest.pendingPayment);
  await view.rerender(h(X402Provider, { wallets, fetch: server.fetch, policy }, a.element(), b.element()));
  await until(() => !b.latest.loading);
  assert.equal(b.latest.error?.code, 'BUDGET_EXCEEDED');
  await inAct(() => a.latest.pendingPayment.reject());
  await until(() => b.latest.pendingPayment);
  await inAct(() => b.latest.pendingPayment.approve());
  await until(() => !b.latest.loading);
  assert.deepEqual(b.latest.data, { b: 2 });
  assert.equal(a.latest.error?.code, 'PAYMENT_REJECTED');
  assert.deepEqual(server.payments.map((p) => p.path), ['/b']);
});
