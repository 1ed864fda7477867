import { KEY, loadOurs } from './lib/fixtures.mjs';
import { startPaidServer, fetchOk, plainRoundTrips } from './lib/paid.mjs';
const x = await loadOurs();
const srv = await startPaidServer(x.verifyPayment);
const ours = x.wrapFetch(fetch, { wallets: [x.evmPrivateKeyWallet(KEY)] });
for (let i = 0; i < 3000; i++) await fetchOk(ours, srv.url);
await srv.close();
