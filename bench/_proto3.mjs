import { KEY, loadOurs } from './lib/fixtures.mjs';
import { startPaidServer, fetchOk } from './lib/paid.mjs';
const x = await loadOurs();
const srv = await startPaidServer(x.verifyPayment);
const marks = [];
const tf = async (...a) => { marks.push(['call', performance.now()]); const r = await fetch(...a); marks.push(['resp', performance.now()]); return r; };
const ours = x.wrapFetch(tf, { wallets: [x.evmPrivateKeyWallet(KEY)] });
for (let i = 0; i < 50; i++) await fetchOk(ours, srv.url);
const rows = [];
for (let i = 0; i < 20; i++) {
  marks.length = 0; const t0 = performance.now(); await fetchOk(ours, srv.url); const t1 = performance.now();
  rows.push([marks[0][1]-t0, marks[1][1]-marks[0][1], marks[2][1]-marks[1][1], marks[3][1]-marks[2][1], t1-marks[3][1]].map(v=>v.toFixed(2)).join(' '));
}
console.log('before-1st | 1st rt | between | 2nd rt | after'); console.log(rows.join('\n'));
await srv.close();
