// A Server Component that renders data bought from an x402 API at request time. Next bundles it in
// another layer than the route handlers (React Server Components): the layer where a wasm read by
// `new URL('./x402_wasm_bg.wasm', import.meta.url)` failed `next build` under Turbopack.
import { wrapFetch, evmPrivateKeyWallet, getPaymentReceipt, formatUnits } from 'x402-wasm';

// Rendered per request (it pays), never prerendered at `next build`.
export const dynamic = 'force-dynamic';

export default async function Page() {
  const pay = wrapFetch(fetch, { wallets: [evmPrivateKeyWallet(process.env.PAYER_KEY)], policy: { maxPerPayment: '0.05' } });
  const response = await pay(process.env.UPSTREAM_URL, { cache: 'no-store' });
  const data = await response.json();
  const receipt = getPaymentReceipt(response);
  return (
    <main>
      <p id="message">{data.message}</p>
      <p id="paid">{`${formatUnits(receipt?.amount ?? '0', 6)} USDC`}</p>
      <p id="transaction">{receipt?.transaction}</p>
    </main>
  );
}
