// Programs that must type-check against the published types: the README's quickstarts, written in
// TypeScript, and the adapter shapes the runtime accepts. tests/js/test/types.test.mjs compiles it
// with tsc (strict), with invalid.ts and viem.ts.
import {
  type AnyWallet,
  type EIP1193Provider,
  type DocumentName,
  type EvmWalletAdapter,
  type PaymentEvent,
  type PaymentRequiredV1,
  type ResponseLike,
  type X402ErrorCode,
  X402Error,
  createPaymentPayload,
  decodeHeader,
  decodePaymentResponse,
  eip1193Wallet,
  evmPrivateKeyWallet,
  getPaymentReceipt,
  ready,
  solanaPrivateKeyWallet,
  solanaWallet,
  wrapFetch,
} from 'x402-wasm';
import { createFacilitatorClient, durableObjectReplayStore, paymentRequired, ready as workerReady, requirePayment } from 'x402-wasm/worker';

// The README's declaration of the injected wallet, for TypeScript users.
declare global {
  interface Window { ethereum?: EIP1193Provider }
}
declare const env: { EVM_KEY: string; SOLANA_SECRET: string };

// Browser quickstart: an injected wallet, limits in dollars, an approval prompt.
export async function browser(): Promise<void> {
  const pay = wrapFetch(fetch, {
    wallets: [eip1193Wallet(window.ethereum!)],
    policy: { maxPerPayment: '0.10', budget: { total: '5.00' } },
    onPaymentRequired: ({ amountFormatted, origin }) => confirm(`Pay ${amountFormatted} to ${origin}?`),
  });
  try {
    const response = await pay('https://api.example.com/premium-data');
    const tx: string | undefined = getPaymentReceipt(response)?.transaction;
    console.log(await response.json(), tx);
  } catch (e) {
    if (e instanceof X402Error) console.error(e.code satisfies X402ErrorCode);
  }
}

// A failed .wasm download: ready() tries again; its rejection is WASM_LOAD_FAILED.
export async function retryLoad(): Promise<string> {
  try {
    await ready();
    const same: Promise<void> = workerReady();
    await same;
    return decodeHeader('e30=', 'PaymentRequired').x402Version === 2 ? 'v2' : 'other';
  } catch (e) {
    return e instanceof X402Error && e.code === 'WASM_LOAD_FAILED' ? 'retry later' : 'failed';
  }
}

// Node / agent quickstart: local keys, a budget with a window, events.
export function agent(): void {
  const pay = wrapFetch(fetch, {
    wallets: [evmPrivateKeyWallet(env.EVM_KEY), solanaPrivateKeyWallet(env.SOLANA_SECRET)],
    policy: {
      maxPerPayment: '0.05',
      budget: { total: '20', perOrigin: '2', window: { seconds: 3600, amount: '5' } },
      payTo: { deny: ['0x000000000000000000000000000000000000dEaD'] },
      prefer: { networks: ['eip155:8453', 'solana:*'] },
    },
    onEvent: (e: PaymentEvent) => console.log(e.type),
  });
  void pay('https://api.example.com/agent-tool', { method: 'POST', body: '{}' });
  // An idempotency key for servers declaring payment-identifier.
  void pay('https://api.example.com/order', { method: 'POST' }, { paymentId: 'task_2026_11_23_0001' });
  // A payment sent again under its id says so, and which wallet it is paid from.
  void pay('https://api.example.com/order', undefined, {
    paymentId: 'task_2026_11_23_0001',
    onPaymentRequired: (q) => (q.sentAgain === true ? confirm(`Send ${q.payer ?? 'your'} payment again?`) : true),
  });
}

// Events narrow on `type`.
export function onEvent(e: PaymentEvent): void {
  switch (e.type) {
    case 'payment_required': { const n: number = e.requirements.length; void n; break; }
    case 'settled': { const s: number = e.status; void s; break; }
    case 'failed': { if ('receipt' in e && e.receipt) { const ok: boolean = e.receipt.success; void ok; } break; }
    default: break;
  }
}

// A Solana adapter of one's own with a fixed address (no getAddress): the runtime accepts it.
export function ownSolanaAdapter(): void {
  const payer = solanaPrivateKeyWallet(new Uint8Array(32).fill(7));
  const adapter: AnyWallet = {
    kind: 'solana',
    address: payer.address,
    signTransaction: (tx: Uint8Array) => payer.signTransaction(tx),
  };
  wrapFetch(fetch, { wallets: [adapter] });
}

// What solanaWallet gives always has getAddress (strict: no possibly-undefined call).
export async function adaptedSolanaAddress(standardWallet: unknown): Promise<string> {
  return solanaWallet(standardWallet).getAddress();
}

// Local keys are disposable; a direct transfer names its RPC.
export function localKeys(key: string): string {
  using evm = evmPrivateKeyWallet(key);
  using sol = solanaPrivateKeyWallet(key);
  void evm.sendTransaction({ chainId: 8453, to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C' }, { rpcUrl: 'http://127.0.0.1:8545' });
  return evm.address + sol.address;
}

// decodeHeader with a document name that is not a literal; receipts of another fetch's responses.
export function decoding(doc: DocumentName, value: string, response: ResponseLike): void {
  const decoded = decodeHeader(value, doc);
  void decoded.x402Version;
  void getPaymentReceipt(response);
}

// Worker quickstart: the middleware with its facilitator and a Durable Object replay store.
declare const REPLAY: Parameters<typeof durableObjectReplayStore>[0];
export const protect = paymentRequired({
  routes: {
    'GET /weather': {
      accepts: [{ network: 'eip155:84532', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }],
      resource: { description: 'Weather API', mimeType: 'application/json' },
    },
    'POST /order': {
      accepts: [{ network: 'eip155:84532', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.50' }],
      paymentIdentifier: { required: true, ttlSeconds: 86400 },
    },
  },
  facilitator: { url: 'https://x402.org/facilitator' },
  replayStore: () => durableObjectReplayStore(REPLAY, { shards: 4 }),
});

// Frozen configuration (as const) is taken as it is: lists are readonly in the types.
const allow = ['0x209693Bc6afc0C5328bA36FaF03C514EF312287C'] as const;
const facilitatorList = ['https://x402.org/facilitator'] as const;
export const frozen = wrapFetch(fetch, {
  wallets: [evmPrivateKeyWallet('0x' + '11'.repeat(32))],
  policy: { payTo: { allow }, prefer: { networks: ['eip155:8453'] as const } },
  facilitators: facilitatorList,
});
const frozenAccepts = [{ network: 'eip155:84532', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }] as const;
export const frozenRoutes = paymentRequired({ routes: { '/paid': { accepts: frozenAccepts } }, facilitator: { url: 'https://x402.org/facilitator' } });

// A v1 402 body and one of its entries, paid as they are; a facilitator client's URL.
export async function payV1(body: PaymentRequiredV1): Promise<string> {
  const payload = await createPaymentPayload(body, body.accepts[0], evmPrivateKeyWallet('0x' + '11'.repeat(32)));
  return `${payload.x402Version} ${createFacilitatorClient({ url: 'https://x402.org/facilitator' }).url}`;
}

// A settlement as sent may lack its transaction; decodePaymentResponse fills it in.
export function transactionOf(header: string): string {
  const raw = decodeHeader(header, 'SettlementResponse');
  return raw.transaction ?? decodePaymentResponse(header).transaction;
}

// An adapter of one's own that pays on Base only.
export const baseOnly: EvmWalletAdapter = {
  kind: 'evm',
  networks: ['eip155:8453'],
  getAddress: async () => '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
  signTypedData: async () => '0x',
};

// A facilitator client of one's own (no url), and a gate's settled transaction after the success check.
export const ownFacilitator = paymentRequired({
  routes: { '/paid': { accepts: [{ network: 'eip155:84532', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }] } },
  facilitator: {
    verify: async () => ({ isValid: true }),
    settle: async () => ({ success: true, transaction: '0x01', network: 'eip155:84532' }),
    supported: async () => ({ kinds: [] }),
  },
});
export async function gate(request: Request): Promise<string> {
  const gated = await requirePayment(request, { accepts: [{ network: 'eip155:84532', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }] });
  if (gated.response) return 'answered';
  const settlement = await gated.settle();
  if (!settlement.success) return settlement.errorReason ?? 'failed';
  return settlement.transaction.slice(2);
}
// With paymentIdentifier, the answer sent is the one kept for the payment sent again.
export async function gateKeeping(request: Request, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
  const route = { accepts: [{ network: 'eip155:84532', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }], paymentIdentifier: true };
  const gated = await requirePayment(request, route, undefined, { rpc: { 'eip155:84532': 'https://sepolia.base.org' } });
  if (gated.response) return gated.response;
  const settlement = await gated.settle();
  if (!settlement.success) return gated.failure(settlement);
  return gated.keep(Response.json({ ok: true }), ctx);
}
