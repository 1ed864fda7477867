'use client';
// useX402: the provider's paying fetch as `{ call, loading, error }` (seed 004's React hook), for a
// button whose click is the user's go-ahead. No protocol logic: the provider's wrapped fetch pays,
// within its policy; this hook only counts the calls in flight and keeps the last one's error.
import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import { X402Error } from 'x402-wasm';
import { X402Context } from './provider.js';
import { settingsChanged } from './useX402Fetch.js';

/**
 * Returns `{ call, loading, error }`. `call(input, init?, { paymentId, onPaymentRequired }?)` is the
 * provider's paying fetch: it resolves to the Response (a 402 the policy allows is paid on the way,
 * with the provider's wallets) and rejects with what went wrong. The call is the approval: its
 * payment is made within the provider's policy (caps, budget, allow lists) without a question,
 * unless an `onPaymentRequired` answers it: the call's own, else `options.onPaymentRequired` (read
 * at each payment). The call's other options go to the paying fetch, which refuses a misspelt one,
 * as useX402's own options refuse anything but `onPaymentRequired` (INVALID_ARGUMENT). `loading` is true while any call
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
  const given = useRef(options); // read at each call and each payment: the latest render's
  const settings = useRef(context.settings);
  useEffect(() => {
    given.current = options;
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
      // The call's own options go on to the paying fetch, which refuses a misspelt one (a
      // `paymentID` ignored would pay a repeated purchase twice); its approval, if any, answers.
      const { onPaymentRequired: callAsk, ...rest } = isObject(callOptions) ? callOptions : {};
      const refused = badOptions(given.current, callOptions, callAsk);
      if (refused) return Promise.reject(refused);
      // Unmounted or superseded, before the question and after its answer: declined.
      const gone = () => {
        if (!live.current) return false;
        if (settings.current !== began) throw settingsChanged();
        return undefined;
      };
      const onPaymentRequired = async (question) => {
        const before = gone();
        if (before !== undefined) return before;
        const asker = callAsk ?? given.current?.onPaymentRequired;
        if (!asker) return true;
        const answer = await asker(question);
        return gone() ?? answer;
      };
      setError(null);
      setInFlight((n) => n + 1);
      const end = (failure) => {
        setInFlight((n) => n - 1);
        if (latest.current === id) setError(failure);
      };
      return context.fetch(input, init, { ...rest, onPaymentRequired }).then(
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

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * INVALID_ARGUMENT when useX402's options or a call's are not an object (`useX402(confirm)` would
 * pay unasked, `call(url, init, id)` without the id), when useX402's name anything but
 * `onPaymentRequired` (a misspelt approval would pay unasked), or an approval is not a function;
 * else undefined.
 */
function badOptions(options, callOptions, callAsk) {
  for (const [given, what] of [[options, 'useX402(options)'], [callOptions, "a call's options"]]) {
    if (given !== undefined && given !== null && !isObject(given)) {
      return new X402Error(`${what} must be an object, not ${Array.isArray(given) ? 'an array' : typeof given}`, 'INVALID_ARGUMENT');
    }
  }
  const keys = isObject(options) ? Object.keys(options) : [];
  const unknown = keys.find((key) => key !== 'onPaymentRequired');
  if (unknown !== undefined) {
    return new X402Error(`useX402: unknown option ${unknown}; the option is onPaymentRequired`, 'INVALID_ARGUMENT');
  }
  for (const ask of [options?.onPaymentRequired, callAsk]) {
    if (ask !== undefined && ask !== null && typeof ask !== 'function') {
      return new X402Error('onPaymentRequired must be a function', 'INVALID_ARGUMENT');
    }
  }
  return undefined;
}
