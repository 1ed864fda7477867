// useX402Fetch: the provider's paying fetch, with the state of this component's latest request:
// where the payment is, the question waiting for the user, the receipt, the error.
import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import { X402Error } from 'x402-wasm';
import { X402Context } from './provider.js';

const IDLE = { status: 'idle', pendingPayment: null, receipt: null, error: null };

/** How each event of the wrapped fetch moves the state. */
const ON_EVENT = {
  approved: () => ({ status: 'signing', pendingPayment: null }),
  rejected: () => ({ pendingPayment: null }),
  signed: () => ({ status: 'paying' }),
  settled: (event) => ({ status: 'settled', receipt: event.receipt ?? null }),
  // A policy refusal carries no receipt; the error thrown next sets `error`.
  failed: (event) => ({ status: 'error', pendingPayment: null, receipt: event.receipt ?? null }),
};

/** Why an older request of the same component is not paid: a newer one took its place. */
const superseded = () =>
  new X402Error('a newer request of the same component replaced this one before it was approved', 'PAYMENT_SUPERSEDED');

/**
 * Returns `{ fetch, status, pendingPayment, receipt, error }`. `fetch` pays 402s through the
 * provider; while a payment waits for the user, `pendingPayment` holds the question with
 * `approve()` and `reject()`. Each component tracks its own requests: the state is that of the
 * request of this component that ran last, and a newer request declines an older one's question
 * that is open or still to come (PAYMENT_SUPERSEDED, nothing paid). Requests of different components
 * run side by side and share the provider's budget. A request aborted through its signal returns
 * the state to 'idle'; an unmounted component rejects the payment it was asked about.
 */
export function useX402Fetch() {
  const context = useContext(X402Context);
  if (!context) throw new Error('useX402Fetch must be used inside <X402Provider>');
  const [state, setState] = useState(IDLE);
  const mounted = useRef(true);
  const answer = useRef(null); // resolves the open approval question
  const latest = useRef(0); // the id of this component's newest request: only it moves the state

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      answer.current?.(false);
    };
  }, []);

  const fetch = useCallback(
    (input, init) => {
      const signal = init?.signal ?? input?.signal;
      // Already aborted: nothing starts, and the state of the request running stays as it is.
      if (signal?.aborted) return Promise.reject(signal.reason);
      const id = ++latest.current;
      // An older request's open question is declined: its state is no longer shown.
      answer.current?.(false, superseded());
      const set = (next) => mounted.current && latest.current === id && setState(next);
      const update = (patch) => set((state) => ({ ...state, ...patch }));
      let decision = null; // this request's open question, if any
      const owner = {
        ask(question) {
          // One question per component, the newest request's: an older request is declined.
          if (!mounted.current) return false;
          if (latest.current !== id) return Promise.reject(superseded());
          return new Promise((resolve, reject) => {
            const decide = (approved, error) => {
              if (answer.current !== decide) return;
              answer.current = null;
              if (error) reject(error);
              else resolve(approved);
            };
            answer.current = decision = decide;
            const { requirement, amountFormatted, origin, resource } = question;
            update({
              status: 'awaiting-approval',
              pendingPayment: {
                requirement,
                amountFormatted,
                origin,
                resource,
                approve: () => decide(true),
                reject: () => decide(false),
              },
            });
          });
        },
        event(event) {
          const patch = ON_EVENT[event.type]?.(event);
          if (patch) update(patch);
        },
      };
      const settle = () => {
        // A question the core stopped waiting for (the request was aborted) cannot be answered.
        if (decision && answer.current === decision) answer.current = null;
      };
      set(IDLE);
      return context.fetch(input, init, { onPaymentRequired: owner.ask, onEvent: owner.event }).then(
        (response) => {
          settle();
          return response;
        },
        (error) => {
          settle();
          // A request its caller aborted is simply over.
          set(signal?.aborted ? IDLE : (state) => ({ ...state, status: 'error', pendingPayment: null, error }));
          throw error;
        },
      );
    },
    [context],
  );
  return { fetch, ...state };
}
