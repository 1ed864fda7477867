//! A payment requirement, validated, in the common shape of every dialect.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Document, Error, Result};
use crate::protocol::{Amount, Network, PaymentRequirements, PaymentRequirementsV1, ResourceInfo};

/// One way to pay, validated: the network parsed, the amount an integer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    /// Its position in the server's `accepts` list.
    pub index: usize,
    /// The scheme, e.g. `"exact"`.
    pub scheme: String,
    /// The network (v1 names are mapped to CAIP-2).
    pub network: Network,
    /// The amount to pay, in atomic units (`maxAmountRequired` in v1).
    pub amount: Amount,
    /// The asset: token contract or mint.
    pub asset: String,
    /// The recipient.
    pub pay_to: String,
    /// How long a signed payment stays valid, in seconds.
    pub max_timeout_seconds: u64,
    /// Scheme-specific data, raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
    /// The resource, for v1 requirements that describe it themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceInfo>,
    /// The requirement exactly as the server sent it: echoed as `accepted`.
    pub raw: Value,
}

/// A requirement the server listed but that could not be used.
#[derive(Debug)]
pub struct RejectedRequirement {
    /// Its position in the server's `accepts` list.
    pub index: usize,
    /// Why it was refused.
    pub error: Error,
}

impl Requirement {
    /// Validates a v2 requirement.
    ///
    /// # Errors
    /// `INVALID_402` for a wrong shape, `INVALID_NETWORK`, `INVALID_AMOUNT`, `AMOUNT_OVERFLOW`.
    pub fn from_v2(index: usize, raw: &Value) -> Result<Self> {
        // Read in place: the raw value is kept (cloned once) as `raw`, not copied twice.
        let r = PaymentRequirements::deserialize(raw)
            .map_err(|source| Error::json(Document::PaymentRequired, source))?;
        Ok(Requirement {
            index,
            network: Network::parse(&r.network)?,
            amount: Amount::parse(&r.amount)?,
            scheme: non_empty(r.scheme, "scheme")?,
            asset: non_empty(r.asset, "asset")?,
            pay_to: non_empty(r.pay_to, "payTo")?,
            max_timeout_seconds: r.max_timeout_seconds,
            extra: r.extra,
            resource: None,
            raw: raw.clone(),
        })
    }

    /// Validates a v1 requirement.
    ///
    /// # Errors
    /// As [`Requirement::from_v2`].
    pub fn from_v1(index: usize, raw: &Value) -> Result<Self> {
        let r = PaymentRequirementsV1::deserialize(raw)
            .map_err(|source| Error::json(Document::PaymentRequired, source))?;
        let resource = (!r.resource.is_empty()).then(|| ResourceInfo {
            url: r.resource.clone(),
            description: (!r.description.is_empty()).then(|| r.description.clone()),
            mime_type: (!r.mime_type.is_empty()).then(|| r.mime_type.clone()),
            other: Default::default(),
        });
        Ok(Requirement {
            index,
            network: Network::parse(&r.network)?,
            amount: Amount::parse(&r.max_amount_required)?,
            scheme: non_empty(r.scheme, "scheme")?,
            asset: non_empty(r.asset, "asset")?,
            pay_to: non_empty(r.pay_to, "payTo")?,
            max_timeout_seconds: r.max_timeout_seconds,
            extra: r.extra,
            resource,
            raw: raw.clone(),
        })
    }

    /// A field of `extra`, if present.
    pub fn extra_value(&self, key: &str) -> Option<&Value> {
        self.extra.as_ref()?.get(key)
    }

    /// A string field of `extra`, if present.
    pub fn extra_str(&self, key: &str) -> Option<&str> {
        self.extra_value(key)?.as_str()
    }
}

fn non_empty(value: String, field: &'static str) -> Result<String> {
    if value.is_empty() {
        Err(Error::json(
            Document::PaymentRequired,
            <serde_json::Error as serde::de::Error>::custom(format_args!("{field} is empty")),
        ))
    } else {
        Ok(value)
    }
}
