//! The user's preferences among the requirements a policy allows: networks, assets
//! and schemes, most preferred first. Every entry is checked when the policy is made:
//! one that can match nothing (`"bsae"`, `"EXACT"`) would be ignored without a word.

use serde::Deserialize;

use super::{AllowedAssetConfig, Candidate, Policy, invalid_policy};
use crate::assets::{KNOWN_ASSETS, same_asset};
use crate::dialect::{FACILITATOR_SCHEME, TRANSFER_SCHEME};
use crate::error::Result;
use crate::evm::Address;
use crate::protocol::{Amount, Network};
use crate::svm::Pubkey;

/// The schemes this client pays: x402's `exact`, and the seed dialects' own.
const SCHEMES: [&str; 3] = ["exact", TRANSFER_SCHEME, FACILITATOR_SCHEME];

/// Preference lists, most preferred first.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PreferencesConfig {
    /// Networks: CAIP-2, v1 names, or `"eip155:*"` / `"solana:*"`.
    pub networks: Vec<String>,
    /// Assets: addresses/mints or symbols such as `"USDC"`.
    pub assets: Vec<String>,
    /// Schemes, e.g. `"exact"`.
    pub schemes: Vec<String>,
}

impl PreferencesConfig {
    /// Checks that every entry can match a requirement this client pays.
    ///
    /// # Errors
    /// [`crate::Error::InvalidPolicy`] naming the first entry that cannot.
    pub(super) fn check(&self, allowed: &[(Network, AllowedAssetConfig, Amount)]) -> Result<()> {
        for network in &self.networks {
            if !network_known(network) {
                return Err(invalid_policy(format!(
                    "prefer.networks: {network:?} is not a network this client pays on{}: write \
                     CAIP-2 (\"eip155:8453\"), an x402 v1 name (\"base\"), \"eip155:*\" or \"solana:*\"",
                    network_hint(network)
                )));
            }
        }
        // A symbol ranks a requirement whose asset has it: a known asset's, or one an
        // entry of `policy.assets` gives.
        let named = |symbol: &str| {
            KNOWN_ASSETS
                .iter()
                .any(|k| k.symbol.eq_ignore_ascii_case(symbol))
                || allowed.iter().any(|(_, a, _)| {
                    a.symbol
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(symbol))
                })
        };
        for asset in &self.assets {
            asset_known(asset, named)
                .map_err(|why| invalid_policy(format!("prefer.assets: {asset:?} {why}")))?;
        }
        for scheme in &self.schemes {
            if !SCHEMES.contains(&scheme.as_str()) {
                let hint = SCHEMES
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(scheme.trim()))
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                return Err(invalid_policy(format!(
                    "prefer.schemes: {scheme:?} is not a scheme this client pays{hint}: the schemes are {}",
                    SCHEMES.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Whether `pattern` names a network (or all networks of a family) this client pays on.
fn network_known(pattern: &str) -> bool {
    match pattern.strip_suffix(":*") {
        Some(namespace) => namespace == "eip155" || namespace == "solana",
        None => Network::parse(pattern).is_ok_and(|n| n.is_evm() || n.is_solana()),
    }
}

/// What a refused network preference was probably meant to be.
fn network_hint(pattern: &str) -> String {
    [
        pattern.trim().to_owned(),
        pattern.trim().to_ascii_lowercase(),
    ]
    .into_iter()
    .find(|meant| meant != pattern && network_known(meant))
    .map(|meant| format!(" (did you mean {meant:?}?)"))
    .unwrap_or_default()
}

/// `Ok` when `asset` is an EVM address, a Solana mint or a symbol some asset has
/// (`named`); else why not.
fn asset_known(asset: &str, named: impl Fn(&str) -> bool) -> std::result::Result<(), &'static str> {
    if named(asset) {
        return Ok(());
    }
    let base58 = (32..=44).contains(&asset.len())
        && asset
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'));
    if asset.starts_with("0x") || asset.starts_with("0X") {
        return Address::parse(asset)
            .map(|_| ())
            .map_err(|_| "is not an EVM address (0x and 40 hex digits, all one case or EIP-55)");
    }
    if base58 {
        return Pubkey::parse(asset)
            .map(|_| ())
            .map_err(|_| "is not a Solana mint (32 bytes in base58)");
    }
    Err(
        "is neither an address, a mint, nor the symbol of a known asset or of an entry of policy.assets",
    )
}

/// Whether `pattern` (a validated `prefer.networks` entry) matches `network`.
fn network_matches(pattern: &str, network: &Network) -> bool {
    match pattern.strip_suffix(":*") {
        Some(namespace) => namespace == network.namespace(),
        None => Network::parse(pattern).is_ok_and(|p| p == *network),
    }
}

impl Policy {
    /// Where a candidate ranks: scheme, then network, then asset preferences, then the
    /// server's order.
    pub(super) fn rank(&self, candidate: &Candidate<'_>) -> (usize, usize, usize, usize) {
        let r = candidate.requirement;
        let position = |list: &[String], hit: &dyn Fn(&str) -> bool| {
            list.iter().position(|p| hit(p)).unwrap_or(usize::MAX)
        };
        let scheme = position(&self.prefer.schemes, &|p| p == r.scheme);
        let network = position(&self.prefer.networks, &|p| network_matches(p, &r.network));
        // By address, by the symbol it shows, or by the symbol its entry in `policy.assets`
        // gives it (a known asset shows its known one).
        let entry_symbol = self
            .assets
            .iter()
            .find(|(n, a, _)| *n == r.network && same_asset(n, &a.asset, &r.asset))
            .and_then(|(_, a, _)| a.symbol.as_deref());
        let asset = position(&self.prefer.assets, &|p| {
            same_asset(&r.network, p, &r.asset)
                || p.eq_ignore_ascii_case(&candidate.valuation.symbol)
                || entry_symbol.is_some_and(|s| p.eq_ignore_ascii_case(s))
        });
        (scheme, network, asset, r.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_checked() {
        for good in [
            "base",
            "eip155:8453",
            "eip155:*",
            "solana:*",
            "solana-devnet",
        ] {
            assert!(network_known(good), "{good}");
        }
        for bad in [
            "bsae",
            "Base",
            "eip155:8453 ",
            "evm:*",
            "cosmos:cosmoshub-4",
            "*",
        ] {
            assert!(!network_known(bad), "{bad}");
        }
        assert_eq!(network_hint("Base"), " (did you mean \"base\"?)");
        assert_eq!(
            network_hint("eip155:8453 "),
            " (did you mean \"eip155:8453\"?)"
        );
        let named = |s: &str| ["USDC", "USDC.e", "USD₮0"].contains(&s);
        for good in [
            "USDC",
            "USDC.e",
            "USD₮0",
            "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        ] {
            assert_eq!(asset_known(good, named), Ok(()), "{good}");
        }
        for bad in [
            "0x833589fcd6edb6e08f4c7c32d4f71b54bda0291",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            "US DC",
            "",
            "USDT",
        ] {
            assert!(asset_known(bad, named).is_err(), "{bad}");
        }
    }
}
