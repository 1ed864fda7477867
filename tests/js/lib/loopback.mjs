// A node:http server on 127.0.0.1 (random port) that closes cleanly, for the test servers.
import { createServer } from 'node:http';

/** Listens on 127.0.0.1:0; returns { url, close() }. */
export async function listenLoopback(handler) {
  const server = createServer(handler);
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  server.unref();
  let closed;
  return {
    server,
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      closed ??= new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
