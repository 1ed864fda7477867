// The Worker of the workerd verification benchmark (copied next to the package by
// workerd-verify.mjs). GET /?n=N runs verifyPayment N times on the payment in env.INPUT and
// answers { n, valid, ms }, ms being performance.now() around the loop. n=0 measures the
// request alone.
import { verifyPayment } from './x402-wasm/index.workerd.js';

export default {
  async fetch(request, env) {
    const n = Number(new URL(request.url).searchParams.get('n') ?? 1);
    const { payment, requirement, now } = env.INPUT;
    const options = { now };
    let valid = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (verifyPayment(payment, requirement, options).isValid) valid++;
    }
    const ms = performance.now() - t0;
    return Response.json({ n, valid, ms });
  },
};
