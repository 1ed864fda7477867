// Types of the wallet adapters (wallets/eip1193.js, wallets/viem.js), re-exported by index.d.ts.
import type { EvmTypedData } from '../index.js';

/** The one method of EIP-1193 an adapter uses (`window.ethereum`, WalletConnect, viem clients). */
export interface EIP1193Provider {
  request(args: { method: string; params?: readonly unknown[] | Record<string, unknown> }): Promise<unknown>;
}

/** EIP-3085 `wallet_addEthereumChain` parameters. */
export interface AddEthereumChainParameter {
  /** 0x hex; filled in from the key when given as a map. */
  chainId?: string;
  chainName: string;
  nativeCurrency: { name: string; symbol: string; decimals: number };
  rpcUrls: string[];
  blockExplorerUrls?: string[];
  iconUrls?: string[];
}

/** A transaction a wallet sends for a direct transfer (an ERC-20 `transfer` call). */
export interface EvmTransactionRequest {
  /** The EIP-155 chain id; the wallet must be (or switch) on it. */
  chainId: number;
  /** The called contract (the token). */
  to: `0x${string}`;
  /** The calldata, 0x hex (default `0x`). */
  data?: `0x${string}`;
  /** Wei sent along, as a 0x hex quantity (default `0x0`). */
  value?: `0x${string}`;
}

/**
 * A transaction a wallet signs without sending, in viem's shape (a viem local account's
 * `signTransaction` takes it as is): the `approve(Permit2, 2^256 - 1)` that a 402 offering
 * `erc20ApprovalGasSponsoring` asks for, which the facilitator funds and broadcasts.
 */
export interface EvmSignableTransaction {
  type: 'eip1559';
  chainId: number;
  nonce: number;
  to: `0x${string}`;
  data: `0x${string}`;
  value: bigint;
  gas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  accessList: [];
}

/** What the payer passes to `sendTransaction` besides the transaction. */
export interface SendTransactionContext {
  /** The JSON-RPC URL of the chain (options.rpc). A local key needs it; wallets with their own node ignore it. */
  rpcUrl?: string;
  /** The paying fetch's signal: send nothing once it has aborted (a prompt may take long). */
  signal?: AbortSignal;
}

/**
 * An EVM wallet as createPaymentPayload and wrapFetch use it. Writing your own: reject with an
 * error whose `code` is one of the package's (USER_REJECTED, WALLET_UNSUPPORTED, CHAIN_NOT_AVAILABLE,
 * ...); other codes become WALLET_ERROR. A direct transfer that your `sendTransaction` fails keeps
 * its budget reservation whatever the code, since it may have been broadcast.
 */
export interface EvmWalletAdapter {
  readonly kind: 'evm';
  /** Set only when the address cannot change (a local key); otherwise call getAddress(). */
  readonly address?: `0x${string}`;
  /**
   * The networks (CAIP-2 `eip155:8453`, or x402 v1 names) this wallet pays on, when it cannot pay on every chain (a
   * smart account is bound to its chain): a paying fetch does not choose it for another network's
   * payment. Absent: every EVM network. Read once, when the paying fetch is made.
   */
  readonly networks?: readonly string[];
  getAddress(): Promise<`0x${string}`>;
  /**
   * Signs viem-shaped typed data (no EIP712Domain in types); a 0x 65-byte signature, or a
   * smart-contract account's in its own format (ERC-1271, ERC-6492), sent as given. `options.signal`
   * is the paying call's: an adapter that asks the wallet several things (a chain switch, then the
   * signature) should stop once it aborts. It is never called after the abort.
   */
  signTypedData(typedData: EvmTypedData, options?: SignOptions): Promise<`0x${string}`>;
  /**
   * Sends a transaction (direct transfers) and resolves to its hash once broadcast, not mined.
   * Without it, direct-transfer payments fail with WALLET_UNSUPPORTED.
   */
  sendTransaction?(tx: EvmTransactionRequest, ctx?: SendTransactionContext): Promise<`0x${string}`>;
  /**
   * Signs `tx` without sending it and resolves to the serialized signed transaction (0x hex,
   * `0x02...`). Asked only for the approval of `erc20ApprovalGasSponsoring`, when Permit2's allowance
   * is short and `options.rpc[network]` is set (the nonce and fees are read there). What comes back
   * must be exactly `tx`, signed by this account: otherwise WALLET_ALTERED_TRANSACTION or
   * SIGNER_MISMATCH, and nothing is paid. Without it the extension is echoed unsigned.
   */
  signTransaction?(tx: EvmSignableTransaction, options?: SignOptions): Promise<`0x${string}`>;
  /**
   * The JSON-RPC receipt of a transaction (status `0x1` / `0x0`, and its `logs`), or null while
   * pending. Used to wait for a direct transfer when no RPC URL is configured for its chain; the
   * token's `Transfer` log must be among the `logs` (else WALLET_ALTERED_TRANSACTION).
   */
  getTransactionReceipt?(hash: `0x${string}`): Promise<unknown | null>;
  /**
   * The code at `address` (`eth_getCode`, `0x` for none) on chain `context.chainId`. Asked only
   * when `signTypedData` gave a signature that does not recover the account's address (64 or 65
   * bytes): with code (a one-owner Safe, an EIP-7702 account) the signature is sent as the
   * account's, for the facilitator and the token to check with its `isValidSignature`; without,
   * the payment is refused (SIGNER_MISMATCH). Without this method, `eth_getCode` goes to
   * `options.rpc[network]` when set, else the account is taken to have no code.
   */
  getCode?(address: `0x${string}`, context?: { chainId?: number; signal?: AbortSignal }): Promise<string>;
  /**
   * A read-only `eth_call` (hex result), on `context.chainId`: how the core reads a token's Permit2
   * allowance and the payer's EIP-2612 nonce when a 402 offers `eip2612GasSponsoring`. Without it,
   * `options.rpc[network]` when set, else no permit is signed. Reject with CHAIN_NOT_AVAILABLE when
   * your node is on another chain; an answer not given within `rpcTimeout` is RPC_ERROR.
   */
  ethCall?(request: { to: `0x${string}`; data: `0x${string}` }, context?: { chainId?: number; signal?: AbortSignal }): Promise<string>;
}

/** What a signing method is given besides what it signs. */
export interface SignOptions {
  /** The paying call's abort signal, when it has one. */
  signal?: AbortSignal;
  /** Solana: the payment's CAIP-2 network (e.g. `solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp`). */
  network?: string;
}

/** A Solana wallet: signs (partially) a serialised transaction, and may send one itself. */
export interface SolanaWalletAdapter {
  readonly kind: 'solana';
  /** The payer's base58 address; give it, or getAddress(). */
  readonly address?: string;
  /** The CAIP-2 networks this wallet pays on, as EvmWalletAdapter's. Absent: every Solana network. */
  readonly networks?: readonly string[];
  getAddress?(): Promise<string>;
  /** Signs (partially) a serialised transaction; `options.signal` as for EVM's signTypedData. */
  signTransaction?(tx: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
  /**
   * Signs and submits a transaction the wallet pays for (direct transfers); resolves to its
   * signature, base58 or 64 bytes. `network` is CAIP-2; `rpcUrl` the RPC the client would use.
   * Without it the client signs with signTransaction and submits over `rpcUrl` itself.
   */
  sendTransaction?(tx: Uint8Array, ctx: { rpcUrl?: string; network: string; signal?: AbortSignal }): Promise<string | Uint8Array>;
}

/** What the payment functions accept as a wallet. Narrow on `kind`. */
export type WalletAdapter = EvmWalletAdapter | SolanaWalletAdapter;

/** Options of eip1193Wallet. */
export interface Eip1193WalletOptions {
  /** Use this account (case-insensitive) rather than the wallet's first; WALLET_ACCOUNT_UNAVAILABLE if absent. */
  account?: string;
  /**
   * Chains to add (wallet_addEthereumChain) when the wallet answers 4902 to a switch, keyed by
   * chain id (decimal or 0x) or as a list carrying `chainId`.
   */
  chains?: Record<string | number, AddEthereumChainParameter> | AddEthereumChainParameter[];
}

/** The adapter eip1193Wallet returns. */
export interface Eip1193WalletAdapter extends EvmWalletAdapter {
  readonly provider: EIP1193Provider;
  /** `options.account`, as given. */
  readonly account: string | undefined;
  /** eth_sendTransaction `{ from, to, data, value }` after switching to `tx.chainId`; nothing is sent once `ctx.signal` has aborted. */
  sendTransaction(tx: EvmTransactionRequest, ctx?: SendTransactionContext): Promise<`0x${string}`>;
  /** eth_getTransactionReceipt on the provider. */
  getTransactionReceipt(hash: `0x${string}`): Promise<unknown | null>;
  /** eth_getCode on the provider; CHAIN_NOT_AVAILABLE when it is not on `context.chainId` (no prompt). */
  getCode(address: `0x${string}`, context?: { chainId?: number; signal?: AbortSignal }): Promise<string>;
  /** eth_call on the provider (the EIP-2612 sponsoring reads); CHAIN_NOT_AVAILABLE when it is not on `context.chainId` (no prompt). */
  ethCall(request: { to: `0x${string}`; data: `0x${string}` }, context?: { chainId?: number; signal?: AbortSignal }): Promise<string>;
}

/**
 * Wraps an EIP-1193 provider as an x402 EVM wallet: reads the account each time (prompting only
 * when not connected), switches the wallet to the typed data's (or transaction's) chain, signs with
 * eth_signTypedData_v4, sends with eth_sendTransaction. Errors: USER_REJECTED (4001),
 * WALLET_UNAUTHORIZED (4100), WALLET_ACCOUNT_UNAVAILABLE, CHAIN_NOT_AVAILABLE, INVALID_ARGUMENT (a
 * malformed transaction), WALLET_ERROR (anything else, cause kept).
 */
export function eip1193Wallet(provider: EIP1193Provider, options?: Eip1193WalletOptions): Eip1193WalletAdapter;

/**
 * The part of a viem Account the adapter uses (privateKeyToAccount, mnemonicToAccount, toAccount).
 * Parameters are `any` on purpose: viem's signatures are generic and stricter than TypedDataDefinition.
 */
export interface ViemAccountLike {
  readonly address: `0x${string}`;
  /** `'smart'` for a smart account, which pays on its client's chain only (`networks`). */
  readonly type?: string;
  readonly client?: { readonly chain?: { readonly id: number } };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  signTypedData(typedData: any): Promise<`0x${string}`>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  signTransaction?(tx: any): Promise<`0x${string}`>;
}

/** The part of a viem WalletClient the adapter uses. */
export interface ViemWalletClientLike {
  readonly account?: ViemAccountLike | { readonly address: `0x${string}`; readonly type?: string };
  readonly chain?: { readonly id: number };
  request(args: { method: string; params?: unknown }): Promise<unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  signTypedData(args: any): Promise<`0x${string}`>;
  getChainId?(): Promise<number>;
  switchChain?(args: { id: number }): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sendTransaction?(args: any): Promise<`0x${string}`>;
}

/**
 * Wraps a viem Account or WalletClient as an x402 EVM wallet. A JSON-RPC WalletClient is switched
 * to the typed data's (or transaction's) chain first (switchChain). Direct transfers need a
 * WalletClient: after checking `eth_chainId`, a JSON-RPC account sends eth_sendTransaction naming
 * the chainId, a local account signs for that chain; a bare Account's adapter has no
 * `sendTransaction`. A local account (`type: 'local'`, bare or the client's) also gives
 * `signTransaction`, for the ERC-20 approval of gas sponsoring. A smart account (`type: 'smart'`)
 * pays on its client's chain only: its adapter's `networks` says so. Errors: USER_REJECTED (viem's
 * UserRejectedRequestError), WALLET_UNAUTHORIZED, CHAIN_NOT_AVAILABLE, WALLET_ACCOUNT_UNAVAILABLE,
 * WALLET_UNSUPPORTED, INVALID_ARGUMENT, WALLET_ERROR.
 */
export function viemWallet(
  accountOrWalletClient: ViemAccountLike | ViemWalletClientLike,
): EvmWalletAdapter & { readonly account?: ViemAccountLike; readonly walletClient?: ViemWalletClientLike };
