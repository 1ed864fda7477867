// wrapFetch selection and spend policy (issue 5, section 3): preferences, a custom selector, the
// per-payment cap in dollars, unknown assets, payTo lists; every refusal is a coded X402Error
// thrown before any wallet call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor, usdc, baseUsdc, countingWallet, PAY_TO } from '../lib/paid-server.mjs';

const x402 = await loadX402();

const OTHER_PAY_TO = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const TOKEN = '0x1111111111111111111111111111111111111111';
const token = (overrides = {}) => usdc({ asset: TOKEN, amount: '500000000000000000', extra: { name: 'Token', version: '1' }, ...overrides });
const SOLANA_DEVNET = {
  scheme: 'exact', network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1', amount: '10000',
  asset: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU', payTo: '2wKupLR9q6wXYppw8Gr2NvWxKBUqm4PPJKkQfoxHDBg4',
  maxTimeoutSeconds: 60, extra: { feePayer: '2wKupLR9q6wXYppw8Gr2NvWxKBUqm4PPJKkQfoxHDBg4' },
};

/** Pays `accepts` once under `options`; returns the outcome and what the server and wallet saw. */
async function payOnce(t, accepts, options = {}) {
  const server = await serverFor(t, { routes: { '/p': { accepts } } });
  const counting = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [counting.wallet], ...options });
  let response;
  let error;
  try {
    response = await paying(server.url('/p'));
  } catch (e) {
    error = e;
  }
  return { server, response, error, calls: counting.calls, paid: server.payments[0]?.payload?.accepted };
}

function assertRefused(outcome, code) {
  assert.ok(outcome.error, `expected ${code}, got status ${outcome.response?.status}`);
  assert.ok(outcome.error instanceof x402.X402Error, `not an X402Error: ${outcome.error}`);
  assert.equal(outcome.error.code, code, outcome.error.message);
  assert.equal(outcome.calls.signTypedData.length, 0, 'the wallet signed');
  assert.equal(outcome.calls.getAddress, 0, 'the wallet was asked its address');
  assert.equal(outcome.server.requests.length, 1, 'something was sent after the refusal');
}

test('policy: with no preference the server\'s first payable requirement is paid', async (t) => {
  const o = await payOnce(t, [usdc({ scheme: 'upto' }), baseUsdc(), usdc()]);
  assert.equal(o.response.status, 200);
  assert.equal(o.paid.network, 'eip155:8453');
});

test('policy: prefer.networks picks among several accepts (CAIP-2, v1 names, wildcards)', async (t) => {
  const accepts = [usdc(), baseUsdc()];
  assert.equal((await payOnce(t, accepts, { policy: { prefer: { networks: ['eip155:8453'] } } })).paid.network, 'eip155:8453');
  assert.equal((await payOnce(t, accepts, { policy: { prefer: { networks: ['base'] } } })).paid.network, 'eip155:8453');
  assert.equal((await payOnce(t, accepts.slice().reverse(), { policy: { prefer: { networks: ['base-sepolia', 'base'] } } })).paid.network, 'eip155:84532');
  // A wildcard ranks every EVM chain alike: the server order decides among them.
  assert.equal((await payOnce(t, [SOLANA_DEVNET, baseUsdc(), usdc()], { policy: { prefer: { networks: ['solana:*', 'eip155:*'] } } })).paid.network, 'eip155:8453');
});

test('policy: prefer.assets picks by address or by symbol', async (t) => {
  const allow = { assets: [{ network: 'eip155:84532', asset: TOKEN, decimals: 18, symbol: 'TKN', maxPerPayment: '1000000000000000000' }] };
  const accepts = [usdc(), token()];
  assert.equal((await payOnce(t, accepts, { policy: { ...allow } })).paid.asset, accepts[0].asset);
  assert.equal((await payOnce(t, accepts, { policy: { ...allow, prefer: { assets: [TOKEN.toUpperCase().replace('0X', '0x')] } } })).paid.asset, TOKEN);
  assert.equal((await payOnce(t, accepts, { policy: { ...allow, prefer: { assets: ['tkn'] } } })).paid.asset, TOKEN);
  assert.equal((await payOnce(t, accepts.slice().reverse(), { policy: { ...allow, prefer: { assets: ['USDC'] } } })).paid.asset, accepts[0].asset);
});

test('policy: prefer.schemes ranks schemes; an unpayable offered scheme is skipped', async (t) => {
  const o = await payOnce(t, [usdc({ scheme: 'upto' }), usdc()], { policy: { prefer: { schemes: ['transfer', 'exact'] } } });
  assert.equal(o.response.status, 200);
  assert.equal(o.paid.scheme, 'exact');
});

test('policy: a prefer entry that can match nothing is INVALID_POLICY when wrapping; the right ones take effect', async (t) => {
  const wallet = countingWallet(x402).wallet;
  for (const [prefer, named] of [
    [{ networks: ['bsae'] }, /"bsae"/],
    [{ networks: ['Base'] }, /did you mean "base"/],
    [{ networks: ['eip155:8453 '] }, /did you mean "eip155:8453"/],
    [{ networks: ['evm:*'] }, /"evm:\*"/],
    [{ assets: ['0x833589fcd6edb6e08f4c7c32d4f71b54bda0291'] }, /EVM address/], // 39 hex digits
    [{ schemes: ['EXACT'] }, /did you mean exact/],
    [{ schemes: ['upto'] }, /not a scheme this client pays/],
  ]) {
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [wallet], policy: { prefer } }), (e) => e.code === 'INVALID_POLICY' && named.test(e.message), JSON.stringify(prefer));
  }
  const accepts = [usdc(), baseUsdc()];
  assert.equal((await payOnce(t, accepts, { policy: { prefer: { networks: ['base'] } } })).paid.network, 'eip155:8453');
  assert.equal((await payOnce(t, accepts.slice().reverse(), { policy: { prefer: { networks: ['eip155:*'], assets: ['USDC'] } } })).paid.network, 'eip155:8453');
  assert.equal((await payOnce(t, accepts, { policy: { prefer: { assets: [baseUsdc().asset.toLowerCase()] } } })).paid.network, 'eip155:8453');
});

test('policy: a known stablecoin listed in policy.assets stays a dollar: the dollar cap and every budget still apply', async (t) => {
  const entry = { network: 'eip155:84532', asset: usdc().asset, decimals: 6, symbol: 'USDC', maxPerPayment: '1000000' }; // usd omitted
  const budget = { total: '0.50', perOrigin: '0.50', window: { seconds: 3600, amount: '0.50' } };
  // $0.40 is over the $0.10 cap, whatever the entry's own cap allows.
  assertRefused(await payOnce(t, [usdc({ amount: '400000' })], { policy: { maxPerPayment: '0.10', budget, assets: [entry] } }), 'PAYMENT_LIMIT_EXCEEDED');
  // $0.10 payments: five fit the budgets, the sixth does not; the approval shows dollars.
  const server = await serverFor(t, { routes: { '/p': { accepts: [usdc({ amount: '100000' })] } } });
  const shown = [];
  const paying = x402.wrapFetch(fetch, {
    wallets: [countingWallet(x402).wallet],
    policy: { maxPerPayment: '0.10', budget, assets: [entry] },
    onPaymentRequired: (q) => shown.push(q.amountFormatted) > 0,
  });
  for (let i = 0; i < 5; i++) assert.equal((await paying(server.url('/p'))).status, 200);
  await assert.rejects(paying(server.url('/p')), { code: 'BUDGET_EXCEEDED' });
  assert.equal(server.payments.length, 5);
  assert.deepEqual(new Set(shown), new Set(['0.1 USDC']));
  // The entry's own atomic cap applies too: the smaller wins.
  assertRefused(await payOnce(t, [usdc({ amount: '60000' })], { policy: { assets: [{ ...entry, maxPerPayment: '50000' }] } }), 'PAYMENT_LIMIT_EXCEEDED');
  // Other decimals than the token's would show and count it wrongly: refused, naming both.
  assert.throws(
    () => x402.wrapFetch(fetch, { wallets: [countingWallet(x402).wallet], policy: { assets: [{ ...entry, decimals: 18, usd: true }] } }),
    (e) => e.code === 'INVALID_POLICY' && e.message.includes(entry.asset) && /6 decimals, not 18/.test(e.message),
  );
});

test('policy: dollar amounts with a comma are refused (a thousands separator or a decimal comma?); refusals speak of dollars', () => {
  const wallet = countingWallet(x402).wallet;
  const refused = (policy, phrase) =>
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [wallet], policy }), (e) => e.code === 'INVALID_POLICY' && phrase.test(e.message) && !/asset/.test(e.message), JSON.stringify(policy));
  for (const amount of ['1,000', '1,000.50', '0,50']) {
    refused({ maxPerPayment: amount }, /comma/);
    refused({ budget: { total: amount } }, /comma/);
    refused({ budget: { perOrigin: amount } }, /comma/);
    refused({ budget: { window: { seconds: 60, amount } } }, /comma/);
  }
  refused({ maxPerPayment: '1 000' }, /grouped with spaces/);
  refused({ maxPerPayment: '$ 1' }, /no space may follow the \$/);
  refused({ maxPerPayment: '0.0000001' }, /at most 6 decimals \(micro-dollars\)/);
  refused({ budget: { total: '0.0000005' } }, /at most 6 decimals/);
  x402.wrapFetch(fetch, { wallets: [wallet], policy: { maxPerPayment: '1000', budget: { total: '$1.000' } } });
});

test('policy: a custom select callback sees the allowed requirements, most preferred first, and picks one', async (t) => {
  const seen = [];
  const accepts = [usdc(), baseUsdc(), usdc({ amount: '2000000' }) /* over the default $1 cap */, usdc({ amount: '30000' })];
  const o = await payOnce(t, accepts, {
    policy: {
      prefer: { networks: ['base'] },
      select: (requirements) => {
        seen.push(requirements);
        return requirements.find((r) => r.amount === '30000');
      },
    },
  });
  assert.equal(o.response.status, 200);
  assert.equal(o.paid.amount, '30000');
  assert.deepEqual(seen[0].map((r) => [r.index, r.network, r.amount]), [[1, 'eip155:8453', '10000'], [0, 'eip155:84532', '10000'], [3, 'eip155:84532', '30000']]);
  assert.deepEqual(seen[0][0].raw, accepts[1]);

  // An index (the requirement's own), an async answer, and "no opinion".
  assert.equal((await payOnce(t, accepts, { policy: { select: (rs) => rs[2].index } })).paid.amount, '30000');
  assert.equal((await payOnce(t, accepts, { policy: { select: async (rs) => rs[1] } })).paid.network, 'eip155:8453');
  assert.deepEqual((await payOnce(t, accepts, { policy: { select: () => undefined } })).paid, accepts[0]);
  assert.deepEqual((await payOnce(t, accepts, { policy: { prefer: { networks: ['base'] }, select: () => null } })).paid, accepts[1]);
});

test('policy: select cannot bypass the policy: picking a refused requirement is an error, with no wallet call', async (t) => {
  const accepts = [usdc(), usdc({ amount: '2000000' })];
  const o = await payOnce(t, accepts, { policy: { select: () => ({ index: 1 }) } });
  assertRefused(o, 'INVALID_ARGUMENT');
  const thrown = await payOnce(t, accepts, { policy: { select: () => { throw new Error('selector broke'); } } });
  assert.equal(thrown.error?.message, 'selector broke');
  assert.equal(thrown.calls.signTypedData.length, 0);
});

test('policy: an abort while an async select is pending rejects at once with its reason; nothing is signed or sent', async (t) => {
  const reason = new Error('gave up choosing');
  const controller = new AbortController();
  let asked = 0;
  const started = Date.now();
  setTimeout(() => controller.abort(reason), 50);
  const server = await serverFor(t, { routes: { '/p': { accepts: [usdc()] } } });
  const counting = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [counting.wallet], policy: { select: () => { asked += 1; return new Promise(() => {}); } } });
  await assert.rejects(paying(server.url('/p'), { signal: controller.signal }), (e) => e === reason);
  assert.ok(Date.now() - started < 2000, `rejected ${Date.now() - started} ms after the start`);
  assert.equal(asked, 1);
  assert.deepEqual([counting.calls.signTypedData.length, counting.calls.getAddress, server.requests.length], [0, 0, 1]);
});

test('policy: the per-payment cap understands decimals ("0.01" allows 10000 and refuses 10001 of 6-decimal USDC)', async (t) => {
  const policy = { maxPerPayment: '0.01' };
  assert.equal((await payOnce(t, [usdc({ amount: '10000' })], { policy })).response.status, 200);
  const refused = await payOnce(t, [usdc({ amount: '10001' })], { policy });
  assertRefused(refused, 'PAYMENT_LIMIT_EXCEEDED');
  assert.equal((await payOnce(t, [baseUsdc({ amount: '1' })], { policy: { maxPerPayment: '0.000001' } })).response.status, 200);
  assertRefused(await payOnce(t, [baseUsdc({ amount: '2' })], { policy: { maxPerPayment: '0.000001' } }), 'PAYMENT_LIMIT_EXCEEDED');
  assert.equal((await payOnce(t, [usdc({ amount: '2500000' })], { policy: { maxPerPayment: '$2.50' } })).response.status, 200);
  assertRefused(await payOnce(t, [usdc({ amount: '2500001' })], { policy: { maxPerPayment: '2.5' } }), 'PAYMENT_LIMIT_EXCEEDED');
});

test('policy: the default cap is one dollar per payment', async (t) => {
  assert.equal((await payOnce(t, [usdc({ amount: '1000000' })])).response.status, 200);
  assertRefused(await payOnce(t, [usdc({ amount: '1000001' })]), 'PAYMENT_LIMIT_EXCEEDED');
  // An amount far past 2^64 is compared exactly, not through a float.
  assertRefused(await payOnce(t, [usdc({ amount: '1000000000000000000000000000001' })]), 'PAYMENT_LIMIT_EXCEEDED');
});

test('policy: among several accepts, the ones over the cap are skipped', async (t) => {
  const o = await payOnce(t, [usdc({ amount: '5000000' }), baseUsdc({ amount: '900000' })]);
  assert.equal(o.response.status, 200);
  assert.equal(o.paid.network, 'eip155:8453');
});

test('policy: an unknown asset is refused with ASSET_NOT_ALLOWED', async (t) => {
  assertRefused(await payOnce(t, [token()]), 'ASSET_NOT_ALLOWED');
  // USDC's Base address on another chain is not USDC there.
  assertRefused(await payOnce(t, [usdc({ asset: baseUsdc().asset })]), 'ASSET_NOT_ALLOWED');
  assertRefused(await payOnce(t, [usdc({ network: 'eip155:31337' })]), 'ASSET_NOT_ALLOWED');
});

test('policy: an asset listed in policy.assets is paid up to its own atomic cap', async (t) => {
  const policy = { assets: [{ network: 'base-sepolia', asset: TOKEN.toUpperCase().replace('0X', '0x'), decimals: 18, symbol: 'TKN', maxPerPayment: '1000000000000000000' }] };
  const asked = [];
  const o = await payOnce(t, [token()], { policy, onPaymentRequired: (q) => { asked.push(q); return true; } });
  assert.equal(o.response.status, 200);
  assert.equal(o.paid.asset, TOKEN);
  assert.equal(asked[0].amountFormatted, '0.5 TKN');
  assert.equal((await payOnce(t, [token({ amount: '1000000000000000000' })], { policy })).response.status, 200);
  assertRefused(await payOnce(t, [token({ amount: '1000000000000000001' })], { policy }), 'PAYMENT_LIMIT_EXCEEDED');
  // Listed on another network only: still unknown here.
  assertRefused(await payOnce(t, [token()], { policy: { assets: [{ ...policy.assets[0], network: 'eip155:8453' }] } }), 'ASSET_NOT_ALLOWED');
});

test('policy: payTo deny and allow lists (addresses compared case-insensitively)', async (t) => {
  assertRefused(await payOnce(t, [usdc()], { policy: { payTo: { deny: [PAY_TO.toLowerCase()] } } }), 'PAYTO_NOT_ALLOWED');
  assertRefused(await payOnce(t, [usdc()], { policy: { payTo: { allow: [OTHER_PAY_TO] } } }), 'PAYTO_NOT_ALLOWED');
  assert.equal((await payOnce(t, [usdc()], { policy: { payTo: { allow: [PAY_TO.toUpperCase().replace('0X', '0x')] } } })).response.status, 200);
  // Deny wins over allow.
  assertRefused(await payOnce(t, [usdc()], { policy: { payTo: { allow: [PAY_TO], deny: [PAY_TO] } } }), 'PAYTO_NOT_ALLOWED');
  // With two recipients offered, the allowed one is paid.
  const o = await payOnce(t, [usdc(), usdc({ payTo: OTHER_PAY_TO })], { policy: { payTo: { deny: [PAY_TO] } } });
  assert.equal(o.response.status, 200);
  assert.equal(o.paid.payTo, OTHER_PAY_TO);
  assert.equal(o.server.payments[0].payload.payload.authorization.to, OTHER_PAY_TO);
});

test('policy: NO_MATCHING_REQUIREMENT when only unsupported networks or schemes are offered', async (t) => {
  assertRefused(await payOnce(t, [SOLANA_DEVNET]), 'NO_MATCHING_REQUIREMENT');
  assertRefused(await payOnce(t, [usdc({ scheme: 'upto' })]), 'NO_MATCHING_REQUIREMENT');
  assertRefused(await payOnce(t, [usdc({ network: 'cosmos:cosmoshub-4' })]), 'NO_MATCHING_REQUIREMENT');
  assertRefused(await payOnce(t, [SOLANA_DEVNET, usdc({ scheme: 'upto' })], { policy: { prefer: { networks: ['solana:*'] } } }), 'NO_MATCHING_REQUIREMENT');
});

test('policy: the refusal names the furthest stage any requirement reached', async (t) => {
  // One over the cap, one to a denied recipient: the cap is what stopped the payment.
  assertRefused(await payOnce(t, [usdc({ payTo: OTHER_PAY_TO }), usdc({ amount: '9000000' })], { policy: { payTo: { deny: [OTHER_PAY_TO] } } }), 'PAYMENT_LIMIT_EXCEEDED');
  assertRefused(await payOnce(t, [SOLANA_DEVNET, token()]), 'ASSET_NOT_ALLOWED');
});

test('policy: an invalid policy is refused when wrapping, with INVALID_POLICY', () => {
  const wallet = countingWallet(x402).wallet;
  for (const policy of [
    { maxPerPayment: 'lots' },
    { budget: { total: '-1' } },
    { assets: [{ network: 'nowhere', asset: TOKEN, decimals: 18, maxPerPayment: '1' }] },
    { assets: [{ network: 'base', asset: TOKEN, decimals: 18, maxPerPayment: '0.5' }] },
    { maxPerPaymnet: '1' },
  ]) {
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [wallet], policy }), { name: 'X402Error', code: 'INVALID_POLICY' }, JSON.stringify(policy));
  }
  assert.throws(() => x402.wrapFetch(fetch, {}), { name: 'X402Error', code: 'INVALID_ARGUMENT' });
});

test('policy: requirements whose terms no wallet can pay are left out before anyone is asked', async (t) => {
  const nameless = token({ extra: {} }); // EIP-3009 without its EIP-712 domain
  const allowToken = { assets: [{ network: 'eip155:84532', asset: TOKEN, decimals: 18, symbol: 'TKN', maxPerPayment: '1000000000000000000' }] };
  // Preferred, but unpayable: the next requirement is paid instead.
  const outcome = await payOnce(t, [nameless, usdc()], { policy: { ...allowToken, prefer: { assets: [TOKEN] } } });
  assert.equal(outcome.response?.status, 200, String(outcome.error));
  assert.equal(outcome.paid.asset, usdc().asset);

  const asked = [];
  const onPaymentRequired = (q) => asked.push(q) && true;
  assertRefused(await payOnce(t, [nameless], { policy: allowToken, onPaymentRequired }), 'MISSING_EIP712_DOMAIN');
  assert.equal(asked.length, 0, 'the user was asked to approve an unpayable payment');

  // A validBefore (now + maxTimeoutSeconds) past 2^64 - 1 cannot be signed. The header is written
  // by hand: a JS number cannot hold 2^64 - 1.
  const text = JSON.stringify({ x402Version: 2, resource: { url: 'https://api.example/p' }, accepts: [usdc()] })
    .replace('"maxTimeoutSeconds":300', '"maxTimeoutSeconds":18446744073709551615');
  const header = Buffer.from(text).toString('base64');
  const counting = countingWallet(x402);
  const paying = x402.wrapFetch(async () => new Response('{}', { status: 402, headers: { 'payment-required': header } }), {
    wallets: [counting.wallet],
    onPaymentRequired,
  });
  await assert.rejects(paying('https://api.example/p'), { code: 'AMOUNT_OVERFLOW' });
  assert.equal(asked.length, 0, 'the user was asked to approve an unpayable payment');
  assert.equal(counting.calls.signTypedData.length + counting.calls.getAddress, 0);
});
