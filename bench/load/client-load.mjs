// Load test of the paying fetch: 1,000 concurrent calls through ONE wrapFetch against the local
// x402 server of the JS tests (tests/js/lib/paid-server.mjs), which records every request and
// every payment header it receives and settles valid payments (fake transaction hashes).
// Each call carries its index in the query (?call=i), so the server's records can be matched to
// the calls: every call must be paid at most once, and the wrapper's view (responses, receipts,
// events, errors) must equal the server's (requests, payments, settlements).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_DIR } from '../lib/fixtures.mjs';

/** The machine-wide count of SYNs dropped because a listen queue was full (Linux), or null. */
function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return null;
  }
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** A throwaway payer key (never funded anywhere). */
const PAYER_KEY = '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6';

/**
 * One scenario: `calls` concurrent paid fetches of a 0.01 USDC resource through one wrapFetch
 * with `budget` (dollars) and `expectPaid` payments expected. Resolves to a JSON-able report with
 * `checks` [{ name, ok, detail }].
 */
export async function concurrentPaidFetches(x402, { name, calls = 1000, budget, expectPaid }) {
  const { startPaidServer, usdc } = await import(pathToFileURL(path.join(REPO_DIR, 'tests', 'js', 'lib', 'paid-server.mjs')).href);
  const server = await startPaidServer({ x402, routes: { '/paid': { accepts: [usdc()] } } });
  const wallet = x402.evmPrivateKeyWallet(PAYER_KEY);
  const events = [];
  const pay = wrapFetchFor(x402, wallet, budget, events);
  const outcomes = new Array(calls);
  const overflowsBefore = listenOverflows();
  const t0 = performance.now();
  try {
    await Promise.all(Array.from({ length: calls }, async (_, i) => {
      const callEvents = [];
      try {
        const response = await pay(server.url(`/paid?call=${i}`), undefined, { onEvent: (e) => callEvents.push(e.type) });
        const body = await response.text();
        const receipt = x402.getPaymentReceipt(response);
        outcomes[i] = {
          status: response.status, ok: response.status === 200 && body.includes('"paid":true'), receipt, events: callEvents, ms: performance.now() - t0,
        };
      } catch (error) {
        outcomes[i] = { error: error?.code ?? String(error?.message ?? error), events: callEvents, ms: performance.now() - t0 };
      }
    }));
    const ms = performance.now() - t0;
    const overflows = overflowsBefore === null ? null : listenOverflows() - overflowsBefore;
    const doneAt = (list) => {
      const sorted = list.map((o) => o.ms).sort((a, b) => a - b);
      return sorted.length ? { p50: pct(sorted, 50), p99: pct(sorted, 99), max: sorted.at(-1) } : null;
    };

    // The wrapper's view.
    const successes = outcomes.filter((o) => o.ok && o.receipt?.success === true);
    const budgetExceeded = outcomes.filter((o) => o.error === 'BUDGET_EXCEEDED');
    const other = outcomes.filter((o) => !(o.ok && o.receipt?.success === true) && o.error !== 'BUDGET_EXCEEDED');
    const otherKinds = {};
    for (const o of other) {
      const key = o.error ?? `status ${o.status}${o.receipt?.errorReason ? ` ${o.receipt.errorReason}` : ''}`;
      otherKinds[key] = (otherKinds[key] ?? 0) + 1;
    }
    const signedEvents = outcomes.reduce((a, o) => a + o.events.filter((t) => t === 'signed').length, 0);
    const settledEvents = outcomes.reduce((a, o) => a + o.events.filter((t) => t === 'settled').length, 0);
    const wrapperTx = new Map(); // call -> transaction of its receipt
    outcomes.forEach((o, i) => {
      if (o.receipt?.success) wrapperTx.set(i, o.receipt.transaction);
    });

    // The server's view.
    const callOf = (record) => Number(new URL(record.url).searchParams.get('call'));
    const payments = server.payments;
    const paidRequests = server.paidRequests();
    const nonces = payments.map((p) => p.payload?.payload?.authorization?.nonce);
    const distinctNonces = new Set(nonces).size;
    const perCall = new Map();
    for (const p of payments) perCall.set(callOf(p.request), (perCall.get(callOf(p.request)) ?? 0) + 1);
    const maxPerCall = Math.max(0, ...perCall.values());
    const settled = payments.filter((p) => p.settlement?.success === true);
    const invalid = payments.filter((p) => !p.verification?.isValid);
    const serverTx = new Map(settled.map((p) => [callOf(p.request), p.settlement.transaction]));
    const unpaidRequests = server.requests.length - paidRequests.length;
    const sameView = wrapperTx.size === serverTx.size && [...wrapperTx].every(([call, tx]) => serverTx.get(call) === tx);
    // Calls refused for the budget must not have sent a payment (their 402 was the only request).
    const refusedButPaid = outcomes.filter((o, i) => o.error === 'BUDGET_EXCEEDED' && perCall.has(i)).length;

    const checks = [];
    const add = (check, ok, detail) => checks.push({ name: `${name}: ${check}`, ok, detail });
    add('every nonce unique', nonces.every((n) => typeof n === 'string') && distinctNonces === nonces.length,
      `${nonces.length} payment headers, ${distinctNonces} distinct nonces`);
    add('every call paid at most once', maxPerCall <= 1, `max payments for one call: ${maxPerCall}`);
    add(`the server saw exactly ${expectPaid} payments, all valid and settled`,
      payments.length === expectPaid && paidRequests.length === expectPaid && settled.length === expectPaid && invalid.length === 0,
      `${payments.length} payments (${paidRequests.length} requests with a payment header), ${settled.length} settled, ${invalid.length} invalid`);
    add(`exactly ${expectPaid} successes and ${calls - expectPaid} BUDGET_EXCEEDED, nothing else`,
      successes.length === expectPaid && budgetExceeded.length === calls - expectPaid && other.length === 0,
      `${successes.length} successes, ${budgetExceeded.length} BUDGET_EXCEEDED, ${other.length} other${other.length ? ` ${JSON.stringify(otherKinds)}` : ''}`);
    add('the wrapper\'s view equals the server\'s', sameView && signedEvents === payments.length && settledEvents === settled.length
      && refusedButPaid === 0 && unpaidRequests === calls,
      `receipts ${wrapperTx.size} = settlements ${serverTx.size} (same call, same transaction: ${sameView}); `
      + `'signed' events ${signedEvents}, 'settled' events ${settledEvents}; ${unpaidRequests} first requests for ${calls} calls; `
      + `${refusedButPaid} refused calls that sent a payment`);

    return {
      name,
      calls,
      budget,
      expectPaid,
      ms,
      // Time from the start of the burst until each call settled (all calls start together).
      completionMs: { paid: doneAt(successes), refused: doneAt(budgetExceeded) },
      listenOverflows: overflows,
      successes: successes.length,
      budgetExceeded: budgetExceeded.length,
      otherErrors: otherKinds,
      serverPayments: payments.length,
      serverRequests: server.requests.length,
      distinctNonces,
      maxPaymentsPerCall: maxPerCall,
      events: { signed: signedEvents, settled: settledEvents, total: events.length },
      checks,
    };
  } finally {
    await server.close();
    wallet.free?.();
  }
}

function wrapFetchFor(x402, wallet, budget, events) {
  return x402.wrapFetch(fetch, {
    wallets: [wallet],
    policy: { maxPerPayment: '0.01', budget: { total: budget } },
    onEvent: (e) => events.push(e.type),
  });
}

/** Both client scenarios: a budget for exactly `paid` payments, then a budget that never binds. */
export async function clientLoad(x402, { calls = 1000, paid = 500, log = () => {} } = {}) {
  const price = 0.01;
  const budget = (paid * price).toFixed(2);
  log(`client: ${calls} concurrent paid fetches, one wrapFetch, budget $${budget} (${paid} payments of $${price})`);
  const limited = await concurrentPaidFetches(x402, { name: `client, budget $${budget}`, calls, budget, expectPaid: paid });
  log(`client: ${calls} concurrent paid fetches, budget $${(calls * price * 10).toFixed(2)} (never binds)`);
  const unlimited = await concurrentPaidFetches(x402, {
    name: 'client, budget never binds', calls, budget: (calls * price * 10).toFixed(2), expectPaid: calls,
  });
  return { limited, unlimited, checks: [...limited.checks, ...unlimited.checks] };
}
