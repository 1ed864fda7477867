//! Choosing what to pay: which requirements a wallet can pay, the spend policy
//! (per-payment caps that understand decimals, allowed assets, payTo lists) and
//! the user's preferences. Pure: no wallet, no clock, no I/O.

use serde::Deserialize;

use crate::assets::{known_asset, same_asset};
use crate::dialect::Requirement;
use crate::error::{Error, Result};
use crate::evm::Address;
use crate::protocol::{Amount, Network};
use crate::svm::Pubkey;

mod prefer;
mod value;

pub use prefer::PreferencesConfig;

/// The default cap per payment for USD stablecoins: one dollar.
pub const DEFAULT_MAX_USD_PER_PAYMENT: &str = "1";

/// The policy as users write it (JSON / JS object).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// The most one payment in a USD stablecoin may cost, in dollars ("0.50"). Default "1".
    pub max_per_payment: Option<String>,
    /// Assets allowed besides the known stablecoins, each with its own cap.
    pub assets: Vec<AllowedAssetConfig>,
    /// Recipient allow and deny lists.
    pub pay_to: PayToConfig,
    /// Preference order for networks, assets and schemes.
    pub prefer: PreferencesConfig,
    /// Cumulative limits (see [`crate::budget`]).
    pub budget: Option<crate::budget::BudgetConfig>,
}

/// An asset the user explicitly allows. A known asset (USDC) may be listed too, for a
/// cap of its own: its decimals must be the known ones, and the rest of what is known of
/// it (its symbol, its being a dollar) stands.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllowedAssetConfig {
    /// Its network (CAIP-2 or v1 name).
    pub network: String,
    /// Its contract address or mint.
    pub asset: String,
    /// Its decimals.
    pub decimals: u8,
    /// Its ticker, for display.
    #[serde(default)]
    pub symbol: Option<String>,
    /// Whether one token is one dollar (then USD caps and budgets apply to it). A known
    /// stablecoin is one whatever this says.
    #[serde(default)]
    pub usd: bool,
    /// The most one payment may cost, in atomic units (for a dollar asset, besides the
    /// dollar cap: the smaller wins).
    pub max_per_payment: String,
}

/// Recipient rules.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PayToConfig {
    /// If set, only these recipients are paid.
    pub allow: Option<Vec<String>>,
    /// These recipients are never paid.
    pub deny: Vec<String>,
}

/// What a payment is worth, for caps, budgets and display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Valuation {
    /// The amount in atomic units.
    pub atomic: Amount,
    /// Its asset's decimals.
    pub decimals: u8,
    /// Its ticker (or a shortened address).
    pub symbol: String,
    /// Its value in micro-dollars (6 decimals), for USD assets; rounded up.
    pub usd_micros: Option<Amount>,
    /// `network/asset`, the key of per-asset budgets.
    pub asset_key: String,
}

impl Valuation {
    /// "0.01 USDC".
    pub fn formatted(&self) -> String {
        format!(
            "{} {}",
            self.atomic.format_units(self.decimals),
            self.symbol
        )
    }
}

/// A requirement that passed the policy, with its valuation.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    /// The requirement.
    pub requirement: &'a Requirement,
    /// What it costs.
    pub valuation: Valuation,
}

/// The validated policy.
#[derive(Clone, Debug)]
pub struct Policy {
    max_usd_micros: Amount,
    assets: Vec<(Network, AllowedAssetConfig, Amount)>,
    pay_to: PayToConfig,
    prefer: PreferencesConfig,
    /// Cumulative limits, validated.
    pub budget: crate::budget::BudgetLimits,
}

fn invalid_policy(reason: impl Into<String>) -> Error {
    Error::InvalidPolicy {
        reason: reason.into(),
    }
}

impl Policy {
    /// Validates a policy configuration.
    ///
    /// # Errors
    /// [`Error::InvalidPolicy`] for unreadable amounts or networks, an entry of `assets`
    /// that contradicts what is known of its asset, or a preference that can match nothing.
    pub fn new(config: PolicyConfig) -> Result<Self> {
        let max = config
            .max_per_payment
            .as_deref()
            .unwrap_or(DEFAULT_MAX_USD_PER_PAYMENT);
        let max_usd_micros = crate::budget::usd_micros(max)
            .map_err(|reason| invalid_policy(format!("maxPerPayment: {reason}")))?;
        let recipients = config.pay_to.allow.iter().flatten().map(|p| ("allow", p));
        for (list, pay_to) in recipients.chain(config.pay_to.deny.iter().map(|p| ("deny", p))) {
            // A typo in a deny list would look like protection and be none.
            if Address::parse(pay_to).is_err() && Pubkey::parse(pay_to).is_err() {
                return Err(invalid_policy(format!(
                    "payTo.{list}: {pay_to:?} is neither an EVM address nor a Solana public key"
                )));
            }
        }
        let mut assets = Vec::new();
        for asset in config.assets {
            let network = Network::parse(&asset.network)
                .map_err(|e| invalid_policy(format!("assets[].network: {e}")))?;
            let cap = Amount::parse(&asset.max_per_payment)
                .map_err(|e| invalid_policy(format!("assets[].maxPerPayment: {e}")))?;
            if asset.decimals > 36 {
                return Err(invalid_policy("assets[].decimals must be at most 36"));
            }
            // What is known of a known asset stands (its decimals, its being a dollar): an
            // entry with other decimals would show and count its payments wrongly.
            if let Some(known) = known_asset(&network, &asset.asset)
                && known.decimals != asset.decimals
            {
                return Err(invalid_policy(format!(
                    "assets[]: {} on {network} is {}, which has {} decimals, not {}",
                    asset.asset, known.symbol, known.decimals, asset.decimals
                )));
            }
            assets.push((network, asset, cap));
        }
        config.prefer.check(&assets)?;
        let budget = crate::budget::BudgetLimits::new(config.budget.unwrap_or_default())?;
        Ok(Policy {
            max_usd_micros,
            assets,
            pay_to: config.pay_to,
            prefer: config.prefer,
            budget,
        })
    }

    /// The default policy: $1 per payment, known stablecoins only, no budget.
    pub fn default_policy() -> Self {
        Policy {
            max_usd_micros: Amount::from(1_000_000),
            assets: Vec::new(),
            pay_to: PayToConfig::default(),
            prefer: PreferencesConfig::default(),
            budget: crate::budget::BudgetLimits::default(),
        }
    }

    /// The requirements of `offered` this policy allows, most preferred first.
    /// `payable` says whether some wallet can pay a requirement.
    ///
    /// # Errors
    /// The furthest stage any requirement reached: [`Error::NoMatchingRequirement`]
    /// (no wallet can pay any), [`Error::PayToNotAllowed`], [`Error::AssetNotAllowed`],
    /// [`Error::PaymentLimitExceeded`].
    pub fn candidates<'a>(
        &self,
        offered: &'a [Requirement],
        payable: impl Fn(&Requirement) -> bool,
    ) -> Result<Vec<Candidate<'a>>> {
        let mut furthest = Error::NoMatchingRequirement;
        let mut stage = 0;
        let mut out = Vec::new();
        for requirement in offered.iter().filter(|r| payable(r)) {
            if !self.pay_to_allowed(requirement) {
                if stage < 1 {
                    (stage, furthest) = (
                        1,
                        Error::PayToNotAllowed {
                            pay_to: requirement.pay_to.clone(),
                        },
                    );
                }
                continue;
            }
            let Some((valuation, cap)) = self.valuation(requirement) else {
                if stage < 2 {
                    (stage, furthest) = (
                        2,
                        Error::AssetNotAllowed {
                            asset: requirement.asset.clone(),
                            network: requirement.network.to_string(),
                        },
                    );
                }
                continue;
            };
            if valuation.atomic > cap {
                if stage < 3 {
                    let required = valuation.formatted();
                    let cap = format!(
                        "{} {}",
                        cap.format_units(valuation.decimals),
                        valuation.symbol
                    );
                    (stage, furthest) = (3, Error::PaymentLimitExceeded { cap, required });
                }
                continue;
            }
            out.push(Candidate {
                requirement,
                valuation,
            });
        }
        if out.is_empty() {
            return Err(furthest);
        }
        out.sort_by_key(|c| self.rank(c));
        Ok(out)
    }

    fn pay_to_allowed(&self, requirement: &Requirement) -> bool {
        let matches = |list: &[String]| {
            list.iter()
                .any(|p| same_asset(&requirement.network, p, &requirement.pay_to))
        };
        !matches(&self.pay_to.deny) && self.pay_to.allow.as_deref().is_none_or(matches)
    }
}
