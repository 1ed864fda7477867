// A route handler protected by x402-wasm/worker's paymentRequired (its "node" entry in Next's Node
// runtime). Settles through the facilitator at process.env.FACILITATOR_URL; replays are stopped by
// the default in-memory store (one `next start` process).
import { paymentRequired } from 'x402-wasm/worker';

const PAY_TO = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';

// Built once, when Next loads the route (also at `next build`, collecting its config): the facilitator
// is a function of the env passed below, so it is read per request, at run time.
const protect = paymentRequired({
  routes: {
    'GET /api/premium': {
      accepts: [{ network: 'eip155:84532', payTo: PAY_TO, price: '$0.01' }],
      // The public URL: behind `next start`, request.url names the local listener.
      resource: { url: 'https://shop.example/api/premium', description: 'Premium data', mimeType: 'application/json' },
    },
  },
  facilitator: (env) => ({ url: env.FACILITATOR_URL }),
});

export function GET(request) {
  return protect(request, process.env, undefined, async () => Response.json({ premium: true }));
}
