// Permit2 on anvil, for the x402 exact scheme's "permit2" transfer method: Uniswap's Permit2 runtime
// code as the npm package @uniswap/v4-periphery ships it, at Permit2's canonical address; our test-only
// stand-in for the x402 exact Permit2 proxy (contracts/TestExactPermit2Proxy.sol) at the proxy's
// canonical address; and a plain ERC-20 (contracts/TestPlainERC20.sol) to pay with.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client } from '@x402/core/client';
import { PERMIT2_ADDRESS, x402ExactPermit2ProxyAddress } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/client';
import {
  anvilClients, compileContract, deployContract, installMulticall3, mint, rpc, startAnvil, startOfficialFacilitator,
} from './chain.mjs';

const require = createRequire(import.meta.url);

/**
 * Permit2's runtime code, unmodified, from @uniswap/v4-periphery's copy of the Permit2 repository
 * (lib/permit2/test/utils/DeployPermit2.sol, MIT): the precompiled code Uniswap's own tests etch at
 * the canonical address.
 */
export async function permit2RuntimeCode() {
  const dir = dirname(require.resolve('@uniswap/v4-periphery/package.json'));
  const file = join(dir, 'lib', 'permit2', 'test', 'utils', 'DeployPermit2.sol');
  const match = /bytecode\s*=\s*hex"([0-9a-fA-F]+)"/.exec(await readFile(file, 'utf8'));
  if (!match) throw new Error(`no Permit2 bytecode in ${file}`);
  return `0x${match[1]}`;
}

/**
 * Puts Permit2 at its canonical address. That code was captured from a deployment at another address
 * on chain 31337, so its immutables cache chain id 31337 with a domain separator for the wrong
 * verifyingContract; on any other chain DOMAIN_SEPARATOR() is rebuilt from block.chainid and
 * address(this), which is right. So the Permit2 chain must not be 31337 (rather than patching the code).
 */
export async function installPermit2({ rpcUrl, chainId }) {
  if (chainId === 31337) throw new Error('Permit2 from DeployPermit2.sol caches a wrong domain separator on chain 31337');
  await rpc(rpcUrl, 'anvil_setCode', [PERMIT2_ADDRESS, await permit2RuntimeCode()]);
  return PERMIT2_ADDRESS;
}

/** Puts the test-only stand-in proxy (contracts/TestExactPermit2Proxy.sol) at x402ExactPermit2ProxyAddress. */
export async function installExactPermit2ProxyStandIn({ rpcUrl }) {
  const { bytecode } = await compileContract('TestExactPermit2Proxy');
  // A creation eth_call returns the runtime code; the stand-in has no constructor state or immutables.
  const runtime = await rpc(rpcUrl, 'eth_call', [{ data: bytecode }, 'latest']);
  await rpc(rpcUrl, 'anvil_setCode', [x402ExactPermit2ProxyAddress, runtime]);
  return x402ExactPermit2ProxyAddress;
}

/** Deploys contracts/TestPlainERC20.sol; returns the { address, abi, publicClient, walletClient } chain.mjs's mint and balanceOf take. */
export async function deployPlainERC20(anvil) {
  const address = await deployContract(anvil, 'TestPlainERC20');
  return { address, abi: (await compileContract('TestPlainERC20')).abi, ...anvilClients(anvil) };
}

/** Deploys contracts/TestPermitERC20.sol (EIP-2612 permit, domain "Permit Token" / "1"), as deployPlainERC20. */
export async function deployPermitERC20(anvil) {
  const address = await deployContract(anvil, 'TestPermitERC20');
  return { address, abi: (await compileContract('TestPermitERC20')).abi, ...anvilClients(anvil) };
}

/**
 * anvil as chain `chainId` with Multicall3 (the facilitator's diagnostics read through it), Permit2,
 * the stand-in proxy and a token from `deployToken`; the official facilitator; a fresh payer holding
 * `minted` tokens and no ETH. Stopped when test `t` ends.
 */
export async function startPermit2Stack(t, { chainId, deployToken, minted }) {
  const anvil = await startAnvil({ chainId });
  t.after(() => anvil.stop());
  await installMulticall3(anvil);
  await installPermit2(anvil);
  await installExactPermit2ProxyStandIn(anvil);
  const token = await deployToken(anvil);
  const facilitator = await startOfficialFacilitator({ ...anvil, network: `eip155:${chainId}` });
  const key = generatePrivateKey();
  const payer = privateKeyToAccount(key);
  await mint(token, payer.address, minted);
  return { anvil, token, facilitator, key, payer };
}

/** The official client paying as viem account `payer`, reading the chain over `rpcUrl` (if given), allowed to pay in `asset` on `network`. */
export function officialPermit2Client(payer, rpcUrl, network, asset) {
  const client = new x402Client();
  registerExactEvmScheme(client, rpcUrl ? { signer: payer, schemeOptions: { rpcUrl } } : { signer: payer });
  client.setSpendControls({ allowedAssets: [{ network, asset }] });
  return client;
}
