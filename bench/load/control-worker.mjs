// The control Worker of the load test's memory comparison: no x402-wasm, no I/O; every request
// gets a fixed 402 with a PAYMENT-REQUIRED header of the same size as the helper's challenge
// (env.CHALLENGE). Its RSS under the same request rate shows what workerd (Miniflare) itself does
// with memory per request.
export default {
  fetch(request, env) {
    return new Response(env.CHALLENGE_BODY, {
      status: 402,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'PAYMENT-REQUIRED': env.CHALLENGE },
    });
  },
};
