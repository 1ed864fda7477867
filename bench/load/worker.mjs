// The Worker of the load test (copied next to the package by bench/load/worker-load.mjs).
// GET /weather is protected by paymentRequired from x402-wasm/worker, as a user writes it: the
// middleware and its in-memory replay store built at module scope, the facilitator client built on
// the first request from env.FACILITATOR_URL (the stub facilitator of the load test). Anything else
// answers 404, but GET /__memory, which reports the size of the package's wasm linear memory (the
// load test samples it every second next to workerd's RSS). Nothing is recorded per request, so the
// Worker's memory is the middleware's own.
import { paymentRequired, memoryReplayStore, createFacilitatorClient } from './x402-wasm/worker/index.workerd.js';
// The wasm-bindgen glue the package initialised: initSync() without arguments returns its exports.
import { initSync } from './x402-wasm/x402_wasm.js';

let facilitator;

const pay = paymentRequired({
  routes: {
    'GET /weather': {
      accepts: [{
        scheme: 'exact',
        network: 'eip155:84532',
        payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
        maxTimeoutSeconds: 3600,
        price: { amount: '10000', asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', extra: { name: 'USDC', version: '2' } },
      }],
      resource: { description: 'Weather report', mimeType: 'application/json' },
    },
  },
  facilitator: (env) => (facilitator ??= createFacilitatorClient({ url: env.FACILITATOR_URL })),
  replayStore: memoryReplayStore(),
});

const notFound = () => new Response('not found', { status: 404 });
const weather = async () => Response.json({ city: 'Lisbon', weather: 'sunny', temperatureC: 21 });

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === '/__memory') {
      return Response.json({ wasmMemoryBytes: initSync().memory.buffer.byteLength, finalizationRegistry: typeof FinalizationRegistry });
    }
    if (pathname !== '/weather') return notFound();
    return pay(request, env, ctx, weather);
  },
};
