// A test wallet for the automated run: an EIP-1193 provider injected into the page as
// window.ethereum (what a wallet extension's content script does), whose signing half runs in Node
// with viem and an anvil test key (what the extension's background does), reached through
// Playwright's exposeFunction. It answers what eip1193Wallet and the page ask for:
// eth_requestAccounts / eth_accounts (empty until connected), eth_chainId,
// wallet_addEthereumChain, wallet_switchEthereumChain (to a chain it knows: 4902 otherwise, as
// MetaMask) and eth_signTypedData_v4 (for the active chain only).
import { harnessRequire } from './harness.mjs';

/** Runs in the page before its scripts. */
function injectProvider({ address, chainId }) {
  let connected = false;
  let chain = chainId;
  const known = new Map([[chainId, { chainId }]]); // chains the wallet can switch to
  const calls = [];
  const rpcError = (code, message) => Object.assign(new Error(message), { code });
  window.__demoWalletCalls = calls;
  window.__demoWalletChains = known;
  window.ethereum = {
    isDemoTestWallet: true,
    async request({ method, params } = {}) {
      calls.push(method);
      switch (method) {
        case 'eth_requestAccounts':
          connected = true;
          return [address];
        case 'eth_accounts':
          return connected ? [address] : [];
        case 'eth_chainId':
          return chain;
        case 'wallet_addEthereumChain': {
          // EIP-3085: a wallet asks the user, then adds the chain (and may switch to it; MetaMask does).
          const { chainId: id, chainName, rpcUrls } = params?.[0] ?? {};
          if (!/^0x[0-9a-f]+$/.test(id ?? '') || !chainName || !rpcUrls?.length) throw rpcError(-32602, 'invalid chain parameters');
          known.set(id, params[0]);
          return null;
        }
        case 'wallet_switchEthereumChain': {
          const wanted = params?.[0]?.chainId;
          if (!known.has(wanted)) throw rpcError(4902, `Unrecognized chain ID "${wanted}". Try adding the chain using wallet_addEthereumChain first.`);
          chain = wanted;
          return null;
        }
        case 'eth_signTypedData_v4':
          if (!connected) throw rpcError(4100, 'not connected');
          return window.__demoWalletSign(params?.[0], params?.[1], chain);
        default:
          throw rpcError(4200, `The demo wallet does not support ${method}`);
      }
    },
    on() {},
    removeListener() {},
  };
}

/** EIP-712 integers arrive as decimal strings in the JSON: viem wants BigInts. */
function revive(types, type, value) {
  const array = /^(.*)\[\d*\]$/.exec(type);
  if (array) return value.map((item) => revive(types, array[1], item));
  if (types[type]) return Object.fromEntries(types[type].map((f) => [f.name, revive(types, f.type, value[f.name])]));
  return /^u?int\d*$/.test(type) ? BigInt(value) : value;
}

/**
 * Gives `page` a wallet holding `privateKey`, on chain `chainId` (hex, e.g. '0x1') and knowing no other.
 * Returns { address, signed: [{ primaryType, domain, message }] }.
 */
export async function installTestWallet(page, { privateKey, chainId }) {
  const { privateKeyToAccount } = harnessRequire('viem/accounts');
  const account = privateKeyToAccount(privateKey);
  const signed = [];
  await page.exposeFunction('__demoWalletSign', async (from, json, activeChain) => {
    if (String(from).toLowerCase() !== account.address.toLowerCase()) throw new Error(`unknown account ${from}`);
    const { types: { EIP712Domain, ...types }, domain, primaryType, message } = JSON.parse(json);
    // Like MetaMask: refuse typed data for another chain than the active one.
    if (BigInt(domain.chainId) !== BigInt(activeChain)) throw new Error(`chainId ${domain.chainId} is not the active chain ${activeChain}`);
    const signature = await account.signTypedData({
      domain: revive({ EIP712Domain }, 'EIP712Domain', domain),
      types,
      primaryType,
      message: revive(types, primaryType, message),
    });
    signed.push({ primaryType, domain, message });
    return signature;
  });
  await page.addInitScript(injectProvider, { address: account.address, chainId });
  return { address: account.address, signed };
}
