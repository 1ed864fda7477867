// Paid fetch on loopback: an x402 v2 resource server (node:http on 127.0.0.1) and the latency
// of one full paid fetch (402 round trip, signing, paid round trip) per client.
//
// The server answers a request without PAYMENT-SIGNATURE with 402 and a PAYMENT-REQUIRED header;
// one with it is decoded and checked with our verifyPayment (signature, recipient, amount, time
// window; no chain, no replay store) and answered 200 with a PAYMENT-RESPONSE header. Every
// client pays the same server cost, so the difference between a paid fetch and two plain round
// trips (the same two requests, with a payment header made beforehand) is the client's own work.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { REQUIREMENT } from './fixtures.mjs';
import { percentile } from './measure.mjs';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64');

/**
 * Starts the server. `verifyPayment` is the verifier (ours). Resolves to
 * { url, paymentRequired, counts: { unpaid, paid, rejected }, close() }.
 */
export async function startPaidServer(verifyPayment) {
  const counts = { unpaid: 0, paid: 0, rejected: 0 };
  let challenge = null; // the PAYMENT-REQUIRED header, once the port is known
  let paymentRequired = null;
  const server = http.createServer((req, res) => {
    req.resume();
    const signature = req.headers['payment-signature'];
    let reason = null;
    if (signature) {
      try {
        const payment = JSON.parse(Buffer.from(signature, 'base64').toString('utf8'));
        const result = verifyPayment(payment, REQUIREMENT);
        if (result.isValid) {
          counts.paid++;
          res.writeHead(200, {
            'content-type': 'application/json',
            'payment-response': b64({
              success: true,
              transaction: `0x${'5e'.repeat(32)}`,
              network: REQUIREMENT.network,
              payer: result.payer,
            }),
          });
          res.end('{"data":"premium"}');
          return;
        }
        reason = result.invalidReason;
      } catch (error) {
        reason = `undecodable payment: ${error.message}`;
      }
      counts.rejected++;
    } else counts.unpaid++;
    res.writeHead(402, {
      'content-type': 'application/json',
      'payment-required': reason ? b64({ ...paymentRequired, error: reason }) : challenge,
    });
    res.end('{}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/premium-data`;
  paymentRequired = {
    x402Version: 2,
    error: 'Payment required',
    resource: { url, description: 'Premium market data', mimeType: 'application/json' },
    accepts: [REQUIREMENT],
  };
  challenge = b64(paymentRequired);
  return {
    url,
    paymentRequired,
    counts,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(resolve);
    }),
  };
}

/**
 * Latency of one call of each side's `fn` (which must fetch, check the status and read the body),
 * in ms. The sides take turns in blocks of `block` calls (the first side of each round rotates),
 * until each has `perSide` calls, after `warmup` untimed calls each.
 * Returns { [name]: { samples, p50, p99, mean } }.
 */
export async function alternateLatency(sides, { perSide, block, warmup }) {
  for (const s of sides) for (let i = 0; i < warmup; i++) await s.fn();
  const samples = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (let round = 0; samples[sides[0].name].length < perSide; round++) {
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(round + k) % sides.length];
      const n = Math.min(block, perSide - samples[s.name].length);
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await s.fn();
        samples[s.name].push(performance.now() - t0);
      }
    }
  }
  return Object.fromEntries(sides.map((s) => {
    const v = samples[s.name];
    return [s.name, {
      samples: v,
      p50: percentile(v, 50),
      p99: percentile(v, 99),
      mean: v.reduce((a, b) => a + b, 0) / v.length,
    }];
  }));
}

/** One request through `fetchFn`: resolves when the body is read; throws unless 200. */
export async function fetchOk(fetchFn, url, init) {
  const r = await fetchFn(url, init);
  const body = await r.text();
  if (r.status !== 200) throw new Error(`bench: ${url} answered ${r.status}: ${body}`);
}

/** The two plain round trips: the 402, then the request with a ready-made payment header. */
export async function plainRoundTrips(url, paymentHeader) {
  const r = await fetch(url);
  await r.text();
  if (r.status !== 402) throw new Error(`bench: expected 402, got ${r.status}`);
  await fetchOk(fetch, url, { headers: { 'PAYMENT-SIGNATURE': paymentHeader } });
}
