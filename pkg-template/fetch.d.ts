// Types of the paying fetch (wrapFetch, its policy, approval, events and receipts), re-exported by
// index.d.ts.
import type { EvmPrivateKeyWallet, EvmSigner, Requirement, SolanaPrivateKeyWallet, X402ErrorCode } from './index.js';
import type { WalletAdapter } from './wallets/types.js';

/** Spend policy. Amounts in dollars are decimal strings ("0.50"); atomic amounts are integer strings. */
export interface Policy {
  /** Cap per payment in a USD stablecoin, in dollars. Default "1". */
  maxPerPayment?: string;
  /** Assets allowed besides the known stablecoins, each with its own cap (atomic units). */
  assets?: readonly { network: string; asset: string; decimals: number; symbol?: string; usd?: boolean; maxPerPayment: string }[];
  /** Recipient allow and deny lists. */
  payTo?: { allow?: readonly string[]; deny?: readonly string[] };
  /** Preference order (CAIP-2 or v1 names or "eip155:*"; addresses or symbols; schemes). */
  prefer?: { networks?: readonly string[]; assets?: readonly string[]; schemes?: readonly string[] };
  /** Cumulative limits in dollars; they count payments in USD assets only (known stablecoins and `assets` with `usd: true`). */
  budget?: { total?: string; perOrigin?: string; window?: { seconds: number; amount: string } };
  /** Picks one of the allowed requirements (most preferred first); return it, its `index` (position in the server's list), or nothing for the default. */
  select?(requirements: Requirement[]): Requirement | number | null | undefined | Promise<Requirement | number | null | undefined>;
}

/** What onPaymentRequired is asked. */
export interface PaymentQuestion {
  requirement: Requirement;
  resource?: string;
  /** "0.01 USDC". */
  amountFormatted: string;
  origin: string;
  /**
   * True when the call's `paymentId` was paid before for the same purchase (by this fetch or one
   * sharing its spending): approving sends that payment again, already signed, with no wallet prompt.
   */
  sentAgain?: true;
  /** With `sentAgain`: the wallet that payment is paid from (an EVM address or a Solana key), when known. */
  payer?: string;
}

/** The outcome of a paid request. */
export interface PaymentReceipt {
  success: boolean;
  transaction?: string;
  network?: string;
  payer?: string;
  amount?: string;
  errorReason?: string;
  extensions?: Record<string, unknown>;
  /** 1ly's purchase metadata from the paid JSON body (seed 000), when present. */
  _1ly?: { purchaseId?: string; reviewToken?: string; [key: string]: unknown };
  /** HTTP status of the paid response. */
  status: number;
}

/** The members an event may carry; which are set depends on `type` (see PaymentEvent). */
export interface PaymentEventFields {
  /** `scheme://host[:port]` of the server asking to be paid. */
  origin?: string;
  /** The requirement being paid (every event but payment_required and a policy refusal). */
  requirement?: Requirement;
  /** payment_required: what the server offers (recognised requirements, before policy). */
  requirements?: Requirement[];
  /** approved: true when no onPaymentRequired was asked. */
  automatic?: boolean;
  /**
   * approved, settled, failed: true when the call's `paymentId` was paid by this fetch before for the
   * same purchase, and that payment is sent again (not signed or counted again).
   */
  sentAgain?: boolean;
  /** approved with `sentAgain`: the wallet the payment sent again is paid from, when known. */
  payer?: string;
  /** signed, for payments the client makes itself (seed dialects): the hash / signature / facilitator txId. */
  transaction?: string;
  /** settled / failed: the receipt of the paid response. */
  receipt?: PaymentReceipt;
  /** settled / failed: the HTTP status of the paid response. */
  status?: number;
  /** failed without a receipt: the code of the error the call rejects with (absent for an abort or a network error). */
  error?: X402ErrorCode;
  message?: string;
  /**
   * failed without a receipt: `false` when nothing that can move money left the client (the budget
   * reservation was given back); `'unknown'` when a payment or transfer went out and may still
   * settle (the connection died, a confirmation timed out...): do not tell the user nothing was paid.
   */
  spent?: false | 'unknown';
}

/** An event of a paying fetch. Narrow on `type`; every member of PaymentEventFields can be read on any event. */
export type PaymentEvent = PaymentEventFields &
  (
    | { type: 'payment_required'; origin: string; requirements: Requirement[] }
    | { type: 'approved'; requirement: Requirement }
    | { type: 'rejected'; requirement: Requirement }
    | { type: 'signed'; requirement: Requirement }
    /** The paid response: `receipt.success` tells settled from failed. */
    | { type: 'settled' | 'failed'; requirement: Requirement; receipt: PaymentReceipt; status: number }
    /**
     * The call failed without a paid response: a policy refusal before any wallet call, or a 402
     * refused as malformed or after an unsafe redirect (no `requirement`, `spent: false`), or a
     * failure after one was chosen (the wallet refused or
     * failed, the paid request could not be sent, a transfer was not confirmed...): see `spent`.
     */
    | { type: 'failed'; spent: false | 'unknown'; error?: X402ErrorCode; message?: string }
  );

/** Callbacks for one call of a wrapped fetch: its approval replaces the wrapper's; its listener hears this call's events. */
export interface PerCallHooks {
  onPaymentRequired?(question: PaymentQuestion): boolean | Promise<boolean>;
  onEvent?(event: PaymentEvent): void;
  /**
   * The idempotency key of this call's payment, sent when the server declares the x402
   * `payment-identifier` extension (16 to 128 letters, digits, `_` or `-`; INVALID_ARGUMENT
   * otherwise). Default: a random `pay_` id, also only where declared. A call repeating a purchase
   * this fetch paid under the same id (same method, URL and requirement, while the payment is valid) sends
   * that payment again, which cannot be charged twice: a server deduplicating ids answers it with
   * what it bought. A new payment under a used id is refused by such a server (409).
   */
  paymentId?: string;
}

/**
 * A fetch that pays 402s; an optional third argument gives per-call hooks. It resolves to what the
 * wrapped fetch resolved to (`R`): a Response, unless that fetch is another implementation's.
 */
export type PayingFetch<R = Response> = (input: string | URL | Request, init?: RequestInit, hooks?: PerCallHooks) => Promise<R>;

/**
 * Anything wrapFetch and createPaymentPayload take as a wallet: the adapters (eip1193Wallet,
 * viemWallet, solanaWallet, your own), the local key wallets, or a viem-shaped EVM signer.
 */
export type AnyWallet = WalletAdapter | EvmPrivateKeyWallet | SolanaPrivateKeyWallet | EvmSigner;

/**
 * What wrapFetch wraps: the runtime's fetch (called as `fetch(input, init)`, which this type
 * accepts) or your own function, which receives one Request per attempt and nothing else, so
 * `(request) => ...` is typed without an annotation.
 */
export type WrappableFetch<R extends ResponseLike = Response> = (request: Request) => Promise<R>;

/**
 * What the paying fetch uses of a response, which may be another implementation's (undici's
 * package, a polyfill, an iframe's fetch): the paying fetch then resolves to that type.
 */
export interface ResponseLike {
  readonly status: number;
  readonly url: string;
  readonly redirected: boolean;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
  /** A web ReadableStream (of this realm's or another's). */
  readonly body: { getReader(): unknown } | null;
  clone(): unknown;
}

export interface WrapFetchOptions {
  wallets: readonly AnyWallet[];
  policy?: Policy;
  /** Asked before anything is signed; resolve true to pay. */
  onPaymentRequired?(question: PaymentQuestion): boolean | Promise<boolean>;
  onEvent?(event: PaymentEvent): void;
  /**
   * JSON-RPC endpoints by CAIP-2 network: Solana (blockhash, mint info, sending and confirming
   * transfers) and EVM (sending and confirming ERC-20 transfers with a local key; an account's code;
   * the gas-sponsoring extensions' reads: Permit2 allowance, EIP-2612 nonce, a local key's approval
   * transaction nonce and fees).
   */
  rpc?: Record<string, string>;
  /**
   * How long, in milliseconds (1 to 600000, default 30000), one JSON-RPC call made before signing
   * (a Solana blockhash or mint) may take before the call fails with RPC_ERROR. Nothing was signed,
   * so the budget reservation is released. The request's abort signal also stops the wait.
   */
  rpcTimeout?: number;
  /**
   * Facilitators the client may ask to pay (seed 004 "facilitator-pay"), with the headers
   * (credentials) to send them. A 402 naming any other facilitator is refused with
   * FACILITATOR_NOT_ALLOWED. URLs are compared exactly (a trailing slash ignored).
   */
  facilitators?: ReadonlyArray<string | { url: string; headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>) }>;
  /**
   * How long, in milliseconds (1 to 600000, default 120000), a transfer the client sent itself
   * (seed dialects) may take to confirm before the call fails with TRANSACTION_TIMEOUT. The
   * transfer may still land, so its budget reservation is kept.
   */
  transactionTimeout?: number;
  /**
   * Another paying fetch made by wrapFetch whose spending this one shares: the payments of both
   * count against the budget limits of each (each checks its own policy's), and a payment made
   * under a `paymentId` by either is sent again by the other for the same purchase. A window counts the
   * payments made since some sharing policy first had a window. Anything else is INVALID_ARGUMENT.
   */
  shareBudgetWith?: PayingFetch<unknown>;
}

/** Wraps fetch so that x402 402s are paid; other responses come back untouched. */
export function wrapFetch<R extends ResponseLike = Response>(fetch: WrappableFetch<R>, options: WrapFetchOptions): PayingFetch<R>;

/** A server's discovery document (`/.well-known/x402.json`), with the URL it was read from. */
export interface X402Discovery {
  url: string;
  [key: string]: unknown;
}

/**
 * Reads `<origin>/.well-known/x402.json` (no credentials, at most 256 KiB, within `timeoutMs`:
 * 10 000 by default). Errors: DISCOVERY_FAILED, INVALID_ARGUMENT; an abort rejects with its reason.
 */
export function discoverX402(
  site: string | URL,
  options?: { fetch?: typeof globalThis.fetch; signal?: AbortSignal; timeoutMs?: number },
): Promise<X402Discovery>;

/** The receipt of a response returned by a wrapped fetch, or decoded from its PAYMENT-RESPONSE header. */
export function getPaymentReceipt(response: ResponseLike): PaymentReceipt | undefined;
