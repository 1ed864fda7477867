//! Route configuration: prices as money strings or atomic amounts, resolved to
//! x402 requirements (v2, and the v1 equivalent for v1 clients).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::assets::{KnownAsset, known_asset, known_asset_by_symbol};
use crate::client::exact_terms_problem;
use crate::dialect::Requirement;
use crate::error::{Error, Result};
use crate::evm::Address;
use crate::protocol::{Amount, Network, parse_price};
use crate::svm::Pubkey;

use super::identifier::payment_identifier_declaration;
pub use super::identifier::{PaymentIdentifierConfig, PaymentIdentifierOptions};

/// A route's payment terms, as users write them.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteConfig {
    /// The accepted ways to pay.
    pub accepts: Vec<AcceptConfig>,
    /// What is sold (the URL defaults to the request's).
    #[serde(default)]
    pub resource: Option<ResourceConfig>,
    /// Whether x402 v1 clients (X-PAYMENT) are accepted; then the 402 body is v1.
    #[serde(default)]
    pub accept_v1: bool,
    /// The `payment-identifier` extension: `true` (optional ids) or `{ required }`.
    #[serde(default)]
    pub payment_identifier: Option<PaymentIdentifierConfig>,
}

/// One accepted way to pay.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptConfig {
    /// The scheme; default `"exact"`.
    #[serde(default = "exact")]
    pub scheme: String,
    /// CAIP-2 or a v1 name.
    pub network: String,
    /// The recipient.
    pub pay_to: String,
    /// `"$0.01"`, `"0.05 USDC"`, or `{ amount, asset }` in atomic units.
    pub price: Price,
    /// Seconds a signed payment stays valid; default 60.
    #[serde(default = "sixty")]
    pub max_timeout_seconds: u64,
    /// Scheme data merged over what the known-asset table provides.
    #[serde(default)]
    pub extra: Option<Map<String, Value>>,
}

/// A price.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Price {
    /// A money string.
    Money(String),
    /// Atomic units of a given asset.
    Atomic {
        /// The amount in atomic units.
        amount: String,
        /// The token contract or mint.
        asset: String,
        /// Scheme data for this asset (e.g. EIP-712 name and version).
        #[serde(default)]
        extra: Option<Map<String, Value>>,
    },
}

/// Resource description.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceConfig {
    /// The URL (default: the request URL).
    #[serde(default)]
    pub url: Option<String>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// The MIME type.
    #[serde(default)]
    pub mime_type: Option<String>,
}

/// `maxTimeoutSeconds` above this would reach JavaScript clients inexactly.
const MAX_TIMEOUT_SECONDS: u64 = (1 << 53) - 1;

/// Whether a client can pay a route's requirement: a time window of at least a second, and the
/// `exact` terms a client checks before paying (an EVM token's EIP-712 domain, a
/// Solana `extra.feePayer`...). A 402 built from a placeholder or an omission would
/// go to every client, and none could pay it.
fn payable(terms: &Requirement) -> Result<()> {
    for (field, value) in [
        ("scheme", &terms.scheme),
        ("asset", &terms.asset),
        ("payTo", &terms.pay_to),
    ] {
        if value.is_empty() {
            return Err(invalid(format!("{field} is empty")));
        }
    }
    if terms.scheme != "exact" {
        // The gate verifies and settles `exact` only: every payment would be refused.
        return Err(invalid(format!(
            "scheme {:?}: only \"exact\" payments are verified and settled here",
            terms.scheme
        )));
    }
    if !(1..=MAX_TIMEOUT_SECONDS).contains(&terms.max_timeout_seconds) {
        return Err(invalid(format!(
            "maxTimeoutSeconds must be 1 to {MAX_TIMEOUT_SECONDS}"
        )));
    }
    match exact_terms_problem(terms, 0) {
        Some(problem) => Err(invalid(format!("no client could pay it: {problem}"))),
        None => Ok(()),
    }
}

fn exact() -> String {
    "exact".to_owned()
}

fn sixty() -> u64 {
    60
}

/// A route resolved for one request: its v2 challenge and v1 requirements.
#[derive(Clone, Debug)]
pub struct Route {
    /// The v2 `PaymentRequired`.
    pub payment_required: Value,
    /// The v1 body (when v1 is accepted): the v1 requirements the official v1 client
    /// can read (it refuses a body naming a network it does not know).
    pub v1_body: Option<Value>,
    /// Every v1 requirement, those the body leaves out included: a v1 payment on any
    /// of them is accepted.
    v1_all: Vec<Value>,
    /// Whether v1 payments are accepted.
    pub accept_v1: bool,
    /// `Some(required)` when the route declares the `payment-identifier` extension.
    pub payment_identifier: Option<bool>,
}

fn invalid(reason: String) -> Error {
    Error::InvalidRouteConfig { reason }
}

/// An error's message, without the "invalid route config" its wrapper adds again.
fn reason_of(error: Error) -> String {
    match error {
        Error::InvalidRouteConfig { reason } => reason,
        other => other.to_string(),
    }
}

impl Route {
    /// Resolves `config` for a request to `request_url`.
    ///
    /// # Errors
    /// [`Error::InvalidRouteConfig`] for unknown networks, unknown symbols, bad
    /// prices or a price finer than the asset's decimals.
    pub fn new(config: &RouteConfig, request_url: &str) -> Result<Self> {
        let resource = config.resource.clone().unwrap_or_default();
        let url = resource
            .url
            .clone()
            .unwrap_or_else(|| request_url.to_owned());
        if config.accepts.is_empty() {
            return Err(invalid(
                "accepts is empty: a 402 must offer at least one way to pay".into(),
            ));
        }
        let mut accepts = Vec::new();
        let mut v1_accepts = Vec::new();
        let mut v1_all = Vec::new();
        for (i, accept) in config.accepts.iter().enumerate() {
            let requirement = requirement(accept)
                .map_err(|e| invalid(format!("accepts[{i}]: {}", reason_of(e))))?;
            let network = Network::parse(&accept.network)
                .map_err(|e| invalid(format!("accepts[{i}]: {e}")))?;
            if let Some(v1_name) = network.v1_name().filter(|_| config.accept_v1) {
                let field = |key: &str| requirement.get(key).cloned().unwrap_or(Value::Null);
                let mut v1 = Map::new();
                v1.insert("scheme".into(), field("scheme"));
                v1.insert("network".into(), json!(v1_name));
                v1.insert("maxAmountRequired".into(), field("amount"));
                v1.insert("asset".into(), field("asset"));
                v1.insert("payTo".into(), field("payTo"));
                v1.insert("resource".into(), json!(url));
                v1.insert(
                    "description".into(),
                    json!(resource.description.clone().unwrap_or_default()),
                );
                v1.insert(
                    "mimeType".into(),
                    json!(resource.mime_type.clone().unwrap_or_default()),
                );
                v1.insert("maxTimeoutSeconds".into(), field("maxTimeoutSeconds"));
                // v1 clients validate optional members as objects when present: omit nulls.
                if let Some(extra) = requirement.get("extra") {
                    v1.insert("extra".into(), extra.clone());
                }
                if network.v1_client_name().is_some() {
                    v1_accepts.push(Value::Object(v1.clone()));
                }
                v1_all.push(Value::Object(v1));
            }
            accepts.push(requirement);
        }
        let mut resource_json = Map::new();
        resource_json.insert("url".into(), json!(url));
        if let Some(d) = &resource.description {
            resource_json.insert("description".into(), json!(d));
        }
        if let Some(m) = &resource.mime_type {
            resource_json.insert("mimeType".into(), json!(m));
        }
        let payment_identifier = config
            .payment_identifier
            .as_ref()
            .and_then(PaymentIdentifierConfig::declared);
        if let Some(config) = &config.payment_identifier {
            config.check().map_err(invalid)?;
        }
        let mut payment_required = json!({
            "x402Version": 2,
            "error": "Payment required",
            "resource": resource_json,
            "accepts": accepts,
        });
        if let (Some(required), Value::Object(document)) =
            (payment_identifier, &mut payment_required)
        {
            let declaration = payment_identifier_declaration(required);
            document.insert(
                "extensions".into(),
                json!({ crate::client::PAYMENT_IDENTIFIER: declaration }),
            );
        }
        let v1_body = config.accept_v1.then(|| {
            json!({
                "x402Version": 1, "error": "X-PAYMENT header is required", "accepts": v1_accepts,
            })
        });
        Ok(Route {
            payment_required,
            v1_body,
            v1_all,
            accept_v1: config.accept_v1,
            payment_identifier,
        })
    }

    /// The v2 requirements.
    pub fn accepts(&self) -> &[Value] {
        self.payment_required
            .get("accepts")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The v1 requirements a v1 payment may pay (all of them, not only the body's).
    pub fn v1_accepts(&self) -> &[Value] {
        &self.v1_all
    }
}

fn requirement(accept: &AcceptConfig) -> Result<Value> {
    let network = Network::parse(&accept.network)?;
    let (amount, asset, known, price_extra): (
        Amount,
        String,
        Option<&KnownAsset>,
        Option<&Map<String, Value>>,
    ) = match &accept.price {
        Price::Atomic {
            amount,
            asset,
            extra,
        } => (
            Amount::parse(amount)?,
            asset.clone(),
            known_asset(&network, asset),
            extra.as_ref(),
        ),
        Price::Money(text) => {
            let symbol = text.split_whitespace().nth(1).unwrap_or("USDC");
            let symbol = if text.trim_start().starts_with('$') {
                "USDC"
            } else {
                symbol
            };
            let known = known_asset_by_symbol(&network, symbol).ok_or_else(|| {
                invalid(format!(
                    "no known {symbol} on {network}; give {{ amount, asset }} instead"
                ))
            })?;
            let price = parse_price(text, known.decimals)?;
            (price.amount, known.asset.to_owned(), Some(known), None)
        }
    };
    // A placeholder or a typo here would be sent to every client, which could not pay it.
    for (field, value) in [("payTo", accept.pay_to.as_str()), ("asset", asset.as_str())] {
        let valid = if network.is_evm() {
            Address::parse(value).is_ok()
        } else if network.is_solana() {
            Pubkey::parse(value).is_ok()
        } else {
            true
        };
        if !valid {
            return Err(invalid(format!(
                "{field} {value:?} is not an address on {network}"
            )));
        }
    }
    let mut extra = Map::new();
    if let Some(k) = known.filter(|k| !k.eip712_name.is_empty()) {
        extra.insert("name".into(), json!(k.eip712_name));
        extra.insert("version".into(), json!(k.eip712_version));
    }
    for source in [price_extra, accept.extra.as_ref()].into_iter().flatten() {
        extra.extend(source.clone());
    }
    let terms = Requirement {
        index: 0,
        scheme: accept.scheme.clone(),
        network,
        amount,
        asset,
        pay_to: accept.pay_to.clone(),
        max_timeout_seconds: accept.max_timeout_seconds,
        extra: (!extra.is_empty()).then_some(Value::Object(extra)),
        resource: None,
        raw: Value::Null,
    };
    payable(&terms)?;
    let mut requirement = Map::new();
    requirement.insert("scheme".into(), json!(terms.scheme));
    requirement.insert("network".into(), json!(terms.network.to_string()));
    requirement.insert("amount".into(), json!(terms.amount.to_string()));
    requirement.insert("asset".into(), json!(terms.asset));
    requirement.insert("payTo".into(), json!(terms.pay_to));
    requirement.insert("maxTimeoutSeconds".into(), json!(terms.max_timeout_seconds));
    if let Some(extra) = terms.extra {
        requirement.insert("extra".into(), extra);
    }
    Ok(Value::Object(requirement))
}
