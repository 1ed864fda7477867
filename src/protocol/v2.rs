//! x402 version 2 documents (transport: `PAYMENT-REQUIRED`, `PAYMENT-SIGNATURE`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The resource a payment is for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
    /// The resource's URL.
    pub url: String,
    /// A human description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The MIME type of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Keys this crate does not model, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One way to pay that the server accepts.
///
/// `amount` stays a string here, as on the wire; [`crate::dialect::Requirement`]
/// is the validated form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirements {
    /// The scheme, e.g. `"exact"`.
    pub scheme: String,
    /// The CAIP-2 network, e.g. `"eip155:8453"`.
    pub network: String,
    /// The price in the asset's atomic units, as a decimal string.
    pub amount: String,
    /// The asset: a token contract address or mint.
    pub asset: String,
    /// The recipient.
    pub pay_to: String,
    /// How long a signed payment stays valid, in seconds.
    pub max_timeout_seconds: u64,
    /// Scheme-specific data (EIP-712 name and version, Solana fee payer, ...), raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
    /// Keys this crate does not model, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The 402 challenge: what the server accepts as payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequired {
    /// Always 2.
    pub x402_version: u8,
    /// Why payment is required (or why the last payment failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The resource being sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceInfo>,
    /// The accepted ways to pay.
    pub accepts: Vec<PaymentRequirements>,
    /// Protocol extensions, raw: they are echoed, never interpreted blindly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
}

/// The client's payment, sent in `PAYMENT-SIGNATURE`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayload {
    /// Always 2.
    pub x402_version: u8,
    /// The resource paid for, copied from the challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceInfo>,
    /// The chosen requirement, exactly as the server sent it (unknown keys included).
    pub accepted: Value,
    /// The scheme-specific proof (signature and authorization, or a transaction).
    pub payload: Value,
    /// The server's extensions echoed back, possibly with additions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
}
