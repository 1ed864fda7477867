// Public TypeScript types of x402-wasm.

/** Stable error codes. Branch on `err.code`; messages may change. */
export type X402ErrorCode =
  | 'HEADER_TOO_LARGE'
  | 'BODY_TOO_LARGE'
  | 'INVALID_HEADER'
  | 'INVALID_JSON'
  | 'INVALID_402'
  | 'INVALID_PAYLOAD'
  | 'INVALID_SETTLEMENT_RESPONSE'
  | 'INVALID_FACILITATOR_RESPONSE'
  | 'UNSUPPORTED_VERSION'
  | 'NOT_402'
  | 'NO_VALID_REQUIREMENT'
  | 'INVALID_AMOUNT'
  | 'AMOUNT_OVERFLOW'
  | 'INVALID_PRICE'
  | 'AMOUNT_PRECISION'
  | 'INVALID_NETWORK'
  | 'INVALID_ARGUMENT'
  | 'UNSUPPORTED_NETWORK'
  | 'UNSUPPORTED_SCHEME'
  | 'INVALID_ADDRESS'
  | 'INVALID_TYPED_DATA'
  | 'INVALID_SIGNATURE'
  | 'INVALID_PRIVATE_KEY'
  | 'MISSING_EIP712_DOMAIN'
  | 'SIGNER_MISMATCH'
  | 'REQUIREMENT_NOT_OFFERED'
  | 'WALLET_ERROR'
  | 'USED_AFTER_FREE'
  | 'USER_REJECTED'
  | 'WALLET_UNAUTHORIZED'
  | 'WALLET_ACCOUNT_UNAVAILABLE'
  | 'CHAIN_NOT_AVAILABLE'
  | 'INVALID_POLICY'
  | 'NO_MATCHING_REQUIREMENT'
  | 'PAYTO_NOT_ALLOWED'
  | 'ASSET_NOT_ALLOWED'
  | 'PAYMENT_LIMIT_EXCEEDED'
  | 'BUDGET_EXCEEDED'
  | 'PAYMENT_REJECTED'
  | 'INVALID_TRANSACTION'
  | 'INVALID_SOLANA_REQUIREMENT'
  | 'RPC_ERROR'
  | 'WALLET_ALTERED_TRANSACTION'
  | 'INVALID_ROUTE_CONFIG'
  | 'FACILITATOR_TIMEOUT'
  | 'FACILITATOR_UNAVAILABLE'
  | 'UNSAFE_REDIRECT'
  | 'TRANSACTION_FAILED'
  | 'TRANSACTION_TIMEOUT'
  | 'WALLET_UNSUPPORTED'
  | 'FACILITATOR_NOT_ALLOWED'
  | 'FACILITATOR_ERROR'
  | 'PAYMENT_EXPIRED'
  | 'INVALID_TIMESTAMP'
  | 'DISCOVERY_FAILED';

/** Every error this package throws. */
export class X402Error extends Error {
  constructor(message: string, code: X402ErrorCode | string, options?: { cause?: unknown });
  readonly name: 'X402Error';
  readonly code: X402ErrorCode;
}

/** The resource a payment is for. */
export interface ResourceInfo {
  url: string;
  description?: string;
  mimeType?: string;
  [key: string]: unknown;
}

/** One way to pay (x402 v2 wire form). */
export interface PaymentRequirements {
  scheme: string;
  /** CAIP-2, e.g. "eip155:8453". */
  network: string;
  /** Atomic units, decimal string (may exceed 2^64). */
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The 402 challenge (x402 v2). */
export interface PaymentRequired {
  x402Version: 2;
  error?: string;
  resource?: ResourceInfo;
  accepts: PaymentRequirements[];
  extensions?: Record<string, unknown>;
}

/** The client's payment (x402 v2), sent in PAYMENT-SIGNATURE. */
export interface PaymentPayload {
  x402Version: 2;
  resource?: ResourceInfo;
  /** The chosen requirement, verbatim. */
  accepted: PaymentRequirements;
  payload: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

/** The client's payment (x402 v1), sent in X-PAYMENT. */
export interface PaymentPayloadV1 {
  x402Version: 1;
  scheme: string;
  network: string;
  payload: Record<string, unknown>;
}

/** The settlement receipt (PAYMENT-RESPONSE / X-PAYMENT-RESPONSE). */
export interface SettlementResponse {
  success: boolean;
  errorReason?: string;
  payer?: string;
  transaction: string;
  network: string;
  amount?: string;
  extensions?: Record<string, unknown>;
}

/** A validated requirement in the common shape of every dialect. */
export interface Requirement {
  /** Position in the server's `accepts`. */
  index: number;
  scheme: string;
  /** CAIP-2 (v1 names are mapped). */
  network: string;
  /** Atomic units, canonical decimal string. */
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra?: Record<string, unknown>;
  /** v1 requirements describe their resource themselves. */
  resource?: ResourceInfo;
  /** The requirement exactly as received (echoed as `accepted`). */
  raw: Record<string, unknown>;
}

/** A recognised 402. */
export interface Challenge {
  dialect: 'x402-v2-header' | 'x402-v2-body' | 'x402-v1';
  x402Version: 1 | 2;
  /** The request header a payment goes in. */
  paymentHeader: 'PAYMENT-SIGNATURE' | 'X-PAYMENT';
  resource?: ResourceInfo;
  error?: string;
  requirements: Requirement[];
  /** Requirements the server listed that could not be used. */
  rejected: { index: number; code: X402ErrorCode; message: string }[];
  extensions?: Record<string, unknown>;
}

/** Something with `get(name)`, like `Headers`, or a plain record. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string>;

export type DocumentName = 'PaymentRequired' | 'PaymentPayload' | 'SettlementResponse';

/** Decodes an x402 header (base64 of UTF-8 JSON) and checks its shape. */
export function decodeHeader(value: string, document: 'PaymentRequired'): PaymentRequired;
export function decodeHeader(value: string, document: 'PaymentPayload'): PaymentPayload | PaymentPayloadV1;
export function decodeHeader(value: string, document: 'SettlementResponse'): SettlementResponse;
/** Decodes a PAYMENT-RESPONSE / X-PAYMENT-RESPONSE header. */
export function decodePaymentResponse(value: string): SettlementResponse;
/** Encodes a payment payload as the PAYMENT-SIGNATURE / X-PAYMENT value (base64, padded). */
export function encodePaymentHeader(payload: PaymentPayload | PaymentPayloadV1): string;
/** Encodes any x402 document as a header value. */
export function encodeHeader(value: unknown): string;
/** Recognises a 402 response in any supported dialect. */
export function recognizePaymentRequired(
  status: number,
  headers: HeaderSource,
  body?: string | Uint8Array | null,
): Challenge;
/** Validates an atomic amount; returns it canonical (no leading zeros). */
export function parseAmount(amount: string): string;
/** Converts a money string to atomic units, exactly. */
export function parsePrice(price: string, decimals: number): { amount: string; currency?: string | null };
/** Formats atomic units: formatUnits("10000", 6) === "0.01". */
export function formatUnits(amount: string, decimals: number): string;
/** Normalises a network (CAIP-2 or v1 name) to CAIP-2. */
export function toCaip2(network: string): string;
/** The v1 name of a network, or undefined. */
export function toV1Network(network: string): string | undefined;

/** EIP-712 typed data in viem's shape (integers as bigint, number or decimal string). */
export interface TypedDataDefinition {
  domain: { name?: string; version?: string; chainId?: number | bigint; verifyingContract?: string; salt?: string };
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

/** What createPaymentPayload needs of an EVM wallet: viem's custom account shape. */
export interface EvmSigner {
  /** The account address (or provide getAddress()). */
  address?: string;
  getAddress?(): Promise<string> | string;
  /** Signs typed data; resolves to a 65-byte hex signature (v = 27/28). */
  signTypedData(typedData: TypedDataDefinition): Promise<string>;
}

/** A wallet whose secp256k1 key lives in wasm memory (zeroized on free()). */
export interface EvmPrivateKeyWallet extends EvmSigner {
  readonly address: string;
  readonly kind: 'evm';
  signTypedData(typedData: TypedDataDefinition): Promise<string>;
  /**
   * Sends `tx` from this key over `ctx.rpcUrl` (required): checks that the RPC serves `tx.chainId`
   * (else CHAIN_NOT_AVAILABLE, nothing sent), takes the pending nonce, EIP-1559 fees (2 x base fee
   * + eth_maxPriorityFeePerGas) and eth_estimateGas + 20%, signs in wasm and broadcasts. Resolves
   * to the 0x hash once broadcast, not mined. Errors: INVALID_ARGUMENT, INVALID_ADDRESS, RPC_ERROR.
   */
  sendTransaction(
    tx: import('./wallets/types.js').EvmTransactionRequest,
    ctx: import('./wallets/types.js').SendTransactionContext,
  ): Promise<`0x${string}`>;
  free(): void;
}

/** A wallet for a hex secp256k1 private key (0x optional). Throws INVALID_PRIVATE_KEY. */
export function evmPrivateKeyWallet(hexKey: string): EvmPrivateKeyWallet;

export interface CreatePaymentOptions {
  /** Solana JSON-RPC URL by CAIP-2 network (defaults: the public mainnet/devnet/testnet endpoints). */
  rpc?: Record<string, string>;
  /** Solana: the 16 memo bytes (hex) used when the server sets no extra.memo (default: random). */
  memoBytes?: string;
  /** The client clock, Unix seconds (default: now). */
  now?: number;
  /** 0x + 32 bytes of hex (default: crypto.getRandomValues). */
  nonce?: string;
  /** validAfter, Unix seconds (default: now - 600). */
  validAfter?: number;
}

/**
 * Creates the signed payment payload for `requirement` (one of `paymentRequired.accepts`,
 * a recognised Requirement, or its index). v1 challenges give a v1 payload.
 */
export function createPaymentPayload(
  paymentRequired: PaymentRequired | Record<string, unknown>,
  requirement: PaymentRequirements | Requirement | number,
  wallet: AnyWallet,
  options?: CreatePaymentOptions,
): Promise<PaymentPayload | PaymentPayloadV1>;

/** The EIP-712 digest of typed data (0x hex). */
export function hashTypedData(typedData: TypedDataDefinition): string;

/** Recovers the address that signed typed data (EIP-55); high-s signatures throw INVALID_SIGNATURE. */
export function recoverTypedDataAddress(typedData: TypedDataDefinition, signature: string): string;

/** The outcome of a local verification. */
export interface VerifyResult {
  isValid: boolean;
  /** x402 reason, e.g. "invalid_exact_evm_payload_signature". */
  invalidReason?: string;
  payer?: string;
  nonce?: string;
}

/** Verifies a payment payload against the requirement it must pay, without a chain. */
export function verifyPayment(
  payment: PaymentPayload | PaymentPayloadV1,
  requirement: PaymentRequirements,
  options?: { now?: number; maxClockSkew?: number; minValidity?: number },
): VerifyResult;

// ---- Wallet adapters (pkg-template/wallets) ----
export * from './wallets/types.js';
import type { WalletAdapter } from './wallets/types.js';

// ---- The paying fetch ----

/** Spend policy. Amounts in dollars are decimal strings ("0.50"); atomic amounts are integer strings. */
export interface Policy {
  /** Cap per payment in a USD stablecoin, in dollars. Default "1". */
  maxPerPayment?: string;
  /** Assets allowed besides the known stablecoins, each with its own cap (atomic units). */
  assets?: { network: string; asset: string; decimals: number; symbol?: string; usd?: boolean; maxPerPayment: string }[];
  /** Recipient allow and deny lists. */
  payTo?: { allow?: string[]; deny?: string[] };
  /** Preference order (CAIP-2 or v1 names or "eip155:*"; addresses or symbols; schemes). */
  prefer?: { networks?: string[]; assets?: string[]; schemes?: string[] };
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
  /** signed, for payments the client makes itself (seed dialects): the hash / signature / facilitator txId. */
  transaction?: string;
  /** settled / failed: the receipt of the paid response. */
  receipt?: PaymentReceipt;
  /** settled / failed: the HTTP status of the paid response. */
  status?: number;
  /** failed without a receipt: the code of the error the call rejects with. */
  error?: X402ErrorCode;
  message?: string;
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
     * No payment: a policy refusal before any wallet call (no `requirement`), or a failure after
     * one was chosen (the wallet refused or failed, the paid request could not be sent...).
     */
    | { type: 'failed'; error: X402ErrorCode; message: string }
  );

/** Callbacks for one call of a wrapped fetch: its approval replaces the wrapper's; its listener hears this call's events. */
export interface PerCallHooks {
  onPaymentRequired?(question: PaymentQuestion): boolean | Promise<boolean>;
  onEvent?(event: PaymentEvent): void;
}

/** A fetch that pays 402s; an optional third argument gives per-call hooks. */
export type PayingFetch = (input: RequestInfo | URL, init?: RequestInit, hooks?: PerCallHooks) => Promise<Response>;

/**
 * Anything wrapFetch and createPaymentPayload take as a wallet: the adapters (eip1193Wallet,
 * viemWallet, solanaWallet, your own), the local key wallets, or a viem-shaped EVM signer.
 */
export type AnyWallet = WalletAdapter | EvmPrivateKeyWallet | SolanaPrivateKeyWallet | EvmSigner;

/**
 * What wrapFetch wraps: the runtime's fetch (called as `fetch(input, init)`) or your own function,
 * which receives one Request per attempt.
 */
export type WrappableFetch =
  | ((input: RequestInfo | URL, init?: RequestInit) => Promise<Response>)
  | ((request: Request) => Promise<Response>);

export interface WrapFetchOptions {
  wallets: readonly AnyWallet[];
  policy?: Policy;
  /** Asked before anything is signed; resolve true to pay. */
  onPaymentRequired?(question: PaymentQuestion): boolean | Promise<boolean>;
  onEvent?(event: PaymentEvent): void;
  /**
   * JSON-RPC endpoints by CAIP-2 network: Solana (blockhash, mint info, sending and confirming
   * transfers) and EVM (sending and confirming ERC-20 transfers with a local key).
   */
  rpc?: Record<string, string>;
  /**
   * Facilitators the client may ask to pay (seed 004 "facilitator-pay"), with the headers
   * (credentials) to send them. A 402 naming any other facilitator is refused with
   * FACILITATOR_NOT_ALLOWED. URLs are compared exactly (a trailing slash ignored).
   */
  facilitators?: Array<string | { url: string; headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>) }>;
  /**
   * How long, in milliseconds (1 to 600000, default 120000), a transfer the client sent itself
   * (seed dialects) may take to confirm before the call fails with TRANSACTION_TIMEOUT. The
   * transfer may still land, so its budget reservation is kept.
   */
  transactionTimeout?: number;
}

/** Wraps fetch so that x402 402s are paid; other responses come back untouched. */
export function wrapFetch(fetch: WrappableFetch, options: WrapFetchOptions): PayingFetch;

/** A server's discovery document (`/.well-known/x402.json`), with the URL it was read from. */
export interface X402Discovery {
  url: string;
  [key: string]: unknown;
}

/** Reads `<origin>/.well-known/x402.json` (no credentials). Errors: DISCOVERY_FAILED, INVALID_ARGUMENT. */
export function discoverX402(site: string | URL, options?: { fetch?: typeof globalThis.fetch; signal?: AbortSignal }): Promise<X402Discovery>;

/** The receipt of a response returned by a wrapped fetch, or decoded from its PAYMENT-RESPONSE header. */
export function getPaymentReceipt(response: Response): PaymentReceipt | undefined;

// ---- Solana ----

/** A Solana keypair held in wasm memory (zeroized on free()). */
export interface SolanaPrivateKeyWallet {
  readonly address: string;
  readonly kind: 'solana';
  /** Signs the wire transaction (its own slot); resolves to the signed bytes. */
  signTransaction(transaction: Uint8Array): Promise<Uint8Array>;
  /**
   * Signs its slot and submits the transaction with JSON-RPC sendTransaction (base64) to
   * `ctx.rpcUrl` (required: INVALID_ARGUMENT without); resolves to the base58 signature.
   */
  sendTransaction(transaction: Uint8Array, ctx: { rpcUrl: string; network?: string }): Promise<string>;
  free(): void;
}

/** A wallet for a Solana secret: 32-byte seed or 64-byte keypair, as base58, 0x hex, Uint8Array or byte array. */
export function solanaPrivateKeyWallet(secret: string | Uint8Array | number[]): SolanaPrivateKeyWallet;

/**
 * Adapts a Wallet Standard wallet (solana:signTransaction and/or solana:signAndSendTransaction, which
 * gives sendTransaction) or a wallet adapter (publicKey, signTransaction).
 */
export function solanaWallet(
  wallet: unknown,
  options?: { account?: string; chain?: string; VersionedTransaction?: { deserialize(bytes: Uint8Array): unknown } },
): import('./wallets/types.js').SolanaWalletAdapter;
