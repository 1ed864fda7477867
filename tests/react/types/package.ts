// Compile-only checks that what runs also type-checks, under `strict`, against the packed tarball's
// .d.ts (run.sh runs tsc on it): the low-level flow on a recognised challenge, a viem LocalAccount
// as a wallet (viem's own types, not a look-alike), a Request-only fetch given to the provider, and
// a fetch resolving to another implementation's Response.
import { createElement, type ReactElement } from 'react';
import { privateKeyToAccount } from 'viem/accounts';
import {
  createPaymentPayload,
  recognizePaymentRequired,
  verifyPayment,
  wrapFetch,
  type EvmSigner,
  type VerifyResult,
} from 'x402-wasm';
import { X402Provider } from 'x402-wasm/react';

declare const response: Response;
declare const body: string;

// A recognised challenge and its requirement go straight into createPaymentPayload and verifyPayment.
const account = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const challenge = recognizePaymentRequired(response.status, response.headers, body);
export const payload = createPaymentPayload(challenge, challenge.requirements[0], account);
export const checked: Promise<VerifyResult> = payload.then((p) => verifyPayment(p, challenge.requirements[0]));

// A viem LocalAccount is an EVM signer, and a wallet for wrapFetch.
const signer: EvmSigner = account;
export const paying = wrapFetch(fetch, { wallets: [signer, account] });

// The provider calls its fetch as wrapFetch does: with one Request.
export const provider: ReactElement = createElement(X402Provider, {
  wallets: [account],
  fetch: (request: Request) => fetch(request),
});

// Another implementation's Response (undici's package, a polyfill), with a stream type of its own:
// the paying fetch takes it and resolves to that type, not to a DOM Response it is not.
interface OtherStream { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } }
interface OtherResponse {
  readonly status: number;
  readonly url: string;
  readonly redirected: boolean;
  readonly headers: { get(name: string): string | null; has(name: string): boolean; forEach(f: (v: string, k: string) => void): void };
  readonly body: OtherStream | null;
  clone(): OtherResponse;
  text(): Promise<string>;
}
declare function otherFetch(url: string, init: { method: string }): Promise<OtherResponse>;
export const payThroughOther = wrapFetch((request) => otherFetch(request.url, { method: request.method }), { wallets: [account], shareBudgetWith: paying });
export async function readOther(): Promise<string> {
  const answer = await payThroughOther('https://api.example/p');
  // @ts-expect-error: not a DOM Response, so no json()
  void answer.json;
  return answer.text();
}
// The runtime's fetch gives a paying fetch of DOM Responses.
export const domResponse: Promise<Response> = paying('https://api.example/p');
