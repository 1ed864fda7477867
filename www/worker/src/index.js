// The paywalled API of the www demo: a Cloudflare Worker protected by x402-wasm/worker.
//
//   GET /api/report   costs PRICE atomic units of ASSET on NETWORK, paid to PAY_TO
//   GET /api/health   free
//
// Everything deployment-specific comes from the Worker's environment (vars/bindings), so the same
// script runs in workerd under Miniflare (www/run.mjs) or anywhere else:
//   NETWORK          CAIP-2 network, e.g. "eip155:31337"
//   ASSET            the EIP-3009 token (its EIP-712 domain is TOKEN_NAME / TOKEN_VERSION)
//   PRICE            price in the token's atomic units, e.g. "10000" (0.01 of a 6-decimals token)
//   PAY_TO           the seller's address
//   FACILITATOR_URL  the x402 facilitator that settles (POST /settle)
//   ALLOW_ORIGIN     the page's origin (CORS)
import { paymentRequired } from 'x402-wasm/worker';

// Built on the first request: the route needs values from env, which a Worker only sees in a handler.
let middleware;
function x402(env) {
  middleware ??= paymentRequired({
    routes: {
      'GET /api/report': {
        accepts: [{
          scheme: 'exact',
          network: env.NETWORK,
          payTo: env.PAY_TO,
          maxTimeoutSeconds: 120,
          price: { amount: env.PRICE, asset: env.ASSET, extra: { name: env.TOKEN_NAME, version: env.TOKEN_VERSION } },
        }],
        resource: { description: 'Premium market report (x402-wasm www demo)', mimeType: 'application/json' },
      },
    },
    facilitator: { url: env.FACILITATOR_URL },
    cors: { origin: env.ALLOW_ORIGIN },
  });
  return middleware;
}

const REPORT = {
  title: 'Premium market report',
  summary: 'Stablecoin micropayments over HTTP 402, settled on-chain in one round trip.',
  items: [
    { pair: 'USDC/USD', price: '1.0000', change: '+0.00%' },
    { pair: 'ETH/USD', price: '3141.59', change: '+2.72%' },
    { pair: 'SOL/USD', price: '161.80', change: '-1.41%' },
  ],
};

async function handler(request, env) {
  const { pathname } = new URL(request.url);
  const cors = { 'Access-Control-Allow-Origin': env.ALLOW_ORIGIN };
  // What the route does not price (another method, another path) reaches here unpaid.
  const read = request.method === 'GET' || request.method === 'HEAD';
  if (!read) return Response.json({ error: 'method not allowed' }, { status: 405, headers: { ...cors, Allow: 'GET, HEAD' } });
  if (pathname === '/api/report') {
    // Only reached with a verified payment; the middleware settles it once this answers below 400.
    return Response.json({ ...REPORT, servedAt: new Date().toISOString() }, { headers: cors });
  }
  if (pathname === '/api/health') return Response.json({ ok: true }, { headers: cors });
  return Response.json({ error: 'not found' }, { status: 404, headers: cors });
}

export default {
  fetch: (request, env, ctx) => x402(env)(request, env, ctx, (req) => handler(req, env)),
};
