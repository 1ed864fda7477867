import { KEY, NOW, PAYMENT_REQUIRED, REQUIREMENT, loadOurs } from './lib/fixtures.mjs';
import { startVerifyWorker, perRequest, summarizeLoops, viemVerifier } from './lib/workerd-verify.mjs';
const x = await loadOurs();
const viem = await import('viem');
const payment = await x.createPaymentPayload(PAYMENT_REQUIRED, 0, x.evmPrivateKeyWallet(KEY), { now: NOW });
const v = viemVerifier(viem);
console.log(await v(payment, REQUIREMENT, NOW), x.verifyPayment(payment, REQUIREMENT, { now: NOW }));
let t = performance.now();
const w = await startVerifyWorker({ payment, requirement: REQUIREMENT, now: NOW });
console.log('start ms', performance.now() - t, w.pids);
const loops = [];
for (let i = 0; i < 5; i++) loops.push(await w.run(2000));
console.log(loops);
console.log(summarizeLoops(loops));
t = performance.now();
console.log(await perRequest(w, { requests: 200, block: 50 }), performance.now() - t);
await w.dispose();
t = performance.now(); let n = 0;
while (performance.now() - t < 1000) { await v(payment, REQUIREMENT, NOW); n++; }
console.log('viem', n);
t = performance.now(); n = 0;
while (performance.now() - t < 1000) { x.verifyPayment(payment, REQUIREMENT, { now: NOW }); n++; }
console.log('ours node', n);
