// Types of x402-wasm/react: React bindings over wrapFetch.
import type { ReactElement, ReactNode } from 'react';
import type { PaymentReceipt, Policy, Requirement, WrapFetchOptions, WrappableFetch, X402Error } from '../index.js';

/** A fetch function: what the provider wraps and what the hooks return. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * useX402Fetch's fetch: `options.paymentId` is the payment's idempotency key, sent where the server
 * declares the x402 `payment-identifier` extension (as wrapFetch's per-call `paymentId`).
 */
export type X402FetchFunction = (input: string | URL | Request, init?: RequestInit, options?: { paymentId?: string }) => Promise<Response>;

export interface X402ProviderProps {
  /** The wallets payments may use (default none: every 402 then fails with NO_MATCHING_REQUIREMENT). */
  wallets?: WrapFetchOptions['wallets'];
  /**
   * Spend policy (caps, budgets, allow lists); the core's default when absent. Compared by value;
   * `select` is not compared (the latest render's is called).
   */
  policy?: Policy;
  /**
   * The fetch to wrap (default: the global fetch, looked up at each call), called as wrapFetch
   * calls one: with one Request per attempt. Not compared: the latest render's is called, so an
   * arrow function written in the render keeps the wrapped fetch.
   */
  fetch?: WrappableFetch;
  /** JSON-RPC endpoints by CAIP-2 network (Solana payments, direct transfers). */
  rpc?: Record<string, string>;
  /**
   * Facilitators the client may ask to pay (the facilitator-pay dialect); see WrapFetchOptions.
   * Compared by value; a `headers` function is not compared (the latest render's is called).
   */
  facilitators?: WrapFetchOptions['facilitators'];
  /** How long a transfer the client sends itself may take to confirm, in ms; see WrapFetchOptions. */
  transactionTimeout?: number;
  /** How long one JSON-RPC call before signing may take, in ms; see WrapFetchOptions. */
  rpcTimeout?: number;
  /**
   * Hears the events of every payment under the provider (each hook's own events reach its state
   * too). Changing it does not re-create the wrapped fetch.
   */
  onEvent?: WrapFetchOptions['onEvent'];
  children?: ReactNode;
}

/**
 * What a hook reports as `error`: an X402Error (branch on its string `code`), or another Error
 * (a network TypeError without a code, an abort DOMException whose legacy `code` is a number).
 */
export type HookError = X402Error | (Error & { code?: string | number });

/**
 * Holds the wallets, the policy and one wrapped fetch shared by every hook below it, so budgets count
 * all of their payments. The wrapped fetch is made again only when `wallets`, `policy`, `rpc`,
 * `facilitators`, `transactionTimeout` or `rpcTimeout` really change: arrays and plain objects are compared by
 * value, a wallet adapter by identity (a plain-object adapter member by member, its functions by
 * identity). Functions (`fetch`, `policy.select`, a facilitator's `headers`, `onEvent`) are not
 * compared: the wrapped fetch calls the latest render's. The new wrapped fetch shares the old one's
 * spending (`shareBudgetWith`), so the budget carries on. Keep wallet adapters out of the render
 * (`wallets={[eip1193Wallet(window.ethereum)]}` makes a new adapter, hence a new wrapped fetch, at each
 * render). Hook requests under one provider run side by side, each asking its own user and hearing
 * only its own events. Settings wrapFetch refuses (a policy that does not parse: INVALID_POLICY) do
 * not throw in the render: every request rejects with that error until they are fixed.
 */
export function X402Provider(props: X402ProviderProps): ReactElement;

/** Where the latest request of a hook is. */
export type PaymentStatus = 'idle' | 'awaiting-approval' | 'signing' | 'paying' | 'settled' | 'error';

/** A payment waiting for the user: show it, then call approve() or reject() (once; later calls do nothing). */
export interface PendingPayment {
  /** The requirement the policy chose. */
  requirement: Requirement;
  /** The price with its symbol, e.g. "0.01 USDC". */
  amountFormatted: string;
  /** `scheme://host[:port]` of the server asking to be paid. */
  origin: string;
  /** The resource URL the server names, when it names one. */
  resource?: string;
  /**
   * True for a payment made before under the request's `paymentId` and sent again: approving sends
   * it as it is, with no wallet prompt, from `payer` (the wallet that signed it), whatever wallets
   * the provider has now.
   */
  sentAgain?: true;
  /** With `sentAgain`: the wallet that payment is paid from, when known. */
  payer?: string;
  /** Pays: the wallet is asked to sign (a payment sent again is sent as signed). */
  approve(): void;
  /** Does not pay: the request rejects with PAYMENT_REJECTED. */
  reject(): void;
}

/** What useX402Fetch returns. */
export interface X402FetchState {
  /**
   * Stable while the provider's wallets, policy, rpc, facilitators and transactionTimeout are (its
   * functions may change). Rejects like wrapFetch's fetch.
   */
  fetch: X402FetchFunction;
  /**
   * 'idle' before and during a request that needs no payment (and after one aborted before its
   * payment went out); 'awaiting-approval' while `pendingPayment` is set; 'signing' once approved;
   * 'paying' while the paid retry is out (at once after approval for a payment sent again under a
   * `paymentId`: it is signed already); 'settled' with a successful `receipt`; 'error' when the
   * request threw (also when it was aborted after the payment went out: it may still settle) or the
   * server refused the payment (`receipt.success === false`).
   */
  status: PaymentStatus;
  pendingPayment: PendingPayment | null;
  /** The receipt of the latest payment (also for a refused one), or null. */
  receipt: PaymentReceipt | null;
  /**
   * What the latest request threw: an X402Error (branch on `code`) or another Error (network, abort).
   * After an abort: null (status 'idle') when nothing was paid; the abort error (status 'error') once
   * the payment had gone out, since it may still settle: do not tell the user nothing was paid.
   */
  error: HookError | null;
  /** See {@link PaymentSpent}. */
  spent: PaymentSpent;
}

/**
 * Whether the latest request's payment moved money: `false` when nothing that can move money left
 * the client (also after a refusal or an abort before the payment went out); `'unknown'` once a
 * payment or transfer went out without a successful receipt (the connection died after sending it,
 * the server answered a failure, the request was aborted while paying): it may have settled, so do
 * not tell the user nothing was paid, nor offer to pay again without saying so; `true` with a
 * successful receipt.
 */
export type PaymentSpent = false | 'unknown' | true;

/**
 * The provider's paying fetch, with the state of this component's latest request. Each component
 * tracks its own requests. Unmounting, or hiding by React's `<Activity>`, declines a payment still
 * waiting for approval (PAYMENT_REJECTED, shown as 'error'); an approved one carries on, and a hidden
 * component shows how it ended once shown again. Throws when used outside an X402Provider.
 */
export function useX402Fetch(): X402FetchState;

/** What usePaidResource returns. */
export interface PaidResource<T = unknown> {
  /**
   * The body of the latest response, whatever its HTTP status: parsed JSON when the content-type is
   * JSON (null for an empty body), else the text. Undefined until it arrives. `T` is not checked.
   */
  data: T | undefined;
  /** The final response, or null before it arrives. */
  response: Response | null;
  status: PaymentStatus;
  pendingPayment: PendingPayment | null;
  receipt: PaymentReceipt | null;
  /** What the load threw (X402Error, network error, abort) or the JSON parse error. */
  error: HookError | null;
  /** See {@link PaymentSpent}: of the url shown. */
  spent: PaymentSpent;
  /** True from the moment a load is due until it ends. */
  loading: boolean;
  /** Loads the resource again (paying again if the server asks again). */
  refetch(): void;
}

/**
 * Loads one resource through the provider's paying fetch when `url` is set and whenever it changes;
 * nothing is loaded while it is null, undefined or ''. A load still running when `url` changes or
 * the component unmounts is aborted, unless its payment was approved: that one finishes, and is
 * taken up (never paid again) when `url` comes back to it, running or ended. `status`,
 * `pendingPayment` and `receipt` are those of the url shown (idle for a url not loaded yet, or
 * null). `init` is read at each load; changing it alone does
 * not reload. A component hidden and shown again by `<Activity>` keeps what it loaded and is not
 * paid again: a load hidden while waiting for approval runs again when shown, an approved one goes on.
 * When the provider's wallets or policy change, a load that failed or got a 402 is tried again (e.g.
 * once a wallet connects), but not one the user refused, one aborted, or one whose payment went out;
 * one the budget refused (BUDGET_EXCEEDED) is tried again when another request gives its reservation
 * back (its question declined);
 * one the policy refused, or that was itself such a retry, only when the settings change in value
 * (not for a wallet adapter made again at a render).
 *
 * `options` is read at each load, as `init`. With `options.paymentId` (16 to 128 of
 * `[A-Za-z0-9_-]`), the payment carries that payment-identifier id where the server declares it,
 * and a load repeated under it (`refetch()` after an answer that never came) sends the same
 * payment again while it is valid instead of paying anew. One id is one purchase: give each url its
 * own, and a new one to buy again (under the old one a load gets the first answer, or pays anew once
 * that payment has expired).
 */
export function usePaidResource<T = unknown>(
  url: string | URL | null | undefined,
  init?: RequestInit,
  options?: PaidResourceOptions,
): PaidResource<T>;

/** The third argument of usePaidResource. */
export interface PaidResourceOptions {
  /** The payment's payment-identifier id (idempotency key): see wrapFetch's per-call `paymentId`. */
  paymentId?: string;
}

/** What useX402 returns (seed 004's `const { call, loading, error } = useX402()`). */
export interface X402CallState {
  /**
   * The provider's paying fetch: resolves to the Response (a 402 the policy allows is paid on the
   * way, with the provider's wallets: the call is the approval, unless `onPaymentRequired` was
   * given); rejects with what went wrong, as wrapFetch's fetch. Stable while the provider's
   * settings are.
   */
  call: (
    input: string | URL | Request,
    init?: RequestInit,
    options?: { paymentId?: string; onPaymentRequired?: WrapFetchOptions['onPaymentRequired'] },
  ) => Promise<Response>;
  /** True while any call made through this hook is in flight. */
  loading: boolean;
  /** What the call made last threw, or null (while it runs, and after it succeeded). */
  error: HookError | null;
}

/** The options of useX402. */
export interface X402CallOptions {
  /**
   * Asked before each payment (as wrapFetch's `onPaymentRequired`; read at each payment). Without
   * it, a call pays whatever the provider's policy allows without asking.
   */
  onPaymentRequired?: WrapFetchOptions['onPaymentRequired'];
}

/**
 * The provider's paying fetch as `{ call, loading, error }`, for a button whose click is the user's
 * go-ahead: `await call('/api/generate')` pays within the provider's policy (caps, budget, allow
 * lists) and resolves to the Response. Unmounting, or hiding by `<Activity>`, declines a payment not
 * yet approved (PAYMENT_REJECTED); a call begun before the provider's settings changed in value is
 * not paid with them (PAYMENT_SUPERSEDED). Throws when used outside an X402Provider.
 */
export function useX402(options?: X402CallOptions): X402CallState;
