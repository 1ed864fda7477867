//! The crate's one error type, with stable string codes.
//!
//! Every failure a caller can meet has a [`Error::code`]: an upper-case string that
//! never changes once released, so JavaScript callers can branch on `err.code`.
//! The Display text (display.rs) is for humans and may change.

mod display;

/// The largest EVM amount (`uint256`), as [`Error::AmountOverflow`] names it.
pub const MAX_UINT256: &str = "2^256 - 1";
/// The largest SPL token amount (`u64`), as [`Error::AmountOverflow`] names it.
pub const MAX_U64: &str = "2^64 - 1, the largest SPL token amount";

/// A `Result` whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which JSON document a decode failure was about. It selects the error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Document {
    /// A `PaymentRequired` (the 402 challenge, header or body).
    PaymentRequired,
    /// A `PaymentPayload` (the client's `PAYMENT-SIGNATURE` / `X-PAYMENT`).
    PaymentPayload,
    /// A `SettlementResponse` (`PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE`).
    SettlementResponse,
    /// A facilitator's `/verify` answer.
    VerifyResponse,
    /// A facilitator's `/supported` answer.
    SupportedResponse,
}

impl Document {
    fn name(self) -> &'static str {
        match self {
            Document::PaymentRequired => "payment-required document",
            Document::PaymentPayload => "payment payload",
            Document::SettlementResponse => "settlement response",
            Document::VerifyResponse => "verify response",
            Document::SupportedResponse => "supported response",
        }
    }
}

/// Everything that can go wrong in x402-wasm.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A header value was longer than the limit; it was not decoded.
    HeaderTooLarge {
        /// The value's length in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A response body was longer than the limit; it was not parsed.
    BodyTooLarge {
        /// The body's length in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A header value was not standard base64.
    InvalidBase64 {
        /// The decoder's complaint.
        source: base64::DecodeError,
    },
    /// A header value decoded to bytes that are not UTF-8.
    InvalidUtf8 {
        /// The UTF-8 decoder's complaint.
        source: std::str::Utf8Error,
    },
    /// A header or body was not JSON at all.
    InvalidJson {
        /// The document that was expected.
        document: Document,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// JSON that does not have the shape of the expected document.
    InvalidDocument {
        /// The document that was expected.
        document: Document,
        /// What is wrong with it.
        source: serde_json::Error,
    },
    /// A document declared an `x402Version` this crate does not speak.
    UnsupportedVersion {
        /// The version found (as JSON text, since it may not even be a number).
        found: String,
    },
    /// A status-402 response that no known dialect recognises.
    Unrecognized402 {
        /// What was missing.
        reason: &'static str,
    },
    /// A response that is not a 402 was given to the 402 recogniser.
    NotPaymentRequired {
        /// The HTTP status.
        status: u16,
    },
    /// A 402 whose requirements were all unusable, or which listed none.
    NoValidRequirement {
        /// The first requirement's failure, if there was a requirement at all.
        first: Option<Box<Error>>,
    },
    /// An atomic amount that is not a plain non-negative decimal integer.
    InvalidAmount {
        /// Why it was refused.
        reason: &'static str,
    },
    /// An atomic amount above what it may be: 2^256 - 1 ([`MAX_UINT256`]), or 2^64 - 1
    /// for an SPL token amount ([`MAX_U64`]).
    AmountOverflow {
        /// The largest amount allowed, as the message says it.
        max: &'static str,
    },
    /// A money string such as `"$0.01"` or `"0.05 USDC"` that could not be read.
    InvalidPrice {
        /// Why it was refused.
        reason: &'static str,
    },
    /// A price with more fractional digits than the asset has decimals.
    TooManyDecimals {
        /// The asset's decimals.
        decimals: u8,
        /// The fractional digits given.
        given: usize,
    },
    /// A network identifier that is neither CAIP-2 nor a known v1 name.
    InvalidNetwork {
        /// Why it was refused.
        reason: &'static str,
    },
    /// A network this SDK cannot pay on (or a chain id JS cannot represent).
    UnsupportedNetwork {
        /// The network.
        network: String,
    },
    /// A scheme this SDK does not implement.
    UnsupportedScheme {
        /// The scheme.
        scheme: String,
    },
    /// An EVM address with a wrong length, bad hex or a wrong EIP-55 checksum.
    InvalidAddress {
        /// Why it was refused.
        reason: &'static str,
    },
    /// Typed data that cannot be hashed (undefined types, values of the wrong type).
    InvalidTypedData {
        /// What is wrong.
        reason: String,
    },
    /// A malformed, high-s or unrecoverable signature.
    InvalidSignature {
        /// Why it was refused.
        reason: &'static str,
    },
    /// A private key that is not 32 bytes of hex or not a valid scalar. The
    /// message never contains key material.
    InvalidPrivateKey {
        /// Why it was refused.
        reason: &'static str,
    },
    /// An EIP-3009 requirement without `extra.name` and `extra.version`.
    MissingEip712Domain,
    /// A wallet's signature recovers to another address than the wallet's.
    SignerMismatch {
        /// The wallet's address (empty: the wallet's key is not a signer of the
        /// transaction it was given).
        expected: String,
        /// The address the signature recovers to.
        actual: String,
    },
    /// The requirement passed is not one of the challenge's `accepts`.
    RequirementNotOffered,
    /// A policy option that cannot be read.
    InvalidPolicy {
        /// What is wrong.
        reason: String,
    },
    /// No wallet can pay any of the requirements.
    NoMatchingRequirement,
    /// The recipient is on the deny list or not on the allow list.
    PayToNotAllowed {
        /// The recipient.
        pay_to: String,
    },
    /// The asset is neither a known stablecoin nor explicitly allowed.
    AssetNotAllowed {
        /// The asset.
        asset: String,
        /// Its network.
        network: String,
    },
    /// The payment costs more than the per-payment cap.
    PaymentLimitExceeded {
        /// The cap, formatted ("1 USDC").
        cap: String,
        /// The price, formatted.
        required: String,
    },
    /// A Solana transaction that cannot be decoded.
    InvalidTransaction {
        /// What is wrong.
        reason: &'static str,
    },
    /// A Solana requirement that cannot be paid as given.
    InvalidSolanaRequirement {
        /// What is wrong.
        reason: &'static str,
    },
    /// A Solana JSON-RPC call failed.
    RpcError {
        /// What failed.
        reason: String,
    },
    /// A wallet returned a transaction that no longer pays what was asked.
    WalletAlteredTransaction {
        /// The verification failure.
        reason: &'static str,
    },
    /// A non-GET request was redirected before the 402: which request was priced is unknown.
    UnsafeRedirect {
        /// The request method.
        method: String,
    },
    /// A Worker route configuration that cannot be used.
    InvalidRouteConfig {
        /// What is wrong.
        reason: String,
    },
    /// The approval callback (`onPaymentRequired`) declined the payment.
    PaymentRejected,
    /// Another call of the same paying fetch is paying under the same `paymentId`.
    PaymentInProgress,
    /// An on-chain transaction the client sent failed (reverted, or an error status).
    TransactionFailed {
        /// The transaction hash or signature.
        transaction: String,
        /// What the chain reported.
        reason: String,
    },
    /// A sent transaction was not confirmed in time; it may still land.
    TransactionTimeout {
        /// The transaction hash or signature.
        transaction: String,
    },
    /// The wallet adapter cannot do what this payment needs (e.g. send a transaction).
    WalletUnsupported {
        /// What is missing.
        reason: String,
    },
    /// A 402 named a facilitator that `options.facilitators` does not allow.
    FacilitatorNotAllowed {
        /// The facilitator URL the server gave.
        url: String,
    },
    /// The facilitator refused or failed to pay.
    FacilitatorError {
        /// What went wrong.
        reason: String,
    },
    /// The payment request expired before it could be paid or confirmed.
    PaymentExpired {
        /// What expired.
        reason: String,
    },
    /// A timestamp that is not RFC 3339.
    InvalidTimestamp {
        /// What is wrong.
        reason: &'static str,
    },
    /// `/.well-known/x402.json` could not be read.
    DiscoveryFailed {
        /// What went wrong.
        reason: String,
    },
    /// The payment would pass a cumulative budget.
    BudgetExceeded {
        /// Which limit: "total", "perOrigin" or "window".
        limit: &'static str,
        /// Dollars left under that limit.
        remaining: String,
        /// For a window: in how many milliseconds enough of what it counts leaves it
        /// for this payment to fit (`None` when open reservations alone are too much).
        retry_after_ms: Option<u64>,
    },
}

impl Error {
    /// The stable, upper-case code of this error, e.g. `"INVALID_HEADER"`.
    ///
    /// Codes are part of the public API: they are never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            Error::HeaderTooLarge { .. } => "HEADER_TOO_LARGE",
            Error::BodyTooLarge { .. } => "BODY_TOO_LARGE",
            Error::InvalidBase64 { .. } | Error::InvalidUtf8 { .. } => "INVALID_HEADER",
            Error::InvalidJson { .. } => "INVALID_JSON",
            Error::InvalidDocument { document, .. } => match document {
                Document::PaymentRequired => "INVALID_402",
                Document::PaymentPayload => "INVALID_PAYLOAD",
                Document::SettlementResponse => "INVALID_SETTLEMENT_RESPONSE",
                Document::VerifyResponse | Document::SupportedResponse => {
                    "INVALID_FACILITATOR_RESPONSE"
                }
            },
            Error::UnsupportedVersion { .. } => "UNSUPPORTED_VERSION",
            Error::Unrecognized402 { .. } => "INVALID_402",
            Error::NotPaymentRequired { .. } => "NOT_402",
            Error::NoValidRequirement { .. } => "NO_VALID_REQUIREMENT",
            Error::InvalidAmount { .. } => "INVALID_AMOUNT",
            Error::AmountOverflow { .. } => "AMOUNT_OVERFLOW",
            Error::InvalidPrice { .. } => "INVALID_PRICE",
            Error::TooManyDecimals { .. } => "AMOUNT_PRECISION",
            Error::InvalidNetwork { .. } => "INVALID_NETWORK",
            Error::UnsupportedNetwork { .. } => "UNSUPPORTED_NETWORK",
            Error::UnsupportedScheme { .. } => "UNSUPPORTED_SCHEME",
            Error::InvalidAddress { .. } => "INVALID_ADDRESS",
            Error::InvalidTypedData { .. } => "INVALID_TYPED_DATA",
            Error::InvalidSignature { .. } => "INVALID_SIGNATURE",
            Error::InvalidPrivateKey { .. } => "INVALID_PRIVATE_KEY",
            Error::MissingEip712Domain => "MISSING_EIP712_DOMAIN",
            Error::SignerMismatch { .. } => "SIGNER_MISMATCH",
            Error::RequirementNotOffered => "REQUIREMENT_NOT_OFFERED",
            Error::InvalidPolicy { .. } => "INVALID_POLICY",
            Error::NoMatchingRequirement => "NO_MATCHING_REQUIREMENT",
            Error::PayToNotAllowed { .. } => "PAYTO_NOT_ALLOWED",
            Error::AssetNotAllowed { .. } => "ASSET_NOT_ALLOWED",
            Error::PaymentLimitExceeded { .. } => "PAYMENT_LIMIT_EXCEEDED",
            Error::BudgetExceeded { .. } => "BUDGET_EXCEEDED",
            Error::PaymentRejected => "PAYMENT_REJECTED",
            Error::PaymentInProgress => "PAYMENT_IN_PROGRESS",
            Error::InvalidRouteConfig { .. } => "INVALID_ROUTE_CONFIG",
            Error::UnsafeRedirect { .. } => "UNSAFE_REDIRECT",
            Error::InvalidTransaction { .. } => "INVALID_TRANSACTION",
            Error::InvalidSolanaRequirement { .. } => "INVALID_SOLANA_REQUIREMENT",
            Error::RpcError { .. } => "RPC_ERROR",
            Error::WalletAlteredTransaction { .. } => "WALLET_ALTERED_TRANSACTION",
            Error::TransactionFailed { .. } => "TRANSACTION_FAILED",
            Error::TransactionTimeout { .. } => "TRANSACTION_TIMEOUT",
            Error::WalletUnsupported { .. } => "WALLET_UNSUPPORTED",
            Error::FacilitatorNotAllowed { .. } => "FACILITATOR_NOT_ALLOWED",
            Error::FacilitatorError { .. } => "FACILITATOR_ERROR",
            Error::PaymentExpired { .. } => "PAYMENT_EXPIRED",
            Error::DiscoveryFailed { .. } => "DISCOVERY_FAILED",
            Error::InvalidTimestamp { .. } => "INVALID_TIMESTAMP",
        }
    }

    /// Classifies a `serde_json` failure: syntax errors mean "not JSON", data errors
    /// mean "JSON of the wrong shape".
    pub(crate) fn json(document: Document, source: serde_json::Error) -> Self {
        match source.classify() {
            serde_json::error::Category::Data => Error::InvalidDocument { document, source },
            _ => Error::InvalidJson { document, source },
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidBase64 { source } => Some(source),
            Error::InvalidUtf8 { source } => Some(source),
            Error::InvalidJson { source, .. } | Error::InvalidDocument { source, .. } => {
                Some(source)
            }
            Error::NoValidRequirement { first: Some(first) } => Some(first.as_ref()),
            _ => None,
        }
    }
}
