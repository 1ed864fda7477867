// Public TypeScript types of x402-wasm.
/// <reference lib="esnext.disposable" />

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
  | 'PAYMENT_IN_PROGRESS'
  | 'PAYMENT_SUPERSEDED'
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
  | 'DISCOVERY_FAILED'
  | 'WASM_LOAD_FAILED';

/** What a BUDGET_EXCEEDED refusal says besides its message. */
export interface BudgetExceededDetails {
  /** The limit the payment would pass. */
  limit: 'total' | 'perOrigin' | 'window';
  /** Dollars left under it, a decimal string. */
  remaining: string;
  /** For a window: in how many ms enough of what it counts leaves it for this payment to fit. */
  retryAfterMs?: number;
}

/**
 * Every failure of the package's own. A paying fetch passes the wrapped fetch's own rejections
 * through as they are (a network TypeError, an abort's DOMException).
 */
export class X402Error extends Error {
  constructor(message: string, code: X402ErrorCode, options?: { cause?: unknown; details?: BudgetExceededDetails });
  readonly name: 'X402Error';
  readonly code: X402ErrorCode;
  /** Set on BUDGET_EXCEEDED. */
  readonly details?: BudgetExceededDetails;
  /** `{ name, code, message, details? }`: what JSON.stringify writes. */
  toJSON(): { name: 'X402Error'; code: X402ErrorCode; message: string; details?: BudgetExceededDetails };
}

/**
 * Resolves once the WebAssembly module is instantiated. In a browser the package fetches it when
 * first imported; if that download fails (or takes over 60 s), the import still succeeds,
 * `ready()` downloads it again (rejecting with WASM_LOAD_FAILED if it still cannot), asynchronous
 * calls (a paying fetch, createPaymentPayload, requirePayment) do so first, and other calls throw
 * WASM_LOAD_FAILED (but wrapFetch, whose paying fetch checks its options once it has the wasm). In
 * Node and Workers it is instantiated at import: `ready()` resolves at once.
 */
export function ready(): Promise<void>;

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

/** One way to pay in x402 v1 (`accepts` of a v1 402 body). */
export interface PaymentRequirementsV1 {
  scheme: string;
  /** A v1 network name, e.g. "base-sepolia". */
  network: string;
  /** Atomic units, decimal string. */
  maxAmountRequired: string;
  resource: string;
  description?: string;
  mimeType?: string;
  payTo: string;
  maxTimeoutSeconds: number;
  asset: string;
  extra?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The 402 challenge of x402 v1 (the JSON body). */
export interface PaymentRequiredV1 {
  x402Version: 1;
  error?: string;
  accepts: PaymentRequirementsV1[];
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
  /**
   * As the server (or facilitator) sent it: a failure may leave it out, and nothing but `success`
   * is checked here (decodePaymentResponse and getPaymentReceipt give `''` instead).
   */
  transaction?: string;
  /** As `transaction`. */
  network?: string;
  amount?: string;
  extensions?: Record<string, unknown>;
  /** A facilitator's explanation of errorReason (official servers send it). */
  errorMessage?: string;
  /** Any other member, as the server sent it (extensionResponses, extra...). */
  [member: string]: unknown;
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
  /** x402 proper, or one of the seed dialects (a transfer the client makes itself). */
  dialect: 'x402-v2-header' | 'x402-v2-body' | 'x402-v1' | 'solana-pay' | 'x402-headers' | 'facilitator-pay';
  /** 0 for a seed dialect. */
  x402Version: 0 | 1 | 2;
  /** The request header a payment goes in. */
  paymentHeader: 'PAYMENT-SIGNATURE' | 'X-PAYMENT' | 'X-Payment-Reference' | 'X-402-Payment-Proof' | 'X-Payment-Proof';
  resource?: ResourceInfo;
  error?: string;
  requirements: Requirement[];
  /** Requirements the server listed that could not be used. */
  rejected: { index: number; code: X402ErrorCode; message: string }[];
  extensions?: Record<string, unknown>;
}

/** Something with `get(name)`, like `Headers`, a plain record, or `[name, value]` pairs. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string> | [string, string][];

export type DocumentName = 'PaymentRequired' | 'PaymentPayload' | 'SettlementResponse';

/** Decodes an x402 header (base64 of UTF-8 JSON) and checks its shape. */
export function decodeHeader(value: string, document: 'PaymentRequired'): PaymentRequired;
export function decodeHeader(value: string, document: 'PaymentPayload'): PaymentPayload | PaymentPayloadV1;
export function decodeHeader(value: string, document: 'SettlementResponse'): SettlementResponse;
export function decodeHeader(
  value: string,
  document: DocumentName,
): PaymentRequired | PaymentPayload | PaymentPayloadV1 | SettlementResponse;
/** Decodes a PAYMENT-RESPONSE / X-PAYMENT-RESPONSE header (`transaction` and `network` `''` when absent). */
export function decodePaymentResponse(value: string): SettlementResponse & { transaction: string; network: string };
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

/**
 * The typed data an EVM wallet adapter is asked to sign (`EvmWalletAdapter.signTypedData`): a
 * TypedDataDefinition whose domain is as x402-wasm makes it (chainId a number, addresses and salt
 * 0x-hex), integers of the message as bigint. It can be handed to viem's `signTypedData` as it is.
 */
export interface EvmTypedData extends TypedDataDefinition {
  domain: { name?: string; version?: string; chainId?: number; verifyingContract?: `0x${string}`; salt?: `0x${string}` };
}

/** What createPaymentPayload needs of an EVM wallet: viem's custom account shape. */
export interface EvmSigner {
  /** The account address (or provide getAddress()). */
  address?: string;
  getAddress?(): Promise<string> | string;
  /**
   * Signs typed data (a TypedDataDefinition); resolves to a 65-byte hex signature (v = 27/28).
   * Typed loosely so that a viem LocalAccount, whose parameter is viem's own generic type, is one.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  signTypedData(typedData: any): Promise<string>;
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
   * to the 0x hash once broadcast, not mined. Sends from one address (by any wallet of that key)
   * go one at a time, each after the previous has been broadcast or failed, so concurrent sends
   * take consecutive nonces. `ctx.signal` stops a send until it is broadcast (also while it waits
   * for its turn), with the signal's reason. Errors: INVALID_ARGUMENT, INVALID_ADDRESS,
   * CHAIN_NOT_AVAILABLE, TRANSACTION_FAILED (it would revert: not sent), RPC_ERROR.
   */
  sendTransaction(
    tx: import('./wallets/types.js').EvmTransactionRequest,
    ctx: import('./wallets/types.js').SendTransactionContext & { rpcUrl: string },
  ): Promise<`0x${string}`>;
  free(): void;
  /** free(), for `using` (where the runtime has Symbol.dispose). */
  [Symbol.dispose](): void;
}

/**
 * A wallet for a hex secp256k1 private key (0x optional). Throws INVALID_PRIVATE_KEY for a key that
 * is not one, INVALID_ARGUMENT for a value that is not a string (e.g. an unset environment variable).
 */
export function evmPrivateKeyWallet(hexKey: string): EvmPrivateKeyWallet;

export interface CreatePaymentOptions {
  /**
   * JSON-RPC URL by CAIP-2 network. Solana: the blockhash and mint (defaults: the public
   * mainnet/devnet/testnet endpoints). EVM: an account's code, and the reads of the gas-sponsoring
   * extensions (Permit2 allowance, EIP-2612 nonce; a local key's approval transaction nonce and fees).
   */
  rpc?: Record<string, string>;
  /**
   * How long, in milliseconds (1 to 600000, default 30000), one JSON-RPC call (a Solana blockhash
   * or mint) may take before the promise rejects with RPC_ERROR.
   */
  rpcTimeout?: number;
  /** Solana: the 16 memo bytes (hex) used when the server sets no extra.memo (default: random). */
  memoBytes?: string;
  /** The client clock, Unix seconds (default: now). */
  now?: number;
  /** 0x + 32 bytes of hex (default: crypto.getRandomValues). */
  nonce?: string;
  /** validAfter, Unix seconds (default: now - 600 for EIP-3009, 0 for Permit2, as the official client). */
  validAfter?: number;
  /**
   * x402 v2: the `payment-identifier` extension's id, when the server declared the extension
   * (16 to 128 letters, digits, `_` or `-`; default: a random `pay_` id).
   */
  paymentId?: string;
}

/**
 * Creates the signed payment payload for `requirement` (one of `paymentRequired.accepts`,
 * a recognised Requirement, or its index). v1 challenges give a v1 payload.
 */
export function createPaymentPayload(
  paymentRequired: PaymentRequired | PaymentRequiredV1 | Challenge | Record<string, unknown>,
  requirement: PaymentRequirements | PaymentRequirementsV1 | Requirement | number,
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
  requirement: PaymentRequirements | Requirement,
  options?: { now?: number; maxClockSkew?: number; minValidity?: number },
): VerifyResult;

// ---- Wallet adapters (pkg-template/wallets) ----
export * from './wallets/types.js';

// ---- The paying fetch (fetch.d.ts) ----
export * from './fetch.js';
import type { AnyWallet } from './fetch.js';

// ---- Solana ----

/** A Solana keypair held in wasm memory (zeroized on free()). */
export interface SolanaPrivateKeyWallet {
  readonly address: string;
  readonly kind: 'solana';
  /** Signs the wire transaction (its own slot); resolves to the signed bytes. */
  signTransaction(transaction: Uint8Array): Promise<Uint8Array>;
  /**
   * Signs its slot and submits the transaction with JSON-RPC sendTransaction (base64) to
   * `ctx.rpcUrl` (required: INVALID_ARGUMENT without); resolves to the base58 signature. Once
   * `ctx.signal` has aborted, nothing is submitted and it rejects with the signal's reason.
   */
  sendTransaction(transaction: Uint8Array, ctx: { rpcUrl: string; network?: string; signal?: AbortSignal }): Promise<string>;
  free(): void;
  /** free(), for `using` (where the runtime has Symbol.dispose). */
  [Symbol.dispose](): void;
}

/**
 * A wallet for a Solana secret: 32-byte seed or 64-byte keypair, as base58, 0x hex, Uint8Array or byte
 * array. Throws INVALID_PRIVATE_KEY for a secret that is not one, INVALID_ARGUMENT for another type.
 */
export function solanaPrivateKeyWallet(secret: string | Uint8Array | number[]): SolanaPrivateKeyWallet;

/**
 * Adapts a Wallet Standard wallet (solana:signTransaction and/or solana:signAndSendTransaction, which
 * gives sendTransaction) or a wallet adapter (publicKey, signTransaction).
 */
export function solanaWallet(
  wallet: unknown,
  options?: { account?: string; chain?: string; VersionedTransaction?: { deserialize(bytes: Uint8Array): unknown } },
): import('./wallets/types.js').SolanaWalletAdapter & {
  getAddress(): Promise<string>;
  /** The wallet given; with a Wallet Standard wallet, `options.account` and `options.chain` too. */
  readonly wallet: unknown;
  readonly account?: string;
  readonly chain?: string;
};
