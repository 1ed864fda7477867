'use client';
// useX402: the provider's paying fetch as `{ call, loading, error }` (seed 004's React hook), for a
// button whose click is the user's go-ahead. No protocol logic: the provider's wrapped fetch pays,
// within its policy; this hook only counts the calls in flight and keeps the last one's error.
import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import { X402Context } from './provider.js';
import { settingsChanged } from './useX402Fetch.js';

/**
 * Returns `{ call, loading, error }`. `call(input, init?, { paymentId }?)` is the provider's paying
 * fetch: it resolves to the Response (a 402 the policy allows is paid on the way, with the
 * provider's wallets) and rejects with what went wrong. The call is the approval: its payment is
 * made within the provider's policy (caps, budget, allow lists) without a question, unless
 * `options.onPaymentRequired` (read at each payment) answers it. `loading` is true while any call
 * of this hook is in flight; `error` is that of the call made last (null while it runs and after it
 * succeeds). As useX402Fetch: unmounting, or hiding by `<Activity>`, declines a payment not yet
 * approved (PAYMENT_REJECTED), and a payment of a call begun before the provider's settings changed
 * in value is declined (PAYMENT_SUPERSEDED), since it would pay with the wallets of before.
 */
export function useX402(options) {
  const context = useContext(X402Context);
  if (!context) throw new Error('useX402 must be used inside <X402Provider>');
  const [inFlight, setInFlight] = useState(0);
  const [error, setError] = useState(null);
  const latest = useRef(0); // the id of the call made last: only it sets `error`
  const live = useRef(true); // false once unmounted, and while hidden by <Activity>
  const ask = useRef(options?.onPaymentRequired);
  const settings = useRef(context.settings);
  useEffect(() => {
    ask.current = options?.onPaymentRequired;
    settings.current = context.settings;
  });
  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  const call = useCallback(
    (input, init, callOptions) => {
      const id = ++latest.current;
      const began = context.settings;
      const keyed = callOptions?.paymentId === undefined ? {} : { paymentId: callOptions.paymentId };
      const onPaymentRequired = (question) => {
        if (!live.current) return false;
        if (settings.current !== began) return Promise.reject(settingsChanged());
        return ask.current ? ask.current(question) : true;
      };
      setError(null);
      setInFlight((n) => n + 1);
      const end = (failure) => {
        setInFlight((n) => n - 1);
        if (latest.current === id) setError(failure);
      };
      return context.fetch(input, init, { onPaymentRequired, ...keyed }).then(
        (response) => {
          end(null);
          return response;
        },
        (failure) => {
          end(failure);
          throw failure;
        },
      );
    },
    [context],
  );
  return { call, loading: inFlight > 0, error };
}
