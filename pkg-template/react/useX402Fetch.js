// useX402Fetch: the provider's paying fetch, with the state of this component's latest request:
// where the payment is, the question waiting for the user, the receipt, the error.
import { useCallback, useContext, useEffect, useRef, useState } from 'react';
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

/**
 * Returns `{ fetch, status, pendingPayment, receipt, error }`. `fetch` pays 402s through the
 * provider; while a payment waits for the user, `pendingPayment` holds the question with
 * `approve()` and `reject()`. Each component tracks its own requests: the state is that of the
 * request of this component that ran last. A request aborted through its signal returns the state
 * to 'idle'; an unmounted component rejects the payment it was asked about.
 */
export function useX402Fetch() {
  const context = useContext(X402Context);
  if (!context) throw new Error('useX402Fetch must be used inside <X402Provider>');
  const [state, setState] = useState(IDLE);
  const mounted = useRef(true);
  const answer = useRef(null); // resolves the open approval question

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
      const set = (next) => mounted.current && setState(next);
      const update = (patch) => set((state) => ({ ...state, ...patch }));
      let started = false;
      let decision = null; // this request's open question, if any
      const owner = {
        ask(question) {
          if (!mounted.current) return false;
          return new Promise((resolve) => {
            const decide = (approved) => {
              if (answer.current !== decide) return;
              answer.current = null;
              resolve(approved);
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
      const task = () => {
        started = true;
        set(IDLE);
        return context.fetch(input, init);
      };
      const settle = () => {
        // A question the core stopped waiting for (the request was aborted) cannot be answered.
        if (decision && answer.current === decision) answer.current = null;
      };
      return context.lane.run(owner, signal, task).then(
        (response) => {
          settle();
          return response;
        },
        (error) => {
          settle();
          // A request that never ran changed nothing; one its caller aborted is simply over.
          if (started) {
            set(signal?.aborted ? IDLE : (state) => ({ ...state, status: 'error', pendingPayment: null, error }));
          }
          throw error;
        },
      );
    },
    [context],
  );
  return { fetch, ...state };
}
