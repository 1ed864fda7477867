'use client';
// useX402Fetch: the provider's paying fetch, with the state of this component's latest request:
// where the payment is, the question waiting for the user, the receipt, the error.
import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import { X402Error } from 'x402-wasm';
import { X402Context } from './provider.js';

const IDLE = { status: 'idle', pendingPayment: null, receipt: null, error: null, spent: false };

/** How each event of the wrapped fetch moves the state. */
const ON_EVENT = {
  // A payment sent again (paymentId) is signed already, and went out before: it is paid at once.
  approved: (event) => (event.sentAgain ? { status: 'paying', pendingPayment: null, spent: 'unknown' } : { status: 'signing', pendingPayment: null }),
  rejected: () => ({ pendingPayment: null }),
  signed: () => ({ status: 'paying', spent: 'unknown' }),
  settled: (event) => ({ status: 'settled', receipt: event.receipt ?? null, spent: true }),
  // A policy refusal carries no receipt; the error thrown next sets `error`. A paid request that
  // failed went out: what it moved is not known here (a transfer may have been sent).
  failed: (event) => ({
    status: 'error',
    pendingPayment: null,
    receipt: event.receipt ?? null,
    spent: paymentWentOut(event) ? 'unknown' : false,
  }),
};

/** Whether `event` says the payment left the client (it may settle, whatever happens next). */
export const paymentWentOut = (event) =>
  event.type === 'signed' || event.type === 'settled' || event.receipt != null || (event.type === 'failed' && event.spent === 'unknown') ||
  (event.type === 'approved' && event.sentAgain === true);

/** Why an older request of the same component is not paid: a newer one took its place. */
const superseded = () =>
  new X402Error('a newer request of the same component replaced this one before it was approved', 'PAYMENT_SUPERSEDED');
/** The refusals of settingsChanged(): usePaidResource asks again, with the new settings. */
const SETTINGS_CHANGES = new WeakSet();
/** Why a question is not answered: the provider's wallets or settings changed since its request began. */
export const settingsChanged = () => {
  const error = new X402Error("the provider's wallets or settings changed before this payment was approved", 'PAYMENT_SUPERSEDED');
  SETTINGS_CHANGES.add(error);
  return error;
};
/** Whether `error` declined a question because the provider's settings changed. */
export const isSettingsChange = (error) => SETTINGS_CHANGES.has(error);

/**
 * Returns `{ fetch, status, pendingPayment, receipt, error }`. `fetch` pays 402s through the
 * provider; while a payment waits for the user, `pendingPayment` holds the question with
 * `approve()` and `reject()`. Each component tracks its own requests: the state is that of the
 * request of this component that ran last, and a newer request declines an older one's question
 * that is open or still to come (PAYMENT_SUPERSEDED, nothing paid). Requests of different components
 * run side by side and share the provider's budget. A request aborted through its signal returns
 * the state to 'idle' when nothing was paid; aborted once the payment went out (it may still
 * settle), the state is 'error' with the abort as `error`. A component unmounted, or hidden by
 * React's `<Activity>`, declines the payment it was asked about (PAYMENT_REJECTED); a request that
 * was already approved carries on, and its state is there when the component is shown again.
 */
export function useX402Fetch() {
  const { send, state } = usePayingFetch();
  const fetch = useCallback((input, init, options) => send(input, init, undefined, options), [send]);
  return { fetch, ...state };
}

/**
 * What useX402Fetch is built on: `send(input, init, tap, options)` is its fetch, where `tap`
 * (optional) hears the request's events too and `options.paymentId` is the payment's idempotency
 * key (see wrapFetch); `context` is the provider's.
 */
export function usePayingFetch() {
  const context = useContext(X402Context);
  if (!context) throw new Error('useX402Fetch must be used inside <X402Provider>');
  const [state, setState] = useState(IDLE);
  // False once unmounted, and while hidden by <Activity> (the effect cleanups ran).
  const live = useRef(true);
  const answer = useRef(null); // resolves the open approval question
  const latest = useRef(0); // the id of this component's newest request: only it moves the state
  const paying = useRef(new Set()); // the paymentIds of this component's requests under way

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
      // Nobody can answer: the question is declined (and its request's state shown as 'error').
      answer.current?.(false);
    };
  }, []);

  // A request pays with the wallets and settings of when it began: once they have changed (a wallet
  // disconnected, the account switched), its question is declined, open or still to come, since
  // approving it would pay with those of before. The caller asks again.
  const settings = useRef(context.settings);
  useEffect(() => {
    if (settings.current === context.settings) return;
    settings.current = context.settings;
    answer.current?.(false, settingsChanged());
  }, [context.settings]);

  const send = useCallback(
    (input, init, tap, options) => {
      const signal = init?.signal ?? input?.signal;
      // Already aborted: nothing starts, and the state of the request running stays as it is.
      if (signal?.aborted) return Promise.reject(signal.reason);
      // A request under a paymentId this component is paying under already (a second click) is
      // refused as the core would, but without taking the state over from the one that pays.
      const keyed = options?.paymentId === undefined ? {} : { paymentId: options.paymentId };
      if (keyed.paymentId !== undefined && paying.current.has(keyed.paymentId)) {
        return Promise.reject(new X402Error('another request of this component is paying under this paymentId: wait for it', 'PAYMENT_IN_PROGRESS'));
      }
      const id = ++latest.current;
      const began = context.settings;
      // An older request's open question is declined: its state is no longer shown.
      answer.current?.(false, superseded());
      // React ignores the updates of an unmounted component, and keeps those of a hidden one.
      const set = (next) => latest.current === id && setState(next);
      const update = (patch) => set((state) => ({ ...state, ...patch }));
      let decision = null; // this request's open question, if any
      let sent = false; // the payment left the client
      let told; // `spent` as the request's settled or failed event said it
      const owner = {
        ask(question) {
          // One question per component, the newest request's: an older request is declined.
          if (!live.current) return false;
          if (latest.current !== id) return Promise.reject(superseded());
          if (settings.current !== began) return Promise.reject(settingsChanged());
          return new Promise((resolve, reject) => {
            const decide = (approved, error) => {
              if (answer.current !== decide) return;
              answer.current = null;
              if (error) reject(error);
              else resolve(approved);
            };
            answer.current = decision = decide;
            const { requirement, amountFormatted, origin, resource, sentAgain, payer } = question;
            update({
              status: 'awaiting-approval',
              pendingPayment: {
                requirement,
                amountFormatted,
                origin,
                resource,
                ...(sentAgain ? { sentAgain, payer } : {}),
                approve: () => decide(true),
                reject: () => decide(false),
              },
            });
          });
        },
        event(event) {
          if (paymentWentOut(event)) sent = true;
          tap?.(event);
          const patch = ON_EVENT[event.type]?.(event);
          if (event.type === 'settled' || event.type === 'failed') told = patch.spent;
          if (patch) update(patch);
        },
      };
      const settle = () => {
        // A question the core stopped waiting for (the request was aborted) cannot be answered.
        if (decision && answer.current === decision) answer.current = null;
      };
      set(IDLE);
      // A caller's paymentId (payment-identifier) goes to the core, which checks it.
      if (keyed.paymentId !== undefined) paying.current.add(keyed.paymentId);
      const done = () => {
        settle();
        if (keyed.paymentId !== undefined) paying.current.delete(keyed.paymentId);
      };
      // The caller's other options go along, so the core refuses a misspelt one (a `paymentID`
      // ignored would pay a repeated purchase twice); the approval and events stay the hook's.
      const hooks = { ...options, onPaymentRequired: owner.ask, onEvent: owner.event };
      return context.fetch(input, init, hooks).then(
        (response) => {
          done();
          return response;
        },
        (error) => {
          done();
          // A request its caller aborted before anything was paid is simply over; once the payment
          // went out, it may still settle: the abort is an error, not a return to 'idle'.
          // Once it went out, it may have settled, unless its last event said what it spent.
          set(signal?.aborted && !sent ? IDLE : (state) => ({
            ...state, status: 'error', pendingPayment: null, error, spent: told ?? (sent ? 'unknown' : false),
          }));
          throw error;
        },
      );
    },
    [context],
  );
  return { send, context, state };
}
