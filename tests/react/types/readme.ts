// Compile-only check that the README's samples type-check as written, under `strict`, against the
// packed tarball's .d.ts (run.sh runs tsc on it). Values a sample takes from its environment
// (process.env, window.ethereum) are declared here.
import { createElement, useState, type ReactElement } from 'react';
import {
  evmPrivateKeyWallet,
  getPaymentReceipt,
  solanaPrivateKeyWallet,
  solanaWallet,
  viemWallet,
  wrapFetch,
  type AnyWallet,
  type EIP1193Provider,
  type PaymentEvent,
} from 'x402-wasm';
import { eip1193Wallet } from 'x402-wasm';
import { X402Provider, usePaidResource, useX402, useX402Fetch } from 'x402-wasm/react';

declare const env: { EVM_KEY: string; SOLANA_SECRET: string };
declare const ethereum: EIP1193Provider;
declare const phantom: unknown;

// Quickstart: Node and agents (both key wallets in one array; events read receipts).
export const pay = wrapFetch(fetch, {
  wallets: [evmPrivateKeyWallet(env.EVM_KEY), solanaPrivateKeyWallet(env.SOLANA_SECRET)],
  policy: {
    maxPerPayment: '0.05',
    budget: { total: '20', perOrigin: '2', window: { seconds: 3600, amount: '5' } },
    payTo: { deny: ['0x000000000000000000000000000000000000dEaD'] },
    prefer: { networks: ['eip155:8453', 'solana:*'] },
  },
  onEvent: (e) => console.log(e.type, e.receipt?.transaction ?? ''),
});

// Any wallet kind mixes with any other, and a Solana key alone is a wallet list.
const mixed: AnyWallet[] = [evmPrivateKeyWallet(env.EVM_KEY), solanaWallet(phantom), eip1193Wallet(ethereum)];
wrapFetch(fetch, { wallets: mixed });
wrapFetch(fetch, { wallets: [solanaPrivateKeyWallet(env.SOLANA_SECRET)] });
wrapFetch(fetch, { wallets: [viemWallet({ address: '0x0000000000000000000000000000000000000001', signTypedData: async () => '0x' })] });

// A custom fetch receives one Request per attempt.
wrapFetch(async (request: Request) => fetch(request), { wallets: mixed });

// Events narrow on `type`; every member is readable on any event.
export function onEvent(e: PaymentEvent): string {
  if (e.type === 'failed') return `${e.error ?? ''} ${e.receipt?.errorReason ?? ''} ${e.spent === 'unknown' ? 'may have paid' : ''}`;
  if (e.type === 'payment_required') return `${e.origin} offers ${e.requirements.length}`;
  if (e.type === 'settled') return `${e.requirement.network} ${e.receipt.transaction ?? ''} ${e.status}`;
  return e.requirement?.network ?? '';
}

export async function receipt(): Promise<string | undefined> {
  const response = await pay('https://api.example.com/agent-tool', { method: 'POST', body: '{}' }, { onEvent });
  return getPaymentReceipt(response)?.transaction;
}

// Quickstart: React: the wallets as the README makes them (no window on a server, maybe no wallet).
declare global {
  interface Window { ethereum?: EIP1193Provider }
}
const provider = typeof window === 'undefined' ? undefined : window.ethereum;
const wallets = provider ? [eip1193Wallet(provider)] : [];
export const quickstart: ReactElement = createElement(X402Provider, { wallets, policy: { maxPerPayment: '0.10' } }, null);

// Quickstart: React (`error.code` of a hook's error).
function Weather(): ReactElement {
  const { data, status, pendingPayment, receipt, error } = usePaidResource('/api/weather');
  if (pendingPayment) return createElement('button', { onClick: pendingPayment.approve }, `Pay ${pendingPayment.amountFormatted}`);
  if (error) return createElement('p', null, error.code ?? error.message);
  return createElement('pre', null, status, JSON.stringify(data), receipt?.transaction);
}

function Buy(): ReactElement {
  const { fetch: paying, error } = useX402Fetch();
  const code: string | number | undefined = error?.code;
  return createElement('button', { onClick: () => void paying('/api/buy', { method: 'POST' }) }, code);
}

// Quickstart: React, useX402 (seed 004's hook).
function Generate(): ReactElement {
  const { call, loading, error } = useX402();
  const [result, setResult] = useState<unknown>(null);
  const generate = () => call('/api/generate', { method: 'POST' }).then((r) => r.json()).then(setResult, () => {});
  return createElement(
    'div',
    null,
    createElement('button', { onClick: generate, disabled: loading }, loading ? 'Processing payment...' : 'Generate'),
    error && createElement('p', null, error.code ?? error.message),
    createElement('pre', null, JSON.stringify(result)),
  );
}

export const app: ReactElement = createElement(
  X402Provider,
  {
    wallets: [eip1193Wallet(ethereum)],
    policy: { maxPerPayment: '0.10' },
    facilitators: ['https://facilitator.example.com'],
    transactionTimeout: 60_000,
    onEvent: (e: PaymentEvent) => console.log(e.type),
  },
  createElement(Weather),
  createElement(Buy),
  createElement(Generate),
);

// The paying fetch: a function of the Request (the undici adapter's shape) needs no annotation.
declare function otherFetch(url: string, init: { method: string; headers: Headers; body: ReadableStream | null }): Promise<Response>;
export const payThroughOtherFetch = wrapFetch((request) => otherFetch(request.url, {
  method: request.method, headers: request.headers, body: request.body,
}), { wallets: [evmPrivateKeyWallet(env.EVM_KEY)] });
