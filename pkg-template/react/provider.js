// X402Provider: holds the wallets, the policy and the one wrapped fetch the hooks below it share,
// so a budget counts every payment made under the provider.
import { createContext, createElement, useEffect, useMemo, useRef } from 'react';
import { wrapFetch } from 'x402-wasm';

/**
 * What the hooks read: the wrapped fetch. Each hook request passes its own approval callback and
 * event listener as the wrapped fetch's per-call hooks (third argument), so requests of several
 * components run side by side, each hearing only its own events, while sharing one budget.
 */
export const X402Context = /* @__PURE__ */ createContext(null);

const NO_WALLETS = [];
// Looked up on every call, so a fetch replaced after the provider mounted (tests, polyfills) is used.
const globalFetch = (input, init) => globalThis.fetch(input, init);

/**
 * Provides a paying fetch to useX402Fetch and usePaidResource. The wrapped fetch (and with it the
 * budget's ledger) is re-created when the identity of `wallets`, `policy`, `fetch`, `rpc` or
 * `facilitators`, or the value of `transactionTimeout`, changes: keep them stable (module constants,
 * useMemo or state), not literals written in the render. `onEvent` may change freely.
 *
 * @param {{ wallets?: object[], policy?: object, fetch?: typeof fetch, rpc?: Record<string, string>,
 *   facilitators?: unknown[], transactionTimeout?: number, onEvent?: (event: object) => void,
 *   children?: unknown }} props
 */
export function X402Provider({
  wallets = NO_WALLETS,
  policy,
  fetch = globalFetch,
  rpc,
  facilitators,
  transactionTimeout,
  onEvent,
  children,
}) {
  const listener = useRef(onEvent);
  useEffect(() => {
    listener.current = onEvent;
  });
  const value = useMemo(
    () => ({
      fetch: wrapFetch(fetch, {
        wallets,
        policy,
        rpc,
        facilitators,
        transactionTimeout,
        // Nothing is approved without a hook asking its user: the per-call hooks replace this default.
        onPaymentRequired: () => false,
        onEvent: (event) => listener.current?.(event),
      }),
    }),
    [wallets, policy, fetch, rpc, facilitators, transactionTimeout],
  );
  return createElement(X402Context.Provider, { value }, children);
}
