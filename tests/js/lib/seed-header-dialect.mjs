// Seed 003 ("X-402-* headers"), written from the seed text as a careful server author would, with
// real checks of the on-chain ERC-20 transfer through the chain's JSON-RPC (anvil).
//
//   const chain = await startBaseUsdcChain();   // anvil as Base (8453), USDC at its real address
//   await chain.mint(payer, 1_000_000n);
//   const s = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver });
//   GET s.url/premium-data                                  -> 402 + X-402-* headers + JSON body
//   GET s.url/premium-data + X-402-Payment-Proof: {"txHash","network","token","amount"}
//       -> 200 { data: 'Premium content here', payment: { verified: true } }
//       |  402 { error: 'Invalid payment proof', reason }
//
// The seed's network "base" is chain 8453 and its token "USDC" is Base's USDC,
// 0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913; X-402-Amount is in USD, paid 1:1 in USDC (6 decimals,
// read from the token). Checks, in order: the proof is JSON with a 0x txHash; network and token
// match (case-insensitive); the claimed amount >= the price (exact decimals); the txHash was never
// accepted before (single use; 'proof already used'); the receipt exists with status 0x1 (and
// `confirmations` blocks); the transaction emitted Transfer(address,address,uint256) logs from the
// USDC contract to the receiver worth >= price * 10^6 in total; and the transfer's block was mined
// while a challenge of this server was open. That last point is our reading of X-402-Expires ("payment
// deadline"): the proof names no challenge, so a payment counts when its block time falls inside the
// window [issued, X-402-Expires] of some challenge this server gave out ('payment expired' otherwise).
// This also refuses old transfers to the receiver that predate any challenge.
import { getAddress } from 'viem';
import { anvilClients, balanceOf, compileTestUSDC, mint, rpc, startAnvil } from './chain.mjs';
import { compareDecimal, isoSeconds, serveJson, toUnits, header } from './seed-common.mjs';

export const BASE_CHAIN_ID = 8453;
export const BASE_USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
export const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const NETWORKS = {
  base: { chainId: 8453, tokens: { USDC: BASE_USDC } },
  'base-sepolia': { chainId: 84532, tokens: { USDC: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' } },
};
const X402_HEADERS = ['X-402-Version', 'X-402-Amount', 'X-402-Currency', 'X-402-Network', 'X-402-Token', 'X-402-Receiver', 'X-402-Expires'];

/** A short Solidity string (< 32 bytes) as its storage word: data left-aligned, length * 2 last. */
function shortStringWord(text) {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 31) throw new Error('short strings only');
  const word = Buffer.alloc(32);
  bytes.copy(word);
  word[31] = bytes.length * 2;
  return `0x${word.toString('hex')}`;
}

/**
 * Anvil as Base mainnet (chain id 8453) with TestUSDC's runtime code at Base's USDC address (no
 * constructor runs there, so the ERC-20 name and symbol "USDC" are written into their storage slots:
 * 3 and 4 in OpenZeppelin 5's ERC20; checked after). Its EIP-712 domain stays TestUSDC's
 * {name: "USDC", version: "2"} (real Base USDC says "USD Coin"): use it for plain transfers.
 * Returns { rpcUrl, chainId, usdc, abi, publicClient, walletClient, mint(to, amount), balanceOf(addr), stop() }.
 */
export async function startBaseUsdcChain() {
  const anvil = await startAnvil({ chainId: BASE_CHAIN_ID });
  try {
    const { abi, bytecode } = await compileTestUSDC();
    // A creation eth_call returns the runtime code (constructor without arguments).
    const runtime = await rpc(anvil.rpcUrl, 'eth_call', [{ data: bytecode }, 'latest']);
    await rpc(anvil.rpcUrl, 'anvil_setCode', [BASE_USDC, runtime]);
    await rpc(anvil.rpcUrl, 'anvil_setStorageAt', [BASE_USDC, '0x3', shortStringWord('USDC')]);
    await rpc(anvil.rpcUrl, 'anvil_setStorageAt', [BASE_USDC, '0x4', shortStringWord('USDC')]);
    const clients = anvilClients({ rpcUrl: anvil.rpcUrl, chainId: BASE_CHAIN_ID });
    const ctx = { address: BASE_USDC, abi, ...clients };
    for (const [fn, want] of [['name', 'USDC'], ['symbol', 'USDC'], ['decimals', 6]]) {
      const got = await clients.publicClient.readContract({ address: BASE_USDC, abi, functionName: fn });
      if (got !== want) throw new Error(`USDC at ${BASE_USDC}: ${fn}() = ${got}, wanted ${want}`);
    }
    return {
      rpcUrl: anvil.rpcUrl, chainId: BASE_CHAIN_ID, usdc: BASE_USDC, abi, ...clients,
      mint: (to, amount) => mint(ctx, to, amount),
      balanceOf: (address) => balanceOf(ctx, address),
      stop: anvil.stop,
    };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

/** Seconds a block's timestamp may differ from this server's clock (see verifyProof). */
const CLOCK_SKEW_S = 5;

/** The proof header's JSON, or a reason string when malformed. */
function parseProof(text) {
  let proof;
  try {
    proof = JSON.parse(text);
  } catch {
    return 'proof is not JSON';
  }
  if (!proof || typeof proof !== 'object') return 'proof is not a JSON object';
  const { txHash, network, token } = proof;
  const amount = typeof proof.amount === 'number' ? String(proof.amount) : proof.amount;
  if (typeof txHash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(txHash)) return 'txHash is not a transaction hash';
  if (typeof network !== 'string' || typeof token !== 'string') return 'network and token are required';
  if (typeof amount !== 'string' || !/^\d+(\.\d+)?$/.test(amount)) return 'amount is not a decimal';
  return { txHash: txHash.toLowerCase(), network, token, amount };
}

/**
 * Starts the seed 003 server (GET /premium-data). `tokenAddress` overrides the token of
 * (network, token); `now()` is the server's clock in ms. Returns { url, close(), counters, seen,
 * usedProofs (Set of lower-case tx hashes), challenges ([{ issuedAt, expiresAt }]), receiver,
 * tokenAddress, priceUnits }.
 */
export async function startHeaderDialectServer({
  rpcUrl, receiver, amountUsd = '0.01', expiresInMs = 300_000, network = 'base', token = 'USDC',
  tokenAddress, confirmations = 1, now = () => Date.now(), path = '/premium-data',
}) {
  const known = NETWORKS[network];
  const asset = getAddress(tokenAddress ?? known?.tokens[token] ?? '');
  const payTo = getAddress(receiver);
  if (known) {
    const chainId = Number(await rpc(rpcUrl, 'eth_chainId'));
    if (chainId !== known.chainId) throw new Error(`the RPC serves chain ${chainId}, not ${network} (${known.chainId})`);
  }
  const decimals = Number(BigInt(await rpc(rpcUrl, 'eth_call', [{ to: asset, data: '0x313ce567' }, 'latest'])));
  const priceUnits = toUnits(amountUsd, decimals);

  const counters = { challenges: 0, verified: 0, rejected: 0 };
  const seen = [];
  const challenges = [];
  const usedProofs = new Set();
  const pending = new Set();
  const receiverTopic = `0x${payTo.slice(2).toLowerCase().padStart(64, '0')}`;

  const paymentRequired = (send) => {
    const issuedAt = now();
    const expiresAt = issuedAt + expiresInMs;
    challenges.push({ issuedAt, expiresAt });
    counters.challenges += 1;
    const expires = isoSeconds(expiresAt);
    const paymentRequest = {
      version: '1.0', amount: amountUsd, amountUSD: amountUsd, currency: 'USD', network, token, receiver: payTo,
      resource: path, description: 'Access to premium data endpoint', expiresAt: expires,
    };
    const headers = {
      'X-402-Version': '1.0', 'X-402-Amount': amountUsd, 'X-402-Currency': 'USD', 'X-402-Network': network,
      'X-402-Token': token, 'X-402-Receiver': payTo, 'X-402-Expires': expires,
    };
    return send(402, { error: 'Payment required', paymentRequest }, headers);
  };

  /** null when the proof pays, else the reason. */
  const verifyProof = async (proof) => {
    if (proof.network.toLowerCase() !== network.toLowerCase()) return `network mismatch (${proof.network})`;
    if (proof.token.toUpperCase() !== token.toUpperCase()) return `token mismatch (${proof.token})`;
    if (compareDecimal(proof.amount, amountUsd) < 0) return `amount ${proof.amount} is below the price ${amountUsd}`;
    const receipt = await rpc(rpcUrl, 'eth_getTransactionReceipt', [proof.txHash]);
    if (!receipt) return 'transaction not found';
    if (receipt.status !== '0x1') return 'transaction failed';
    // The head is read after the receipt; a node may serve a just-mined block's receipt a moment
    // before its head says so (suspected of anvil under load): read it again before refusing.
    let head = BigInt(await rpc(rpcUrl, 'eth_blockNumber'));
    for (let tries = 0; head < BigInt(receipt.blockNumber) && tries < 20; tries += 1) {
      await new Promise((resolve) => { setTimeout(resolve, 50); });
      head = BigInt(await rpc(rpcUrl, 'eth_blockNumber'));
    }
    if (head - BigInt(receipt.blockNumber) + 1n < BigInt(confirmations)) return 'not enough confirmations';
    let paid = 0n;
    for (const log of receipt.logs ?? []) {
      if (log.removed || log.address.toLowerCase() !== asset.toLowerCase()) continue;
      if (log.topics?.length !== 3 || log.topics[0] !== TRANSFER_TOPIC || log.topics[2].toLowerCase() !== receiverTopic) continue;
      paid += BigInt(log.data);
    }
    if (paid === 0n) return `no ${token} transfer to the receiver in the transaction`;
    if (paid < priceUnits) return `paid ${paid} atomic units, below the price ${priceUnits}`;
    const block = await rpc(rpcUrl, 'eth_getBlockByNumber', [receipt.blockNumber, false]);
    const minedAt = Number(BigInt(block.timestamp));
    // A block's timestamp is the chain's clock, not this server's: a few seconds either way are
    // allowed (a transfer mined just after its challenge was refused once under load, the block's
    // second before the challenge's; the two clocks are the suspected cause).
    const open = challenges.some((c) => Math.floor(c.issuedAt / 1000) - CLOCK_SKEW_S <= minedAt && minedAt <= Math.ceil(c.expiresAt / 1000) + CLOCK_SKEW_S);
    if (!open) return 'payment expired (not made while a payment request was open)';
    return null;
  };

  const http = await serveJson(async (req, _res, { url, send }) => {
    seen.push({ method: req.method, path: url.pathname, headers: { ...req.headers } });
    if (url.pathname !== path) return send(404, { error: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'method not allowed' }, { allow: 'GET' });
    const proofHeader = header(req, 'X-402-Payment-Proof');
    if (proofHeader === undefined) return paymentRequired(send);
    const reject = (reason) => {
      counters.rejected += 1;
      return send(402, { error: 'Invalid payment proof', reason });
    };
    const proof = parseProof(proofHeader);
    if (typeof proof === 'string') return reject(proof);
    if (usedProofs.has(proof.txHash) || pending.has(proof.txHash)) return reject('proof already used');
    pending.add(proof.txHash); // reserved while checking: two concurrent requests cannot both win
    try {
      const reason = await verifyProof(proof);
      if (reason) return reject(reason);
      usedProofs.add(proof.txHash);
    } finally {
      pending.delete(proof.txHash);
    }
    counters.verified += 1;
    return send(200, { data: 'Premium content here', payment: { verified: true } });
  }, { allowHeaders: ['X-402-Payment-Proof'], exposeHeaders: X402_HEADERS });

  return { ...http, counters, seen, usedProofs, challenges, receiver: payTo, tokenAddress: asset, priceUnits, decimals };
}
