//! Documents exchanged with a facilitator, and the settlement receipt.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The outcome of a settlement: `PAYMENT-RESPONSE` (v2), `X-PAYMENT-RESPONSE` (v1),
/// and a facilitator's `/settle` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementResponse {
    /// Whether the payment settled.
    pub success: bool,
    /// Why it did not, as a spec reason code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<String>,
    /// The paying address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    /// The transaction hash or signature; empty when nothing was sent.
    #[serde(default)]
    pub transaction: String,
    /// The network settled on (CAIP-2 in v2, a v1 name in v1).
    #[serde(default)]
    pub network: String,
    /// The amount settled, in atomic units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Extensions, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
    /// Keys this crate does not model (`errorMessage`, `extra`...), kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A facilitator's `/verify` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse {
    /// Whether the payment is valid.
    pub is_valid: bool,
    /// Why not, as a spec reason code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
    /// The paying address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    /// Keys this crate does not model, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One payment kind a facilitator supports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedKind {
    /// The protocol version.
    pub x402_version: u8,
    /// The scheme.
    pub scheme: String,
    /// The network (CAIP-2 in v2, a v1 name in v1).
    pub network: String,
    /// Scheme-specific data (for example the Solana fee payer), raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
}

/// A facilitator's `/supported` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedResponse {
    /// The supported kinds.
    pub kinds: Vec<SupportedKind>,
    /// Supported extension names.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Signer addresses by CAIP family, raw.
    #[serde(default)]
    pub signers: Map<String, Value>,
}
