// A user's Worker, importing x402-wasm and x402-wasm/worker by name:
//   GET /pay-upstream  pays the x402 API at env.UPSTREAM_URL with a key from env (wrapFetch)
//   GET /premium       a route protected by paymentRequired, settled through env.FACILITATOR_URL,
//                      replays stopped by the Durable Object store
import { wrapFetch, evmPrivateKeyWallet, getPaymentReceipt, X402Error } from 'x402-wasm';
import { paymentRequired, durableObjectReplayStore } from 'x402-wasm/worker';

export { ReplayStoreDurableObject } from 'x402-wasm/worker';

const PAY_TO = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';

const protect = paymentRequired({
  routes: {
    'GET /premium': {
      accepts: [{ network: 'eip155:84532', payTo: PAY_TO, price: '$0.01' }],
      resource: { description: 'Premium data', mimeType: 'application/json' },
    },
  },
  facilitator: (env) => ({ url: env.FACILITATOR_URL }),
  replayStore: (env) => durableObjectReplayStore(env.REPLAY),
});

async function payUpstream(env) {
  // Wallets are created inside the handler: Workers forbid randomness at global scope.
  const pay = wrapFetch(fetch, { wallets: [evmPrivateKeyWallet(env.PAYER_KEY)], policy: { maxPerPayment: '0.05' } });
  try {
    const response = await pay(env.UPSTREAM_URL);
    const receipt = getPaymentReceipt(response);
    return Response.json({ status: response.status, data: await response.json(), transaction: receipt?.transaction ?? null });
  } catch (error) {
    return Response.json({ error: error instanceof X402Error ? error.code : String(error) }, { status: 500 });
  }
}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/pay-upstream') return payUpstream(env);
    // Only what the route prices is served: any other method or path reaches the handler unpaid.
    return protect(request, env, ctx, async (req) => {
      const priced = new URL(req.url).pathname === '/premium' && (req.method === 'GET' || req.method === 'HEAD');
      return priced ? Response.json({ premium: true }) : new Response('Not found', { status: 404 });
    });
  },
};
