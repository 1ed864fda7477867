// Local peers for the three seed 402 dialects that are not x402 v1/v2 (PROTOCOL.md §6), each written
// from its seed text (/work/shared/seeds/) as a careful server author would, with real on-chain checks:
//
//   001 Solana Pay reference style   seed-solana-pay.mjs      startSolanaPayServer (litesvm front)
//   003 X-402-* headers (Base USDC)  seed-header-dialect.mjs  startBaseUsdcChain, startHeaderDialectServer (anvil)
//   004 facilitator-pay (Solana)     seed-facilitator-pay.mjs startFacilitatorPay, approveFacilitator (litesvm front)
//
// The Solana servers read the chain through svm-facilitator.mjs startLitesvmRpc (its history:
// getSignaturesForAddress, getTransaction), so payments must be sent through that front. Each
// module's header documents the conventions the seed leaves open. Self-test: test/seed-servers.test.mjs.
export { startSolanaPayServer, solanaPayUrl, REFERENCE_HEADER } from './seed-solana-pay.mjs';
export { startBaseUsdcChain, startHeaderDialectServer, BASE_USDC, BASE_CHAIN_ID, TRANSFER_TOPIC } from './seed-header-dialect.mjs';
export { startFacilitatorPay, approveFacilitator } from './seed-facilitator-pay.mjs';
export { toUnits, compareDecimal } from './seed-common.mjs';
