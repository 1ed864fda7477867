//! x402 version 1 documents (402 body, `X-PAYMENT`, `X-PAYMENT-RESPONSE`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One way to pay, in the v1 shape (the resource is described per requirement).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirementsV1 {
    /// The scheme, e.g. `"exact"`.
    pub scheme: String,
    /// A v1 network name such as `"base-sepolia"`.
    pub network: String,
    /// The price in atomic units, as a decimal string.
    pub max_amount_required: String,
    /// The asset: a token contract address or mint.
    pub asset: String,
    /// The recipient.
    pub pay_to: String,
    /// The URL being paid for.
    #[serde(default)]
    pub resource: String,
    /// A human description.
    #[serde(default)]
    pub description: String,
    /// The MIME type of the resource.
    #[serde(default)]
    pub mime_type: String,
    /// A JSON schema of the response, raw (the spec sends `null` when there is none).
    #[serde(default)]
    pub output_schema: Option<Value>,
    /// How long a signed payment stays valid, in seconds.
    pub max_timeout_seconds: u64,
    /// Scheme-specific data, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
    /// Keys this crate does not model, kept as received.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The v1 402 body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequiredV1 {
    /// Always 1.
    pub x402_version: u8,
    /// Why payment is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The accepted ways to pay.
    pub accepts: Vec<PaymentRequirementsV1>,
}

/// The client's payment, sent in `X-PAYMENT`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayloadV1 {
    /// Always 1.
    pub x402_version: u8,
    /// The scheme paid with.
    pub scheme: String,
    /// The v1 network name paid on.
    pub network: String,
    /// The scheme-specific proof.
    pub payload: Value,
}
