// Programs the published types must refuse, each a mistake the runtime would reject: every
// `@ts-expect-error` fails the compile (TS2578) if its line type-checks after all.
import { X402Error, createPaymentPayload, decodeHeader, evmPrivateKeyWallet, wrapFetch } from 'x402-wasm';
import { paymentRequired } from 'x402-wasm/worker';

// An error code that does not exist (a typo of USER_REJECTED).
// @ts-expect-error TS2345
export const typo = new X402Error('m', 'USER_REJECTD');

// A local key sends nothing without an RPC URL (INVALID_ARGUMENT at run time).
const key = evmPrivateKeyWallet('0x' + '11'.repeat(32));
// @ts-expect-error TS2345
void key.sendTransaction({ chainId: 8453, to: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C' }, {});

// The middleware always settles: no facilitator is INVALID_ARGUMENT at startup.
// @ts-expect-error TS2345
export const noFacilitator = paymentRequired({ routes: { '/paid': { accepts: [] } } });

// A wallet list is required, and an amount cap is a decimal string, never a float.
// @ts-expect-error TS2345
wrapFetch(fetch, {});
// @ts-expect-error TS2322
wrapFetch(fetch, { wallets: [key], policy: { maxPerPayment: 0.05 } });

// createPaymentPayload needs a wallet.
// @ts-expect-error TS2554
void createPaymentPayload({}, 0);

// A settlement as a server sent it may lack its transaction (a failure does).
export function unchecked(header: string): string {
  // @ts-expect-error TS2532
  return decodeHeader(header, 'SettlementResponse').transaction.slice(2);
}

// A payment id is a string; paymentIdentifier is a flag or its options.
// @ts-expect-error TS2322
void wrapFetch(fetch, { wallets: [key] })('https://api.example.com', {}, { paymentId: 42 });
