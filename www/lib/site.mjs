// Serves the built page (www/app/dist) on 127.0.0.1, with GET /config.json (where the API is, which
// chain and token) and, when given, POST /faucet (test tokens for a human's wallet in serve mode).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/**
 * `dist`: the folder to serve; `config()`: the object served as /config.json; `faucet(address)`:
 * optional, resolves to a JSON answer. Returns { origin, close() }.
 */
export async function startSite({ dist, config, faucet, port = 0 }) {
  const server = createServer(async (req, res) => {
    const send = (status, body, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    try {
      const { pathname } = new URL(req.url, 'http://127.0.0.1');
      if (req.method === 'GET' && pathname === '/config.json') return send(200, config());
      if (req.method === 'POST' && pathname === '/faucet' && faucet) {
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        const { address } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (!/^0x[0-9a-fA-F]{40}$/.test(address ?? '')) return send(400, { error: 'address must be a 0x address' });
        return send(200, await faucet(address));
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'method not allowed' });
      const file = normalize(join(dist, pathname === '/' ? 'index.html' : decodeURIComponent(pathname)));
      if (!file.startsWith(dist + sep)) return send(404, 'not found', 'text/plain');
      let body;
      try {
        body = await readFile(file);
      } catch {
        return send(404, 'not found', 'text/plain');
      }
      return send(200, body, TYPES[extname(file)] ?? 'application/octet-stream');
    } catch (error) {
      return send(500, { error: String(error?.message ?? error) });
    }
  });
  await new Promise((resolve, reject) => server.listen(port, '127.0.0.1', resolve).once('error', reject));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
