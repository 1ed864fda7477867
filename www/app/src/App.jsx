// The www demo page: a paid API, a wallet, and the x402-wasm React hooks in between.
//
//   1. The price comes from the API's first answer (HTTP 402 + PAYMENT-REQUIRED), read with
//      recognizePaymentRequired, then from the hook's pendingPayment.
//   2. "Connect wallet" asks the injected EIP-1193 wallet (window.ethereum) for its account.
//   3. usePaidResource loads the report through the provider's paying fetch; the payment waits in
//      pendingPayment until "Approve payment" calls approve(). The wallet then signs an EIP-3009
//      authorization (eth_signTypedData_v4) and the fetch retries with it.
//   4. The Worker settles through the facilitator and answers with the report and PAYMENT-RESPONSE:
//      the receipt, with the transaction hash.
import { useEffect, useMemo, useState } from 'react';
import { eip1193Wallet, formatUnits, recognizePaymentRequired } from 'x402-wasm';
import { X402Provider, usePaidResource } from 'x402-wasm/react';

const STATUS_TEXT = {
  idle: 'Loading…',
  'awaiting-approval': 'Waiting for your approval',
  signing: 'Signing in the wallet…',
  paying: 'Paying: the server is settling on-chain…',
  settled: 'Paid and settled',
  error: 'Failed',
};

/** The price of `url`, read from its unpaid answer (a 402), or why it could not be read. */
function useQuote(url, token) {
  const [quote, setQuote] = useState({ loading: true });
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      const response = await fetch(url, { signal: controller.signal });
      const body = await response.text();
      if (response.status !== 402) throw new Error(`the API answered ${response.status}, not 402`);
      const challenge = recognizePaymentRequired(response.status, response.headers, body);
      const requirement = challenge.requirements[0];
      const known = requirement.asset.toLowerCase() === token.address.toLowerCase();
      const price = known
        ? `${formatUnits(requirement.amount, token.decimals)} ${token.symbol}`
        : `${requirement.amount} atomic units of ${requirement.asset}`;
      setQuote({ price, requirement, description: challenge.resource?.description });
    })().catch((error) => {
      if (!controller.signal.aborted) setQuote({ error: String(error?.message ?? error) });
    });
    return () => controller.abort();
  }, [url, token]);
  return quote;
}

function short(hex) {
  return hex && hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex;
}

export function App({ config }) {
  const { apiUrl, chainId, rpcUrl, token, network } = config;
  const quote = useQuote(apiUrl, token);
  const [account, setAccount] = useState(null);
  const [wallets, setWallets] = useState([]);
  const [connectError, setConnectError] = useState(null);
  const [faucet, setFaucet] = useState(null);

  // Stable for the life of the page: the provider re-creates its paying fetch when this changes.
  const policy = useMemo(
    () => ({
      // TestUSDC on the local chain is not a stablecoin the SDK knows: allow it explicitly,
      // priced like USDC, with a cap of 1.00 per payment (in atomic units).
      assets: [{ network, asset: token.address, decimals: token.decimals, symbol: token.symbol, usd: true, maxPerPayment: '1000000' }],
    }),
    [network, token],
  );

  async function connect() {
    setConnectError(null);
    try {
      if (!window.ethereum) throw new Error('no wallet found: install an EIP-1193 wallet such as MetaMask');
      const accounts = await window.ethereum.request({ method: 'eth_requestAccounts' });
      if (!accounts?.length) throw new Error('the wallet gave no account');
      // Offered to the wallet if it does not know the demo's chain (wallet_addEthereumChain).
      const chains = {
        [chainId]: { chainName: `Anvil (x402-wasm demo)`, rpcUrls: [rpcUrl], nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 } },
      };
      setWallets([eip1193Wallet(window.ethereum, { account: accounts[0], chains })]);
      setAccount(accounts[0]);
    } catch (error) {
      setConnectError(String(error?.message ?? error));
    }
  }

  async function getTestTokens() {
    setFaucet('minting…');
    try {
      const response = await fetch(config.faucetUrl, { method: 'POST', body: JSON.stringify({ address: account }) });
      const result = await response.json();
      setFaucet(response.ok ? `received ${result.amount} ${token.symbol} (tx ${short(result.transaction)})` : result.error);
    } catch (error) {
      setFaucet(String(error?.message ?? error));
    }
  }

  return (
    <main>
      <h1>x402-wasm: pay for an API with your wallet</h1>
      <p className="lead">
        The API below is a Cloudflare Worker (workerd) protected by <code>x402-wasm/worker</code>. This page uses
        the <code>x402-wasm/react</code> hooks: the first request gets HTTP 402, you approve, your wallet signs a
        token authorization, and the Worker settles it on chain {chainId} before answering.
      </p>

      <section className="card">
        <h2>1. Price</h2>
        <p>
          <code>GET {apiUrl}</code>
        </p>
        {quote.error ? (
          <p className="error" data-testid="quote-error">Could not read the price: {quote.error}</p>
        ) : (
          <p>
            Price: <strong data-testid="price">{quote.price ?? '…'}</strong>
            {quote.requirement ? (
              <span className="muted"> on {quote.requirement.network}, paid to {short(quote.requirement.payTo)}</span>
            ) : null}
          </p>
        )}
      </section>

      <section className="card">
        <h2>2. Wallet</h2>
        {account ? (
          <p>
            Connected: <code data-testid="account">{account}</code>
          </p>
        ) : (
          <button type="button" data-testid="connect" onClick={connect}>Connect wallet</button>
        )}
        {connectError ? <p className="error" data-testid="connect-error">{connectError}</p> : null}
        {account && config.faucetUrl ? (
          <p>
            <button type="button" className="secondary" onClick={getTestTokens}>Get 10 test {token.symbol}</button>{' '}
            <span className="muted">{faucet}</span>
          </p>
        ) : null}
      </section>

      <X402Provider wallets={wallets} policy={policy}>
        {account ? <PaidReport url={apiUrl} quote={quote} /> : (
          <section className="card disabled"><h2>3. Payment</h2><p className="muted">Connect a wallet first.</p></section>
        )}
      </X402Provider>
    </main>
  );
}

/** Loads the paid report: approval, payment, content and receipt. */
function PaidReport({ url, quote }) {
  const { data, status, pendingPayment, receipt, error, loading, refetch } = usePaidResource(url);
  const paid = status === 'settled' && receipt?.success && !loading;

  return (
    <>
      <section className="card">
        <h2>3. Payment</h2>
        <p>
          Status: <strong data-testid="status" data-status={status}>{STATUS_TEXT[status] ?? status}</strong>
        </p>
        {pendingPayment ? (
          <div className="approve">
            <p>
              {pendingPayment.origin} asks for <strong data-testid="pending-price">{pendingPayment.amountFormatted}</strong>
              {quote.description ? <> for “{quote.description}”</> : null}.
            </p>
            <button type="button" data-testid="approve" onClick={pendingPayment.approve}>
              Approve payment ({pendingPayment.amountFormatted})
            </button>{' '}
            <button type="button" className="secondary" data-testid="reject" onClick={pendingPayment.reject}>Reject</button>
          </div>
        ) : null}
        {error ? (
          <p className="error" data-testid="error">
            {error.code ? <code>{error.code}</code> : null} {error.message}{' '}
            <button type="button" className="secondary" onClick={refetch}>Try again</button>
          </p>
        ) : null}
        {receipt && !receipt.success ? (
          <p className="error" data-testid="refused">The server refused the payment: {receipt.errorReason}</p>
        ) : null}
      </section>

      {paid ? (
        <section className="card paid">
          <h2>4. Content</h2>
          <div data-testid="content">
            <h3>{data?.title}</h3>
            <p>{data?.summary}</p>
            <table>
              <tbody>
                {(data?.items ?? []).map((item) => (
                  <tr key={item.pair}><td>{item.pair}</td><td>{item.price}</td><td>{item.change}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Receipt</h2>
          <dl data-testid="receipt">
            <dt>transaction</dt><dd><code data-testid="tx">{receipt.transaction}</code></dd>
            <dt>network</dt><dd><code>{receipt.network}</code></dd>
            <dt>payer</dt><dd><code>{receipt.payer}</code></dd>
            <dt>HTTP</dt><dd>{receipt.status}</dd>
          </dl>
          <button type="button" className="secondary" onClick={refetch}>Buy again</button>
        </section>
      ) : null}
    </>
  );
}
