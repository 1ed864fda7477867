// A user's page: imports x402-wasm by name and pays a 402 on click. No Vite plugin, no config:
// the package's browser entry loads its wasm by itself.
import { wrapFetch, evmPrivateKeyWallet, getPaymentReceipt } from 'x402-wasm';

// The API and the (throwaway, unfunded) key come from the query string: ?api=<url>&key=<hex>.
const params = new URLSearchParams(location.search);
const result = document.querySelector('#result');
const button = document.querySelector('#pay');

// The functions work synchronously right after the import.
const wallet = evmPrivateKeyWallet(params.get('key'));
const pay = wrapFetch(fetch, { wallets: [wallet], policy: { maxPerPayment: '0.05' } });

button.addEventListener('click', async () => {
  button.disabled = true;
  result.textContent = 'paying…';
  try {
    const response = await pay(params.get('api'));
    const data = await response.json();
    const receipt = getPaymentReceipt(response);
    result.textContent = JSON.stringify({ status: response.status, data, transaction: receipt?.transaction ?? null });
  } catch (error) {
    result.textContent = JSON.stringify({ error: error.code ?? String(error) });
  }
  result.dataset.done = 'true';
});

result.textContent = `ready: ${wallet.address}`;
button.disabled = false;
