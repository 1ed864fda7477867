// The same as pay-upstream in Next's Edge runtime (the package's "edge-light" entry, whose wasm is a
// module Next bundles, not a file it serves): pays process.env.UPSTREAM_URL.
import { wrapFetch, evmPrivateKeyWallet, getPaymentReceipt, parseAmount, X402Error } from 'x402-wasm';

export const runtime = 'edge';

export async function GET() {
  const pay = wrapFetch(fetch, { wallets: [evmPrivateKeyWallet(process.env.PAYER_KEY)], policy: { maxPerPayment: '0.05' } });
  try {
    const response = await pay(process.env.UPSTREAM_URL, { cache: 'no-store' });
    const receipt = getPaymentReceipt(response);
    return Response.json({
      status: response.status,
      data: await response.json(),
      transaction: receipt?.transaction ?? null,
      parsed: parseAmount('0042'),
    });
  } catch (error) {
    return Response.json({ error: error instanceof X402Error ? error.code : String(error) }, { status: 502 });
  }
}
