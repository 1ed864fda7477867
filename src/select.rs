//! Choosing what to pay: which requirements a wallet can pay, the spend policy
//! (per-payment caps that understand decimals, allowed assets, payTo lists) and
//! the user's preferences. Pure: no wallet, no clock, no I/O.

use serde::Deserialize;

use crate::assets::{AssetBook, AssetInfo, KnownAssets, known_asset, same_asset};
use crate::dialect::Requirement;
use crate::error::{Error, Result};
use crate::evm::Address;
use crate::protocol::{Amount, Network};
use crate::svm::Pubkey;

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

/// An asset the user explicitly allows.
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
    /// Whether one token is one dollar (then USD caps and budgets apply to it).
    #[serde(default)]
    pub usd: bool,
    /// The most one payment may cost, in atomic units.
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
    /// [`Error::InvalidPolicy`] for unreadable amounts or networks.
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
            assets.push((network, asset, cap));
        }
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

    /// Values a requirement, if its asset is known or allowed.
    pub fn valuation(&self, requirement: &Requirement) -> Option<(Valuation, Amount)> {
        let network = &requirement.network;
        let key = format!("{network}/{}", requirement.asset);
        if let Some(allowed) = self
            .assets
            .iter()
            .find(|(n, a, _)| n == network && same_asset(network, &a.asset, &requirement.asset))
        {
            let (_, config, cap) = allowed;
            let symbol = config
                .symbol
                .clone()
                .unwrap_or_else(|| short(&config.asset));
            let usd = config
                .usd
                .then(|| to_micros(requirement.amount, config.decimals));
            let cap = match config.usd {
                true => (*cap).min(from_micros(self.max_usd_micros, config.decimals)),
                false => *cap,
            };
            let valuation = Valuation {
                atomic: requirement.amount,
                decimals: config.decimals,
                symbol,
                usd_micros: usd,
                asset_key: key,
            };
            return Some((valuation, cap));
        }
        let known = known_asset(network, &requirement.asset)?;
        let valuation = Valuation {
            atomic: requirement.amount,
            decimals: known.decimals,
            symbol: known.symbol.to_owned(),
            usd_micros: known
                .usd
                .then(|| to_micros(requirement.amount, known.decimals)),
            asset_key: key,
        };
        Some((valuation, from_micros(self.max_usd_micros, known.decimals)))
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

    fn rank(&self, candidate: &Candidate<'_>) -> (usize, usize, usize, usize) {
        let r = candidate.requirement;
        let position = |list: &[String], hit: &dyn Fn(&str) -> bool| {
            list.iter().position(|p| hit(p)).unwrap_or(usize::MAX)
        };
        let scheme = position(&self.prefer.schemes, &|p| p == r.scheme);
        let network = position(&self.prefer.networks, &|p| network_matches(p, &r.network));
        let asset = position(&self.prefer.assets, &|p| {
            same_asset(&r.network, p, &r.asset)
                || p.eq_ignore_ascii_case(&candidate.valuation.symbol)
        });
        (scheme, network, asset, r.index)
    }
}

/// The policy's assets book: a symbol resolves through the known table first (a
/// server naming "USDC" cannot redirect the payment to another contract), then
/// through the assets the user allowed; an address through the allowed assets
/// first, as [`Policy::valuation`] does.
impl AssetBook for Policy {
    fn asset(&self, network: &Network, asset: &str) -> Option<AssetInfo> {
        self.assets
            .iter()
            .find(|(n, a, _)| n == network && same_asset(network, &a.asset, asset))
            .map(|(_, a, _)| allowed_info(a))
            .or_else(|| KnownAssets.asset(network, asset))
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
                .map(|(_, a, _)| allowed_info(a))
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

fn network_matches(pattern: &str, network: &Network) -> bool {
    match pattern.strip_suffix(":*") {
        Some(namespace) => namespace == network.namespace(),
        None => Network::parse(pattern).is_ok_and(|p| p == *network),
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
