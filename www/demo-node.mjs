// The local end-to-end demo (make demo): a paywalled API on 127.0.0.1 answers 402,
// and a Node client using the built x402-wasm package recognises the challenge and
// prints what it asks for. (The paying flow joins this demo with the EVM scheme.)
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'pkg', 'index.node.js');
const { recognizePaymentRequired, encodeHeader, formatUnits, X402Error } = await import(pkg);

const paymentRequired = {
  x402Version: 2,
  error: 'PAYMENT-SIGNATURE header is required',
  resource: { url: 'http://127.0.0.1/weather', description: 'Weather API', mimeType: 'application/json' },
  accepts: [
    {
      scheme: 'exact', network: 'eip155:84532', amount: '10000',
      asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
      payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', maxTimeoutSeconds: 60,
      extra: { name: 'USDC', version: '2' },
    },
  ],
};

const server = createServer((req, res) => {
  res.writeHead(402, {
    'content-type': 'application/json',
    'payment-required': encodeHeader(paymentRequired),
    'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
  });
  res.end('{}');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/weather`;

try {
  const response = await fetch(url);
  console.log(`GET ${url} -> ${response.status}`);
  const challenge = recognizePaymentRequired(response.status, response.headers, await response.text());
  console.log(`dialect ${challenge.dialect}, pay with header ${challenge.paymentHeader}`);
  for (const r of challenge.requirements) {
    console.log(`  ${r.scheme} on ${r.network}: ${formatUnits(r.amount, 6)} of ${r.asset} to ${r.payTo}` +
      ` (${r.amount} atomic units, valid ${r.maxTimeoutSeconds} s)`);
  }
} catch (error) {
  console.error(error instanceof X402Error ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  server.close();
}
