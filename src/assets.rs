//! The assets the SDK knows without being told: USDC on the main EVM chains and on
//! Solana, with decimals and (for EVM) the EIP-712 domain name and version.
//! EVM entries agree with the official `@x402/evm` default asset table.

use crate::protocol::Network;
use crate::protocol::network::{SOLANA_DEVNET, SOLANA_MAINNET};

/// A token the SDK knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownAsset {
    /// CAIP-2 namespace and reference, e.g. ("eip155", "8453").
    pub network: (&'static str, &'static str),
    /// Contract address (EVM, checksummed) or mint (Solana).
    pub asset: &'static str,
    /// Ticker.
    pub symbol: &'static str,
    /// Decimals.
    pub decimals: u8,
    /// EIP-712 domain name (EVM only).
    pub eip712_name: &'static str,
    /// EIP-712 domain version (EVM only).
    pub eip712_version: &'static str,
    /// Whether one whole token is one US dollar (stablecoins).
    pub usd: bool,
}

const fn usdc_evm(chain: &'static str, asset: &'static str, name: &'static str) -> KnownAsset {
    KnownAsset {
        network: ("eip155", chain),
        asset,
        symbol: "USDC",
        decimals: 6,
        eip712_name: name,
        eip712_version: "2",
        usd: true,
    }
}

const fn usdc_solana(cluster: &'static str, mint: &'static str) -> KnownAsset {
    KnownAsset {
        network: ("solana", cluster),
        asset: mint,
        symbol: "USDC",
        decimals: 6,
        eip712_name: "",
        eip712_version: "",
        usd: true,
    }
}

/// Every known asset.
pub const KNOWN_ASSETS: &[KnownAsset] = &[
    usdc_evm(
        "8453",
        "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
        "USD Coin",
    ),
    usdc_evm(
        "84532",
        "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        "USDC",
    ),
    usdc_evm(
        "1",
        "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
        "USD Coin",
    ),
    usdc_evm(
        "137",
        "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
        "USD Coin",
    ),
    usdc_evm(
        "42161",
        "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
        "USD Coin",
    ),
    usdc_evm(
        "421614",
        "0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d",
        "USD Coin",
    ),
    usdc_evm(
        "43114",
        "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E",
        "USD Coin",
    ),
    usdc_solana(
        SOLANA_MAINNET,
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    ),
    usdc_solana(
        SOLANA_DEVNET,
        "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU",
    ),
];

/// Whether two asset identifiers name the same asset on `network` (EVM addresses
/// compare case-insensitively; Solana mints exactly).
pub fn same_asset(network: &Network, a: &str, b: &str) -> bool {
    if network.is_evm() {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// The known asset at `asset` on `network`.
pub fn known_asset(network: &Network, asset: &str) -> Option<&'static KnownAsset> {
    KNOWN_ASSETS.iter().find(|k| {
        k.network.0 == network.namespace()
            && k.network.1 == network.reference()
            && same_asset(network, k.asset, asset)
    })
}

/// The known asset with `symbol` on `network` (e.g. USDC on Base).
pub fn known_asset_by_symbol(network: &Network, symbol: &str) -> Option<&'static KnownAsset> {
    KNOWN_ASSETS.iter().find(|k| {
        k.network.0 == network.namespace()
            && k.network.1 == network.reference()
            && k.symbol.eq_ignore_ascii_case(symbol)
    })
}

/// What the client knows of an asset: enough to turn a decimal price into atomic units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// Contract address (EVM) or mint (Solana).
    pub asset: String,
    /// Ticker.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
    /// Whether one whole token is one US dollar.
    pub usd: bool,
}

impl From<&KnownAsset> for AssetInfo {
    fn from(k: &KnownAsset) -> Self {
        AssetInfo {
            asset: k.asset.to_owned(),
            symbol: k.symbol.to_owned(),
            decimals: k.decimals,
            usd: k.usd,
        }
    }
}

/// Where dialects that price in decimals (`"0.25"` USDC, `$0.01`) look assets up:
/// the known table, plus whatever the user's policy allows.
pub trait AssetBook {
    /// The asset at `asset` on `network`.
    fn asset(&self, network: &Network, asset: &str) -> Option<AssetInfo>;
    /// The asset called `symbol` on `network`.
    fn by_symbol(&self, network: &Network, symbol: &str) -> Option<AssetInfo>;
}

/// The built-in table alone.
pub struct KnownAssets;

impl AssetBook for KnownAssets {
    fn asset(&self, network: &Network, asset: &str) -> Option<AssetInfo> {
        known_asset(network, asset).map(AssetInfo::from)
    }

    fn by_symbol(&self, network: &Network, symbol: &str) -> Option<AssetInfo> {
        known_asset_by_symbol(network, symbol).map(AssetInfo::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let base = Network::parse("base").unwrap();
        let usdc = known_asset(&base, "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913").unwrap();
        assert_eq!((usdc.decimals, usdc.eip712_name), (6, "USD Coin"));
        assert_eq!(known_asset_by_symbol(&base, "usdc"), Some(usdc));
        assert!(known_asset(&Network::parse("eip155:31337").unwrap(), usdc.asset).is_none());
        let devnet = Network::parse("solana-devnet").unwrap();
        assert!(known_asset(&devnet, "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU").is_some());
        assert!(known_asset(&devnet, "4zmmc9srt5ri5x14gagxhaHii3GnPAEERYPJgZJDncDU").is_none());
        for k in KNOWN_ASSETS.iter().filter(|k| k.network.0 == "eip155") {
            assert_eq!(
                crate::evm::Address::parse(k.asset).unwrap().to_checksum(),
                k.asset
            );
        }
    }
}
