// A route handler that pays an x402 API from the server: x402-wasm by name (Next's Node runtime,
// the package's "node" entry), the wallet from a key in the environment.
//   GET /api/pay-upstream            pays process.env.UPSTREAM_URL
//   GET /api/pay-upstream?max=0.001  the same with a cap below the price: refused before signing
import { wrapFetch, evmPrivateKeyWallet, getPaymentReceipt, X402Error } from 'x402-wasm';

export async function GET(request) {
  const max = new URL(request.url).searchParams.get('max') ?? '0.05';
  // `fetch` here is Next's own (patched for its data cache): the package must work on top of it.
  const pay = wrapFetch(fetch, { wallets: [evmPrivateKeyWallet(process.env.PAYER_KEY)], policy: { maxPerPayment: max } });
  try {
    const response = await pay(process.env.UPSTREAM_URL, { cache: 'no-store' });
    const receipt = getPaymentReceipt(response);
    return Response.json({ status: response.status, data: await response.json(), transaction: receipt?.transaction ?? null });
  } catch (error) {
    // instanceof across the bundle: X402Error must be one class, not a copy per chunk.
    return Response.json({ error: error instanceof X402Error ? error.code : String(error) }, { status: 502 });
  }
}
