// x402-wasm/worker's requirePayment in Next's Edge runtime: a request without payment gets the 402.
import { requirePayment } from 'x402-wasm/worker';

export const runtime = 'edge';

const route = {
  accepts: [{ network: 'eip155:84532', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.02' }],
  resource: { url: 'https://shop.example/api/edge-premium' },
};

export async function GET(request) {
  const gate = await requirePayment(request, route);
  return gate.response ?? Response.json({ paid: true });
}
