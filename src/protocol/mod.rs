//! The x402 wire protocol: documents (v1 and v2), the header codec, networks and amounts.

pub mod amount;
pub mod facilitator;
pub mod header;
pub mod network;
pub mod price;
pub mod time;
pub mod v1;
pub mod v2;

pub use amount::Amount;
pub use facilitator::{SettlementResponse, SupportedKind, SupportedResponse, VerifyResponse};
pub use header::{
    MAX_HEADER_LEN, decode_header, decode_header_exact, decode_header_text, encode_header,
    inexact_integer, inexact_message, parse_json,
};
pub use network::Network;
pub use price::{Price, parse_price};
pub use v1::{PaymentPayloadV1, PaymentRequiredV1, PaymentRequirementsV1};
pub use v2::{PaymentPayload, PaymentRequired, PaymentRequirements, ResourceInfo};

/// HTTP header names of the protocol, lower-case (header names are case-insensitive).
pub mod headers {
    /// v2: the server's challenge.
    pub const PAYMENT_REQUIRED: &str = "payment-required";
    /// v2: the client's payment.
    pub const PAYMENT_SIGNATURE: &str = "payment-signature";
    /// v2: the settlement receipt.
    pub const PAYMENT_RESPONSE: &str = "payment-response";
    /// v1: the client's payment.
    pub const X_PAYMENT: &str = "x-payment";
    /// v1: the settlement receipt.
    pub const X_PAYMENT_RESPONSE: &str = "x-payment-response";
}
