// Types of x402-wasm/worker: the Cloudflare Workers verify helper.
import type { PaymentRequirements, SettlementResponse, X402Error } from '../index.js';
export { X402Error, ready } from '../index.js';

/** One accepted way to pay. `price`: "$0.01", "0.05 USDC", or atomic `{ amount, asset, extra? }`. */
export interface AcceptConfig {
  scheme?: 'exact';
  /** CAIP-2 ("eip155:8453") or an x402 v1 name ("base"). */
  network: string;
  payTo: string;
  price: string | { amount: string; asset: string; extra?: Record<string, unknown> };
  /** Default 60. */
  maxTimeoutSeconds?: number;
  extra?: Record<string, unknown>;
}

export interface RouteConfig {
  accepts: readonly AcceptConfig[];
  resource?: { url?: string; description?: string; mimeType?: string };
  /** Accept x402 v1 X-PAYMENT (the 402 body is then the v1 document). Default false. */
  acceptV1?: boolean;
  /**
   * Declare the x402 `payment-identifier` extension (v2 idempotency keys): `true` (ids optional) or
   * `{ required: true }` (a payment without one is refused, `payment_identifier_required`). An id
   * that is not 16 to 128 letters, digits, `_` or `-` is refused (`invalid_payment_identifier`); a
   * valid one is `payment.paymentId`. With a store that can remember (both built-in ones), per payer
   * and for `ttlSeconds` after settling (default 3600, at most 30 days): the same payment sent again
   * for the same request while it is valid gets the answer it bought (the middleware keeps bodies up
   * to 256 KB), another payment under a used id is 409
   * `payment_identifier_conflict`, and any request under an id being settled is 409
   * `payment_in_progress` (`Retry-After: 1`). Default false.
   */
  paymentIdentifier?: boolean | { required?: boolean; ttlSeconds?: number };
}

export interface FacilitatorClient {
  /** The facilitator's base URL, without a trailing slash (createFacilitatorClient's clients have it). */
  readonly url?: string;
  verify(paymentPayload: unknown, paymentRequirements: unknown): Promise<{ isValid: boolean; invalidReason?: string; payer?: string }>;
  settle(paymentPayload: unknown, paymentRequirements: unknown): Promise<SettlementResponse>;
  supported(): Promise<{ kinds: { x402Version: number; scheme: string; network: string; extra?: unknown }[] }>;
}

export interface FacilitatorClientOptions {
  url: string;
  headers?: Record<string, string> | ((req: { path: string }) => Record<string, string> | Promise<Record<string, string>>);
  /** Per /verify and /supported call, the whole answer included: a whole number of ms from 1 to 2^31 - 1. Default 10000. */
  timeoutMs?: number;
  /**
   * Per /settle call, as timeoutMs. Default 90000: a facilitator answers once the transaction is
   * mined, and a /settle given up on may still settle (the payer charged, the resource not served).
   */
  settleTimeoutMs?: number;
  /** Retries on 429, honouring Retry-After: 0 to 10. Default 2. */
  retries?: number;
  /** /supported cache lifetime. Default 300000. */
  supportedTtlMs?: number;
  fetch?: typeof fetch;
}

export function createFacilitatorClient(options: FacilitatorClientOptions): FacilitatorClient & { readonly url: string };

/**
 * What a gate's `settle()` resolves to: on success, always the transaction that settled it (a
 * facilitator's success naming none is made a failure); a failure as the facilitator sent it.
 */
export type GateSettlement =
  | (SettlementResponse & { success: true; transaction: string })
  | (SettlementResponse & { success: false });

/** A replay store: reserve(key) is true the first time a payment is seen. */
export interface ReplayStore {
  reserve(key: string, expiresAt: number): Promise<boolean>;
  /**
   * Frees `key`. With `expiresAt`, only the reservation made with that expiry: a key that expired
   * and was reserved again since by another request stays (a store may ignore it, as before).
   */
  release(key: string, expiresAt?: number): Promise<void>;
  /**
   * Optional (payment-identifier): keep `value` (JSON data) under `key`, a key that was reserved,
   * until `expiresAt` (Unix seconds); `recall` gives it back until then (`undefined` for a key only
   * reserved). A key is not free to reserve again until released or expired, remembered or not.
   * Without both, ids are checked but not deduplicated.
   */
  remember?(key: string, value: unknown, expiresAt: number): Promise<void>;
  recall?(key: string): Promise<unknown>;
}
export function memoryReplayStore(): ReplayStore;
/**
 * A replay store in Durable Objects of `namespace` (bound to ReplayStoreDurableObject). `shards`
 * (default 1, at most 1024) spreads keys over that many objects by a hash of the key; change it only
 * when no reservation is outstanding. `name` (default 'x402-replay') names the object(s).
 */
export function durableObjectReplayStore(namespace: DurableObjectNamespaceLike, options?: { name?: string; shards?: number }): ReplayStore;
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> };
}
/** The Durable Object class backing durableObjectReplayStore. Export it from your Worker. */
export class ReplayStoreDurableObject {
  constructor(state: { storage: unknown }, env?: unknown);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

export interface GateOptions {
  /** A client, its options, or a function of the Worker's env returning either. */
  facilitator?: FacilitatorClient | FacilitatorClientOptions | ((env: any) => FacilitatorClient | FacilitatorClientOptions);
  /** A store, or a function of env returning one (e.g. `(env) => durableObjectReplayStore(env.REPLAY)`). Default: in memory. */
  replayStore?: ReplayStore | ((env: any) => ReplayStore);
  /**
   * Also ask the facilitator's /verify before the handler runs. Default false: the local checks
   * cannot see the payer's balance, so the handler then also runs for a payer who cannot pay (only
   * its answer is withheld when settlement fails). Turn it on for handlers with costly or lasting work.
   * It is also what lets smart-contract wallets pay (Coinbase Smart Wallet, multi-owner Safe: ERC-1271, ERC-6492
   * before deployment): their signatures are checked on chain, by the facilitator; without it they are
   * refused (`invalid_exact_evm_payload_signature` or `invalid_payload`).
   */
  verifyWithFacilitator?: boolean;
  /**
   * CORS of the 402s and paid answers. `origin`: a fixed Access-Control-Allow-Origin ('*' by
   * default), or the origins allowed (a list, or a function of the request's Origin), reflected
   * with `Vary: Origin`. `credentials: true` allows cookies and HTTP auth (not with '*').
   */
  cors?: CorsOptions;
  /** Clock override, Unix seconds. */
  now?: number;
  /**
   * JSON-RPC URLs by EVM network (`{ "eip155:8453": "https://..." }`), or a function of env returning
   * them (secrets live there). When a /settle gives no answer (a timeout, a 5xx, a dropped connection)
   * for an EIP-3009 payment (v2, or v1 on a network with a CAIP-2 name) on one of these networks, the
   * chain is asked whether this authorization was executed: the token's AuthorizationUsed log and,
   * in the same transaction, its Transfer of the signed value to the signed recipient, in a block made
   * once this /settle began (at most 5 s in all). If so the payment settled, and it is served with that transaction instead of being
   * refused while it was charged. Without it (and for other payments) such a payment is refused
   * (`unexpected_settle_error`), as before.
   */
  rpc?: Record<string, string> | ((env: any) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>);
}

export interface VerifiedPayment {
  x402Version: 1 | 2;
  payer: string;
  payload: unknown;
  requirement: PaymentRequirements | Record<string, unknown>;
  /** The payment's `payment-identifier` id, on a route that declares the extension (paymentIdentifier). */
  paymentId?: string;
}

export function requirePayment(
  request: Request, routeConfig: RouteConfig, env?: unknown, options?: GateOptions,
): Promise<
  | { response: Response; reason?: string }
  | {
      response?: undefined;
      payment: VerifiedPayment;
      settle(): Promise<GateSettlement>;
      release(): Promise<void>;
      failure(s: SettlementResponse): Response;
      /**
       * After `settle()` succeeded, on a route declaring `paymentIdentifier` with a store that keeps
       * ids: keeps `response` as what this payment bought (its body, up to 256 KB, copied as the
       * client reads it; `ctx.waitUntil` holds the store's write) and returns the Response to send
       * instead, so the same payment sent again gets it rather than a 409 (while the body streams, it
       * is told to wait: 409 payment_in_progress). Call it once, right after `settle()`; a later call,
       * or a Response whose body was read, gets `response` itself, as does any other route.
       */
      keep(response: Response, ctx?: { waitUntil(promise: Promise<unknown>): void }): Response;
    }
>;

export interface PaymentRequiredConfig extends GateOptions {
  /**
   * "GET /path", "/path" or "/prefix/*" -> route config, in the official syntax (`*` anywhere, `[id]`
   * and `:id` for one segment, "*" for every path). The first matching route decides.
   */
  routes: Record<string, RouteConfig>;
  /** Required: the middleware always settles (INVALID_ARGUMENT without). */
  facilitator: NonNullable<GateOptions['facilitator']>;
  /** Settle before calling the handler. Default false (settle after a status below 400). */
  settleBeforeHandler?: boolean;
}

export type Next<Env = unknown, Ctx = unknown> = (request: Request, env: Env, ctx: Ctx) => Response | Promise<Response>;

/**
 * The middleware for `config.routes`. Every route is resolved once here: a route no client could
 * pay (no `accepts`, `maxTimeoutSeconds` 0, a Solana `exact` route without `extra.feePayer`, an
 * EIP-3009 token without its EIP-712 `name` and `version`...) throws INVALID_ROUTE_CONFIG now,
 * naming the route, instead of answering its first request with an error. (In a browser whose
 * download of the wasm failed, the routes are checked at the first request instead, after the
 * middleware downloads the wasm again: see `ready`.)
 */
export function paymentRequired<Env = unknown, Ctx = unknown>(
  config: PaymentRequiredConfig,
): (request: Request, env: Env, ctx: Ctx, next: Next<Env, Ctx>) => Promise<Response>;

export function preflight(request: Request, options?: { cors?: CorsOptions }): Response;

export interface CorsOptions {
  origin?: string | readonly string[] | ((origin: string) => boolean);
  credentials?: boolean;
}
