// The www demo: a React page paying a Cloudflare Worker API with a wallet, settled on a local chain.
//
//   1. A local chain: anvil (chain 31337) with a USDC-like EIP-3009 token (TestUSDC), and the official
//      x402 v2 facilitator (@x402/core + @x402/evm) served over HTTP on 127.0.0.1; it pays the gas.
//   2. The paywalled API (www/worker/src/index.js): a Worker using paymentRequired from
//      x402-wasm/worker, running in workerd (Miniflare). GET /api/report costs 0.01 USDC.
//   3. The page (www/app, React 18 + x402-wasm/react, built with Vite) on another origin.
//
// Mode 1 (default; `make demo` and tests/js/test/www-demo.test.mjs): Playwright drives Debian
// Chromium through the page by clicking "Connect wallet" and "Approve payment", with an injected
// EIP-1193 wallet backed by a fresh test key (signing in Node with viem). It saves screenshots to
// www/artifacts/ (demo-approve.png while asking, demo-screenshot.png once paid), prints the transaction, checks on anvil that the payee got
// exactly the price, and stops everything. Exit code 0 only if all of that held.
//
// Mode 2 (DEMO_SERVE=1): the same servers stay up for a human with a real wallet (MetaMask...):
// open the printed page URL, connect (the page offers to add the chain), get test tokens from the
// page's faucet, pay. No ETH needed: the facilitator pays the gas. Ctrl-C stops everything.
// DEMO_PORT=5173 picks the page's port (default: a free one).
//
//   node www/run.mjs                 needs bash scripts/setup.sh and bash scripts/build.sh first
//   DEMO_SERVE=1 node www/run.mjs    (make demo does both, then runs this in mode 1)
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, WWW, preparePage } from './lib/install.mjs';

const SERVE = process.env.DEMO_SERVE === '1';
const NETWORK = 'eip155:31337';
const CHAIN_ID = 31337;
const PRICE = 10_000n; // 0.01 USDC in atomic units (6 decimals)
const MINTED = 10_000_000n; // 10 USDC for the payer
const TOKEN = { symbol: 'USDC', decimals: 6, name: 'USDC', version: '2' }; // TestUSDC's EIP-712 domain
const SCREENSHOT = join(WWW, 'artifacts', 'demo-screenshot.png');
const APPROVAL_SCREENSHOT = join(WWW, 'artifacts', 'demo-approve.png');
const STEP_TIMEOUT = 30_000;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const section = (title) => console.log(`\n== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}`);
const show = (label, value) => console.log(`  ${label.padEnd(12)} ${value}`);
const say = (text) => console.log(`  page   | ${text}`);

// Mode 1 ends by itself whatever happens: a hung step fails it.
if (!SERVE) {
  setTimeout(() => {
    console.error(`\nFAIL: the web demo did not finish within 80 s`);
    process.exit(1);
  }, 80_000).unref();
}

const cleanups = [];
async function stopAll() {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}

try {
  console.log(`x402-wasm web demo: a React page pays a Worker API with a wallet, settled on a local chain${SERVE ? ' (serve mode)' : ''}`);

  section('0. The page (www/app: React 18 + x402-wasm/react, Vite)');
  const page = preparePage({ log: (text) => show('step', text) });
  show('built', `${relative(ROOT, page.dist)} with x402-wasm from ${relative(ROOT, page.packageDir)} (${elapsed()})`);

  // The harness (tests/js) is loaded after the page is ready: it needs scripts/setup.sh.
  const { harnessLib, harnessRequire } = await import('./lib/harness.mjs');
  const chain = await harnessLib('chain.mjs');
  const { getAddress, formatUnits } = harnessRequire('viem');
  const { generatePrivateKey, privateKeyToAccount } = harnessRequire('viem/accounts');
  const { startApiWorker } = await import('./lib/worker.mjs');
  const { startSite } = await import('./lib/site.mjs');
  const usdc = (amount) => `${formatUnits(BigInt(amount), TOKEN.decimals)} USDC`;

  section('1. Local chain');
  const anvil = await chain.startAnvil({ chainId: CHAIN_ID });
  cleanups.push(() => anvil.stop());
  show('anvil', `${anvil.rpcUrl} (chain id ${anvil.chainId}, network ${NETWORK})`);
  const token = await chain.deployTestUSDC(anvil);
  token.address = getAddress(token.address);
  show('token', `${token.address} TestUSDC: EIP-3009, EIP-712 domain "${TOKEN.name}" version "${TOKEN.version}", 6 decimals`);
  await chain.installMulticall3(anvil);
  const official = await chain.startOfficialFacilitator({ ...anvil, network: NETWORK });
  const facilitator = await chain.serveFacilitatorHttp(official);
  cleanups.push(() => facilitator.close());
  show('facilitator', `${facilitator.url} official x402 v2 (@x402/evm exact) over HTTP; pays gas from ${official.gasPayer}`);
  const payTo = chain.anvilAccount(2).address;
  show('payee', `${payTo} (anvil account #2, the seller)`);

  let config;
  const faucet = SERVE
    ? async (address) => {
      const receipt = await chain.mint(token, address, MINTED);
      console.log(`  faucet | minted ${usdc(MINTED)} to ${address} (tx ${receipt.transactionHash})`);
      return { amount: formatUnits(MINTED, TOKEN.decimals), transaction: receipt.transactionHash };
    }
    : undefined;
  const site = await startSite({ dist: page.dist, config: () => config, faucet, port: Number(process.env.DEMO_PORT ?? 0) });
  cleanups.push(() => site.close());

  section('2. The paywalled API: a Worker in workerd (x402-wasm/worker)');
  const worker = await startApiWorker({
    packageDir: page.packageDir,
    bindings: {
      NETWORK, ASSET: token.address, PRICE: String(PRICE), PAY_TO: payTo, TOKEN_NAME: TOKEN.name,
      TOKEN_VERSION: TOKEN.version, FACILITATOR_URL: facilitator.url, ALLOW_ORIGIN: site.origin,
    },
  });
  cleanups.push(() => worker.dispose());
  const apiUrl = `${worker.origin}/api/report`;
  show('api', `GET ${apiUrl} costs ${usdc(PRICE)}; CORS for ${site.origin}`);
  // What the route does not price reaches the Worker's handler unpaid: it must not serve it.
  const posted = await fetch(apiUrl, { method: 'POST' });
  await posted.body?.cancel();
  if (posted.status !== 405) throw new Error(`FAIL: an unpaid POST ${apiUrl} got ${posted.status}`);
  show('api', `unpaid POST: ${posted.status} (only GET is priced and served)`);
  config = {
    apiUrl, network: NETWORK, chainId: CHAIN_ID, rpcUrl: anvil.rpcUrl,
    token: { address: token.address, symbol: TOKEN.symbol, decimals: TOKEN.decimals },
    ...(SERVE ? { faucetUrl: '/faucet' } : {}),
  };
  show('page', `${site.origin}/`);

  if (SERVE) {
    section('Ready: open the page with a wallet');
    console.log(`  page        ${site.origin}/`);
    console.log(`  wallet      network "Anvil" chain id ${CHAIN_ID} (0x${CHAIN_ID.toString(16)}), RPC URL ${anvil.rpcUrl}, currency ETH`);
    console.log(`              (the page offers to add it when you pay; signing needs no ETH: the facilitator pays gas)`);
    console.log(`  tokens      "Get 10 test USDC" on the page mints TestUSDC to the connected account`);
    console.log(`              token ${token.address} (6 decimals), to see it in the wallet`);
    console.log(`  seller      ${payTo} receives ${usdc(PRICE)} per paid request`);
    console.log('\nCtrl-C stops anvil, the facilitator, the Worker and the page server.');
    // On Ctrl-C the harness's exit hooks stop anvil (chain.mjs) and workerd (Miniflare, which then
    // exits with 130); should they not, this resolves and the cleanups below run.
    await new Promise((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, resolve);
    });
    console.log('\nstopping…');
  } else {
    section('3. Chromium clicks through the page (Playwright, injected test wallet)');
    const { launchChromium } = await harnessLib('browser.mjs');
    const { installTestWallet } = await import('./lib/wallet.mjs');
    const payerKey = generatePrivateKey();
    const payer = privateKeyToAccount(payerKey).address;
    await chain.mint(token, payer, MINTED);
    show('payer', `${payer} fresh test key in the injected wallet; minted ${usdc(MINTED)}, 0 ETH`);
    const read = async () => ({ payer: await chain.balanceOf(token, payer), payee: await chain.balanceOf(token, payTo) });
    const before = await read();

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const tab = await browser.newPage({ viewport: { width: 900, height: 720 } });
    const pageErrors = [];
    tab.on('pageerror', (e) => pageErrors.push(String(e)));
    tab.on('console', (m) => {
      // Chromium logs every non-2xx fetch: the 402 challenges are expected.
      if (m.type() === 'error' && !/status of 402 \(Payment Required\)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
    });
    // The wallet starts on Ethereum mainnet and does not know the local chain, as a fresh MetaMask:
    // eip1193Wallet adds it (wallet_addEthereumChain, with the page's `chains`) and switches to it.
    const wallet = await installTestWallet(tab, { privateKey: payerKey, chainId: '0x1' });
    const failure = tab.locator('[data-testid=error], [data-testid=refused], [data-testid=quote-error], [data-testid=connect-error]');
    const failed = async (what) => {
      const shown = (await failure.count()) ? await failure.first().textContent() : 'nothing';
      return new Error(`${what}; the page shows: ${shown}${pageErrors.length ? `; page errors: ${pageErrors.join(' | ')}` : ''}`);
    };
    /** Waits for `selector`, or fails early with what the page shows when it shows an error. */
    const waitFor = async (selector, what) => {
      const target = tab.locator(selector);
      await Promise.race([
        target.first().waitFor({ timeout: STEP_TIMEOUT }),
        failure.first().waitFor({ timeout: STEP_TIMEOUT + 1000 }).then(() => { throw new Error('error shown'); }),
      ]).catch(async () => { throw await failed(`no ${what}`); });
      return target.first();
    };

    await tab.goto(`${site.origin}/`);
    await tab.waitForFunction(() => /USDC/.test(document.querySelector('[data-testid=price]')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT })
      .catch(async () => { throw await failed('price on the page'); });
    say(`price shown: ${await tab.getByTestId('price').textContent()} (from the API's first 402)`);

    await (await waitFor('[data-testid=connect]', '"Connect wallet" button')).click();
    say(`clicked "Connect wallet": ${await (await waitFor('[data-testid=account]', 'connected account')).textContent()}`);

    const approve = await waitFor('[data-testid=approve]', '"Approve payment" button');
    say(`pendingPayment: ${await tab.getByTestId('pending-price').textContent()}, status "${await tab.getByTestId('status').getAttribute('data-status')}"`);
    mkdirSync(join(WWW, 'artifacts'), { recursive: true });
    await tab.screenshot({ path: APPROVAL_SCREENSHOT, fullPage: true });
    await approve.click();
    say('clicked "Approve payment": the wallet signs, the page retries with PAYMENT-SIGNATURE');

    const txHash = (await (await waitFor('[data-testid=tx]', 'receipt')).textContent()).trim();
    say(`status "${await tab.getByTestId('status').getAttribute('data-status')}", content: "${await tab.locator('[data-testid=content] h3').textContent()}"`);
    say(`receipt transaction: ${txHash}`);
    const walletCalls = await tab.evaluate(() => window.__demoWalletCalls);
    say(`wallet calls: ${walletCalls.join(', ')}`);
    await tab.screenshot({ path: SCREENSHOT, fullPage: true });
    show('screenshots', `${relative(ROOT, SCREENSHOT)} (paid), ${relative(ROOT, APPROVAL_SCREENSHOT)} (asking for approval)`);

    section('4. On-chain check');
    const after = await read();
    const tx = await token.publicClient.getTransactionReceipt({ hash: txHash });
    show('transaction', `${txHash}: status ${tx.status}, block ${tx.blockNumber}, gas paid by ${getAddress(tx.from)}`);
    show('payer', `${usdc(before.payer)} -> ${usdc(after.payer)}`);
    show('payee', `${usdc(before.payee)} -> ${usdc(after.payee)}`);

    const problems = [];
    if (after.payee - before.payee !== PRICE) problems.push(`payee received ${after.payee - before.payee} atomic units, expected ${PRICE}`);
    if (before.payer - after.payer !== PRICE) problems.push(`payer spent ${before.payer - after.payer} atomic units, expected ${PRICE}`);
    if (tx.status !== 'success') problems.push(`transaction status ${tx.status}`);
    if (tx.to?.toLowerCase() !== token.address.toLowerCase()) problems.push(`transaction went to ${tx.to}, not the token`);
    if (wallet.signed.length !== 1 || wallet.signed[0].primaryType !== 'TransferWithAuthorization') {
      problems.push(`the wallet signed ${wallet.signed.map((s) => s.primaryType).join(', ') || 'nothing'}, expected one TransferWithAuthorization`);
    }
    const at = (method) => walletCalls.indexOf(method);
    if (!(at('wallet_addEthereumChain') >= 0 && at('wallet_addEthereumChain') < at('eth_signTypedData_v4')
      && walletCalls.lastIndexOf('wallet_switchEthereumChain') < at('eth_signTypedData_v4'))) {
      problems.push(`the wallet was not put on chain ${CHAIN_ID} before signing: ${walletCalls.join(', ')}`);
    }
    if (pageErrors.length) problems.push(`page errors: ${pageErrors.join(' | ')}`);
    if (problems.length) throw new Error(`check failed:\n  - ${problems.join('\n  - ')}`);
    console.log(`\nbalance check: OK, the payee received exactly ${PRICE} atomic units (${usdc(PRICE)}) in a successful transaction`);
    console.log(`web demo: OK in ${elapsed()}; screenshot ${relative(ROOT, SCREENSHOT)}`);
  }
} catch (err) {
  console.error(`\nFAIL: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
