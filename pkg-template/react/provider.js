'use client';
// X402Provider: holds the wallets, the policy and the one wrapped fetch the hooks below it share,
// so a budget counts every payment made under the provider.
import { createContext, createElement, useEffect, useMemo, useRef } from 'react';
import { wrapFetch } from 'x402-wasm';

/**
 * What the hooks read: `fetch`, the wrapped fetch, and `settings`, an object that changes only when
 * the provider's settings change in value (wallet adapters count by kind there, not by identity).
 * Each hook request passes its own approval callback and event listener as the wrapped fetch's
 * per-call hooks (third argument), so requests of several components run side by side, each
 * hearing only its own events, while sharing one budget.
 */
export const X402Context = /* @__PURE__ */ createContext(null);

const NO_WALLETS = [];
// Looked up on every call, so a fetch replaced after the provider mounted (tests, polyfills) is used.
const globalFetch = (input, init) => globalThis.fetch(input, init);

/**
 * Provides a paying fetch to useX402Fetch and usePaidResource. The wrapped fetch is made again
 * only when `wallets`, `policy`, `rpc`, `facilitators`, `transactionTimeout` or `rpcTimeout` really change:
 * arrays and plain objects are compared by value (a literal written in the render is fine),
 * wallet adapters by identity. Functions (`fetch`, `policy.select`, a facilitator's `headers`,
 * `onEvent`) are not compared: the wrapped fetch calls the ones of the latest render, so an
 * inline arrow function keeps it. Whatever changes, the budget carries on: each new wrapped fetch
 * shares the spending of the ones before it (`shareBudgetWith`), so a new policy's limits count
 * what was already spent.
 *
 * @param {{ wallets?: object[], policy?: object, fetch?: typeof fetch, rpc?: Record<string, string>,
 *   facilitators?: unknown[], transactionTimeout?: number, rpcTimeout?: number,
 *   onEvent?: (event: object) => void,
 *   children?: unknown }} props
 */
export function X402Provider({
  wallets = NO_WALLETS,
  policy,
  fetch = globalFetch,
  rpc,
  facilitators,
  transactionTimeout,
  rpcTimeout,
  onEvent,
  children,
}) {
  const props = { wallets, policy, fetch, rpc, facilitators, transactionTimeout, rpcTimeout, onEvent };
  // The newest wrapped fetch: the next one shares its spending, even if React drops this memo.
  const spending = useRef(undefined);
  // Told when a budget reservation is given back (a question declined, a wallet that refused):
  // a load the budget refused meanwhile may now be paid (usePaidResource tries it again).
  const releases = useRef(null);
  releases.current ??= new Set();
  const config = useSameValue(props, sameConfig);
  const settings = useSameValue(settingsOf(config), sameValue);
  const made = useMemo(() => {
    // The functions of the latest render committed, read at each call through stable wrappers.
    const live = { current: config };
    let paying;
    try {
      paying = wrapFetch(callThrough(live, config.fetch, ['fetch']), {
        wallets: config.wallets,
        policy: callingThrough(live, config.policy, ['policy']),
        rpc: config.rpc,
        facilitators: callingThrough(live, config.facilitators, ['facilitators']),
        transactionTimeout: config.transactionTimeout,
        rpcTimeout: config.rpcTimeout,
        shareBudgetWith: spending.current,
        // Nothing is approved without a hook asking its user: the per-call hooks replace this default.
        onPaymentRequired: () => false,
        onEvent: (event) => {
          if (releasesBudget(event)) for (const listener of [...releases.current]) listener();
          live.current.onEvent?.(event);
        },
      });
    } catch (error) {
      // Settings wrapFetch refuses (INVALID_POLICY, INVALID_ARGUMENT), e.g. a policy typed by the
      // user: each request rejects with that error, as the hooks report it, instead of the render
      // throwing; the budget goes on with the next valid settings.
      const refused = () => Promise.reject(error);
      return { live, value: { fetch: refused, settings, onRelease: subscribe(releases.current) } };
    }
    spending.current = paying;
    return { live, value: { fetch: paying, settings, onRelease: subscribe(releases.current) } };
  }, [config, settings]);
  useEffect(() => {
    made.live.current = props;
  });
  return createElement(X402Context.Provider, { value: made.value }, children);
}

/**
 * Whether `event` gives a reservation back: one was made (the event names its requirement) and
 * nothing left the client (declined, or failed before sending).
 */
function releasesBudget(event) {
  return event.requirement != null && (event.type === 'rejected' || (event.type === 'failed' && event.spent === false));
}

/** `onRelease(listener)` of the context: adds `listener` to `set`; returns its removal. */
function subscribe(set) {
  return (listener) => {
    set.add(listener);
    return () => set.delete(listener);
  };
}

/**
 * `value`, or the committed one when `same` says they are equal. Compared with what was committed,
 * not with the last render: a render React discards (a transition that suspended) must not leave
 * its value behind, or the next render would see a change back and make a new paying fetch.
 */
function useSameValue(value, same) {
  const committed = useRef(value);
  const current = same(committed.current, value) ? committed.current : value;
  useEffect(() => {
    committed.current = current;
  });
  return current;
}

/**
 * The provider's props compared as documented: a wallet adapter by identity (or, a plain object,
 * member by member with its functions by identity: the same functions are the same wallet), the
 * rest by value with any two functions equal (they are called through {@link callThrough}).
 */
function sameConfig(a, b) {
  return (
    sameValue(a.wallets, b.wallets, false) &&
    sameValue(a.policy, b.policy) &&
    sameValue(a.rpc, b.rpc) &&
    sameValue(a.facilitators, b.facilitators) &&
    sameValue(a.transactionTimeout, b.transactionTimeout) &&
    sameValue(a.rpcTimeout, b.rpcTimeout)
  );
}

/**
 * The settings without the identity of the wallet adapters: what usePaidResource compares to tell a
 * real change (a wallet added or removed, another provider or account, a policy changed) from
 * adapters written inline, made again at each render.
 */
function settingsOf({ wallets, policy, rpc, facilitators, transactionTimeout, rpcTimeout }) {
  const shapes = Array.isArray(wallets) ? wallets.map(walletShape) : wallets;
  return { wallets: shapes, policy, rpc, facilitators, transactionTimeout, rpcTimeout };
}

/**
 * An adapter's members but its functions (kind, address, provider...); a key wallet's kind and
 * address. A viem client made in the render counts by its account and chain: it has a random `uid`.
 */
function walletShape(wallet) {
  if (isPlain(wallet)) {
    const members = Object.entries(wallet).filter(([, member]) => typeof member !== 'function');
    return Object.fromEntries(members.map(([name, member]) => [name, isViemClient(member) ? clientShape(member) : member]));
  }
  try {
    return { kind: wallet.kind, address: wallet.address };
  } catch {
    return wallet; // a freed key wallet: wrapFetch says what is wrong
  }
}

/**
 * Arrays and plain objects compared member by member, anything else by identity; but any two
 * functions are equal unless `functions` is false.
 */
function sameValue(a, b, functions = true) {
  if (Object.is(a, b)) return true;
  if (typeof a === 'function') return functions && typeof b === 'function';
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i], functions));
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key], functions))
  );
}

function isViemClient(value) {
  return typeof value?.request === 'function' && typeof value.uid === 'string';
}

function clientShape(client) {
  return { account: client.account?.address, chain: client.chain?.id, type: client.type };
}

function isPlain(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `value` (plain objects and arrays copied) with each function replaced by {@link callThrough}. */
function callingThrough(live, value, path) {
  if (typeof value === 'function') return callThrough(live, value, path);
  if (Array.isArray(value)) return value.map((item, i) => callingThrough(live, item, [...path, i]));
  if (!isPlain(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, callingThrough(live, item, [...path, key])]));
}

/** Calls the function at `path` in the latest props (`fallback` when there is none there). */
function callThrough(live, fallback, path) {
  return (...args) => {
    const latest = path.reduce((at, key) => at?.[key], live.current);
    return (typeof latest === 'function' ? latest : fallback)(...args);
  };
}
