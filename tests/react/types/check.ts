// Compile-only check of x402-wasm/react's types (run.sh runs tsc on it with @types/react 18 and 19).
import { createElement, type ReactElement } from 'react';
import type { Policy, WalletAdapter } from 'x402-wasm';
import {
  X402Provider,
  usePaidResource,
  useX402,
  useX402Fetch,
  type FetchFunction,
  type HookError,
  type X402CallState,
  type PaidResource,
  type PaymentStatus,
  type PendingPayment,
  type X402FetchState,
} from 'x402-wasm/react';

declare const wallet: WalletAdapter;
const policy: Policy = { maxPerPayment: '0.10', budget: { total: '5' } };

function Pay(): ReactElement | null {
  const { fetch, status, pendingPayment, receipt, error }: X402FetchState = useX402Fetch();
  const paying: FetchFunction = fetch;
  void paying('https://api.example.test/paid', { method: 'POST', body: '{}' }).then((r: Response) => r.status);
  if (status === 'awaiting-approval' && pendingPayment) {
    const question: PendingPayment = pendingPayment;
    const again: string = question.sentAgain === true ? ` (sent again, from ${question.payer ?? 'the wallet that signed it'})` : '';
    const label: string = `${question.amountFormatted} on ${question.requirement.network} to ${question.origin}${again}`;
    if (label) question.approve();
    else question.reject();
  }
  // @ts-expect-error 'loading' is not a status
  const wrong: PaymentStatus = 'loading';
  const transaction: string | undefined = receipt?.transaction;
  const code: string | number | undefined = error?.code;
  return createElement('p', null, wrong, transaction, code);
}

function Report(): ReactElement {
  const report: PaidResource<{ temperature: number }> = usePaidResource<{ temperature: number }>('https://api.example.test/r');
  const temperature: number | undefined = report.data?.temperature;
  const loading: boolean = report.loading;
  const settled: boolean = report.status === 'settled' && report.response?.ok === true;
  usePaidResource(null);
  usePaidResource(new URL('https://api.example.test/r'), { headers: { accept: 'application/json' } });
  usePaidResource('https://api.example.test/order', undefined, { paymentId: 'order_0000000000000001' });
  // @ts-expect-error a paymentId is a string
  usePaidResource('https://api.example.test/order', undefined, { paymentId: 42 });
  return createElement('button', { onClick: report.refetch, disabled: loading || settled }, temperature);
}

function Generate(): ReactElement {
  const { call, loading, error }: X402CallState = useX402();
  const response: Promise<Response> = call('https://api.example.test/generate');
  void call(new URL('https://api.example.test/generate'), { method: 'POST' }, { paymentId: 'order_0000000000000001' });
  void response.then((r: Response) => r.ok);
  const failure: HookError | null = error;
  useX402({ onPaymentRequired: ({ amountFormatted }) => amountFormatted.length > 0 });
  useX402({ onPaymentRequired: async () => true });
  // @ts-expect-error onPaymentRequired answers a boolean
  useX402({ onPaymentRequired: () => 'yes' });
  // @ts-expect-error loading is a boolean
  const wrong: string = loading;
  return createElement('button', { disabled: loading }, failure?.code, wrong);
}

export const app: ReactElement = createElement(
  X402Provider,
  { wallets: [wallet], policy, fetch: globalThis.fetch, rpc: { 'solana:devnet': 'http://127.0.0.1:8899' } },
  createElement(Pay),
  createElement(Report),
  createElement(Generate),
);
export const bare: ReactElement = createElement(X402Provider, null);
