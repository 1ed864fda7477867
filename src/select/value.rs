//! What a requirement is worth under the policy: its asset's facts (the known table
//! first, then the assets the user allowed), its cap in the asset's decimals, and its
//! value in micro-dollars for the budgets.

use super::{AllowedAssetConfig, Policy, Valuation};
use crate::assets::{AssetBook, AssetInfo, KnownAssets, same_asset};
use crate::dialect::Requirement;
use crate::protocol::{Amount, Network};

impl Policy {
    /// Values a requirement, if its asset is known or allowed.
    ///
    /// A known asset keeps what is known of it (decimals, symbol, being a dollar), even
    /// when `policy.assets` lists it too: an entry cannot take a stablecoin out of the
    /// dollar cap and the budgets. The entry's own atomic cap applies besides the dollar
    /// cap, the smaller winning.
    pub fn valuation(&self, requirement: &Requirement) -> Option<(Valuation, Amount)> {
        let network = &requirement.network;
        let info = self.asset(network, &requirement.asset)?;
        let dollars = from_micros(self.max_usd_micros, info.decimals);
        let cap = match (self.allowed(network, &requirement.asset), info.usd) {
            (Some(own), true) => own.min(dollars),
            (Some(own), false) => own,
            // A known asset: under the dollar cap.
            (None, _) => dollars,
        };
        let valuation = Valuation {
            atomic: requirement.amount,
            decimals: info.decimals,
            usd_micros: info
                .usd
                .then(|| to_micros(requirement.amount, info.decimals)),
            symbol: info.symbol,
            asset_key: format!("{network}/{}", requirement.asset),
        };
        Some((valuation, cap))
    }

    /// The atomic cap of the user's entry for `asset` on `network`, if there is one.
    fn allowed(&self, network: &Network, asset: &str) -> Option<Amount> {
        self.assets
            .iter()
            .find(|(n, a, _)| n == network && same_asset(network, &a.asset, asset))
            .map(|(_, _, cap)| *cap)
    }
}

/// The policy's assets book: the known table first, then the assets the user allowed.
/// A symbol resolving through the known table first means a server naming "USDC"
/// cannot redirect the payment to another contract; an address doing so means an
/// entry in `policy.assets` cannot change a known asset's decimals or dollar value
/// (shown to the user, and counted by the budgets).
impl AssetBook for Policy {
    fn asset(&self, network: &Network, asset: &str) -> Option<AssetInfo> {
        KnownAssets.asset(network, asset).or_else(|| {
            self.assets
                .iter()
                .find(|(n, a, _)| n == network && same_asset(network, &a.asset, asset))
                .map(|(_, a, _)| allowed_info(a))
        })
    }

    fn by_symbol(&self, network: &Network, symbol: &str) -> Option<AssetInfo> {
        KnownAssets.by_symbol(network, symbol).or_else(|| {
            self.assets
                .iter()
                .find(|(n, a, _)| {
                    n == network
                        && a.symbol
                            .as_deref()
                            .is_some_and(|s| s.eq_ignore_ascii_case(symbol))
                })
                // An entry naming a known asset by another symbol: still that asset.
                .map(|(_, a, _)| {
                    self.asset(network, &a.asset)
                        .unwrap_or_else(|| allowed_info(a))
                })
        })
    }
}

fn allowed_info(a: &AllowedAssetConfig) -> AssetInfo {
    AssetInfo {
        asset: a.asset.clone(),
        symbol: a.symbol.clone().unwrap_or_else(|| short(&a.asset)),
        decimals: a.decimals,
        usd: a.usd,
    }
}

fn pow10(exp: u8) -> ruint::aliases::U256 {
    ruint::aliases::U256::from(10u8).pow(ruint::aliases::U256::from(exp))
}

/// Atomic units of a `decimals` asset to micro-dollars, rounding up.
fn to_micros(atomic: Amount, decimals: u8) -> Amount {
    let a = atomic.as_u256();
    if decimals >= 6 {
        let d = pow10(decimals - 6);
        Amount::from(a.div_ceil(d))
    } else {
        Amount::from(a.saturating_mul(pow10(6 - decimals)))
    }
}

/// Micro-dollars to atomic units of a `decimals` asset, rounding down.
fn from_micros(micros: Amount, decimals: u8) -> Amount {
    let m = micros.as_u256();
    if decimals >= 6 {
        Amount::from(m.saturating_mul(pow10(decimals - 6)))
    } else {
        Amount::from(m / pow10(6 - decimals))
    }
}

fn short(asset: &str) -> String {
    let head: String = asset.chars().take(6).collect();
    let tail: String = asset
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}…{tail}")
}
