'use client';
// usePaidResource: loads one (possibly paid) resource through the provider's paying fetch.
import { useCallback, useEffect, useRef, useState } from 'react';
import { getPaymentReceipt } from 'x402-wasm';
import { isSettingsChange, paymentWentOut, usePayingFetch } from './useX402Fetch.js';

const NOTHING = { url: undefined, data: undefined, response: null, error: null, loading: false, load: null };
/** The payment fields of a url whose load is not this component's latest request. */
const NO_PAYMENT = { status: 'idle', pendingPayment: null, receipt: null, spent: false };
/** The round of loads: a new object for each refetch() (`retry: null`) and each automatic retry of `retry`. */
const FIRST = { retry: null };

/** The user said no: never asked again without them (refetch(), a new url). */
const USER_REFUSALS = new Set(['PAYMENT_REJECTED', 'USER_REJECTED', 'PAYMENT_SUPERSEDED']);
/** The policy said no: asked again only when the provider's settings really change. */
const POLICY_REFUSALS = new Set([
  'PAYMENT_LIMIT_EXCEEDED',
  'BUDGET_EXCEEDED',
  'PAYTO_NOT_ALLOWED',
  'ASSET_NOT_ALLOWED',
  'FACILITATOR_NOT_ALLOWED',
  'INVALID_POLICY',
]);

/**
 * Loads `url` when it is set and whenever it changes (or `refetch()` is called), paying a 402 once
 * the user approves `pendingPayment`. `data` is the parsed JSON when the response's content-type is
 * JSON, else its text, whatever the HTTP status; `error` is what the load threw (an X402Error, a
 * network error, unparsable JSON). A load still waiting for approval (or needing none) when `url`
 * changes or the component unmounts is aborted; one whose payment was approved is not (the payment
 * is not thrown away half done): it finishes, and is taken up (never paid again) when `url` comes back
 * to it, while it runs or after it ended. `status`, `pendingPayment` and `receipt` are those of the
 * url shown: idle for a url not loaded yet (or null).
 * `refetch()` while a load runs does nothing (the running load is the fresh one). `init` is read at
 * each load; changing it alone does not reload. So is `options`: with `options.paymentId`, the
 * payment carries that payment-identifier id where the server declares it, and a load repeated under
 * it (refetch() after an answer that never came) sends the same payment again while it is valid,
 * rather than paying anew (see useX402Fetch's paymentId). One id is one purchase: give each url its
 * own, and a new one to buy again (under the old one a load gets the first answer, or pays anew once
 * that payment has expired).
 *
 * A change of the provider reloads only a resource whose last load failed or answered 402 (e.g.
 * once a wallet is connected): a loaded resource is not paid for again, a running load is not
 * interrupted (but one whose question was declined because the settings changed in value is asked
 * again, once, with the new wallets), and none is tried again automatically when the user refused it, when it was aborted,
 * or when its payment went out. A load the policy refused is tried again only when the provider's
 * settings change in value (wallets added, removed or of another kind, policy, rpc...), not for a new
 * wallet adapter object of the same kind (an adapter written inline is made at each render); nor is
 * a load that was itself such an automatic retry.
 *
 * Nor is a resource paid for again when the component is hidden and shown by React's `<Activity>`:
 * its effects run again, and the load that answered stands (so does one the user refused, one
 * aborted, or one that failed once its payment went out; another failed load runs again). A load
 * hidden while waiting for approval is aborted and runs again when shown; one hidden after approval
 * goes on, and is shown when done.
 *
 * @param {string | URL | null | undefined} url nothing is loaded while it is null, undefined or ''.
 * @param {RequestInit} [init]
 * @param {{ paymentId?: string }} [options]
 */
export function usePaidResource(url, init, options) {
  const { send, context, state } = usePayingFetch();
  const [result, setResult] = useState(NOTHING);
  const [round, setRound] = useState(FIRST);
  const latest = useRef({ init, options, send, context });
  const last = useRef(NOTHING); // the last finished load
  const running = useRef(null); // the load under way
  // Approved loads no longer the component's (the url changed, or <Activity> hid it), by url: they
  // go on, and are taken up when their url is shown again, instead of being paid for again.
  const adrift = useRef(new Map());
  const newest = useRef(null); // the load of this component's latest request (whose state `state` is)
  const key = url == null ? '' : String(url);

  useEffect(() => {
    latest.current = { init, options, send, context };
  });

  // A load that failed, or was answered 402, with an older provider fetch than the current one (the
  // wallets or policy changed meanwhile, e.g. a wallet connected) is tried again with the new one:
  // when the provider changes, or when such a load ends.
  const retryStale = useCallback(() => {
    const done = last.current;
    if (running.current || done.url !== key || !(done.error || done.response?.status === 402)) return;
    const now = latest.current.context;
    if (done.context === now || done.final) return;
    const changed = done.context.settings !== now.settings;
    if (changed || (!done.refused && !done.retried)) setRound({ retry: key });
  }, [key]);
  useEffect(retryStale, [context, retryStale]);

  // A load the budget refused is tried again once a reservation is given back (another request's
  // question declined): the budget it was refused for was only held, not spent.
  useEffect(
    () =>
      context.onRelease?.(() => {
        const done = last.current;
        if (!running.current && done.url === key && done.error?.code === 'BUDGET_EXCEEDED') setRound({ retry: key });
      }),
    [context, key],
  );

  useEffect(() => {
    if (key === '') return undefined;
    // Effects run again, with the state kept, when a component hidden by React's <Activity> is
    // shown: the load that already answered for this url and round stands (as does one that failed
    // for good: refused by the user, aborted, or failed once its payment went out), and one still
    // under way goes on. Paying again takes a new url, refetch(), or a failed load and a new
    // provider fetch.
    const done = last.current;
    const failed = done.error || done.response?.status === 402;
    if (done.url === key && done.round === round && (!failed || done.final)) return undefined;
    let load = running.current;
    const left = load?.key === key && load.round === round ? undefined : adrift.current.get(key);
    if (left) {
      // An approved load of this url, still paying or ended unseen: it stands for this round.
      adrift.current.delete(key);
      left.round = round;
      if (left.record) {
        last.current = { ...left.record, round };
        setResult(last.current);
        return undefined;
      }
      load = left;
      running.current = load;
      setResult(loadingWith(key, load));
    } else if (load?.key !== key || load.round !== round) {
      load = { key, round, approved: false, sent: false, controller: new AbortController() };
      running.current = load;
      // The latest render's init and fetch (effects run in order: `latest` was set just above).
      const { init: loadInit, options: loadOptions, send: loadSend, context: loadContext } = latest.current;
      const { controller } = load;
      const outer = loadInit?.signal;
      const abort = () => controller.abort(outer.reason);
      if (outer?.aborted) abort();
      else outer?.addEventListener('abort', abort, { once: true });
      load.detach = () => outer?.removeEventListener('abort', abort);
      const tap = (event) => {
        if (event.type === 'approved') load.approved = true;
        if (paymentWentOut(event) && !load.sent) {
          load.sent = true;
          // A load taken up again is shown from its own fields, not the hook's state: render it.
          if (newest.current !== load) setResult((shown) => (shown.load === load ? { ...shown } : shown));
        }
      };
      const finish = (next) => {
        load.detach();
        load.done = true;
        const code = next.error?.code;
        // The round it stands for now (taken up again in a later one: see `adrift`).
        const { round: its } = load;
        // A question declined because the wallets or settings changed is asked again with the new
        // ones (below, retryStale), once: a load that was itself such a retry stops there.
        const askAgain = isSettingsChange(next.error) && its.retry !== key;
        const record = {
          url: key,
          round: its,
          loading: false,
          context: loadContext,
          final: controller.signal.aborted || load.sent || (USER_REFUSALS.has(code) && !askAgain),
          refused: POLICY_REFUSALS.has(code),
          retried: its.retry === key,
          load,
          ...next,
        };
        // Aborted, or no longer the component's load (the url changed while it paid): an approved
        // one is kept for when its url comes back.
        if (running.current !== load) {
          if (adrift.current.get(key) === load) load.record = record;
          return;
        }
        running.current = null;
        last.current = record;
        // Also when the component was unmounted or hidden meanwhile: React drops the update of an
        // unmounted component and keeps a hidden one's for when it is shown.
        setResult(last.current);
        retryStale();
      };
      setResult(loadingWith(key, load));
      newest.current = load;
      loadSend(key, { ...loadInit, signal: controller.signal }, tap, loadOptions).then(
        (response) =>
          readBody(response).then(
            (data) => finish({ data, response, error: null }),
            (error) => finish({ data: undefined, response, error }),
          ),
        (error) => finish({ data: undefined, response: null, error }),
      );
    }
    return () => {
      if (running.current === load) running.current = null;
      // Approved: the payment is under way, and aborting it would not unspend it. It goes on, and
      // is taken up when its url is shown again (a url changed and back, <Activity> showing it).
      if (load.approved) {
        if (!load.done) adrift.current.set(load.key, load);
        return;
      }
      load.detach();
      load.controller.abort();
    };
  }, [key, round, retryStale]);

  const refetch = useCallback(() => {
    if (!running.current) setRound({ retry: null });
  }, []);
  const mine = result.url === key ? result : { ...NOTHING, loading: key !== '' };
  return {
    data: mine.data,
    response: mine.response,
    ...paymentOf(mine, newest.current, state),
    error: mine.error,
    loading: mine.loading,
    refetch,
  };
}

/**
 * The payment fields of the url shown: the hook's state when its load is the component's latest
 * request; for a load taken up again (its request no longer the latest) what its own response says;
 * idle for nothing loaded.
 */
function paymentOf(shown, newest, state) {
  const { load } = shown;
  if (!load) return NO_PAYMENT;
  if (load === newest) return { status: state.status, pendingPayment: state.pendingPayment, receipt: state.receipt, spent: state.spent };
  // Taken up again while it runs: approved, so it is signing, or paying once the payment went out.
  if (shown.loading) return { ...NO_PAYMENT, status: load.sent ? 'paying' : 'signing', spent: load.sent ? 'unknown' : false };
  const receipt = shown.response ? getPaymentReceipt(shown.response) ?? null : null;
  const failed = shown.error || (receipt && !receipt.success);
  const spent = receipt?.success ? true : load.sent ? 'unknown' : false;
  return { status: failed ? 'error' : receipt ? 'settled' : 'idle', pendingPayment: null, receipt, spent };
}

/** The state update of a load of `key` under way: what was shown for `key` stays until it ends. */
function loadingWith(key, load) {
  return (last) => (last.url === key ? { ...last, loading: true, error: null, load } : { ...NOTHING, url: key, loading: true, load });
}

/** JSON for a JSON content-type (`null` when the body is empty), else the text. */
async function readBody(response) {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  if (!/[/+]json(\s*;|\s*$)/i.test(type)) return text;
  return text === '' ? null : JSON.parse(text);
}
