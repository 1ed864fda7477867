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
 * Provides a paying fetch to useX402Fetch and usePaidResource. The wrapped fetch is made again
 * only when `wallets`, `policy`, `fetch`, `rpc`, `facilitators` or `transactionTimeout` really
 * change: arrays and plain objects are compared by value (a literal written in the render is
 * fine), anything else (wallet adapters, functions) by identity. Whatever changes, the budget
 * carries on: each new wrapped fetch shares the spending of the ones before it
 * (`shareBudgetWith`), so a new policy's limits count what was already spent. `onEvent` may change
 * freely.
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
  // The newest wrapped fetch: the next one shares its spending, even if React drops this memo.
  const spending = useRef(undefined);
  const config = useSameValue({ wallets, policy, fetch, rpc, facilitators, transactionTimeout });
  const value = useMemo(() => {
    const paying = wrapFetch(config.fetch, {
      wallets: config.wallets,
      policy: config.policy,
      rpc: config.rpc,
      facilitators: config.facilitators,
      transactionTimeout: config.transactionTimeout,
      shareBudgetWith: spending.current,
      // Nothing is approved without a hook asking its user: the per-call hooks replace this default.
      onPaymentRequired: () => false,
      onEvent: (event) => listener.current?.(event),
    });
    spending.current = paying;
    return { fetch: paying };
  }, [config]);
  return createElement(X402Context.Provider, { value }, children);
}

/** `value`, or the one of an earlier render when they are equal by {@link sameValue}. */
function useSameValue(value) {
  const kept = useRef(value);
  if (!sameValue(kept.current, value)) kept.current = value;
  return kept.current;
}

/** Arrays and plain objects compared member by member; anything else by identity. */
function sameValue(a, b) {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key]));
}

function isPlain(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
