//! The human-readable text of each error. Codes are stable; these words are not.

use std::fmt;

use super::Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::HeaderTooLarge { len, limit } => {
                write!(
                    f,
                    "header value of {len} bytes exceeds the {limit}-byte limit"
                )
            }
            Error::BodyTooLarge { len, limit } => {
                write!(
                    f,
                    "response body of {len} bytes exceeds the {limit}-byte limit"
                )
            }
            Error::InvalidBase64 { .. } => f.write_str("header value is not standard base64"),
            Error::InvalidUtf8 { .. } => f.write_str("header value does not decode to UTF-8"),
            Error::InvalidJson { document, .. } => write!(f, "{} is not JSON", document.name()),
            Error::InvalidDocument { document, source } => {
                write!(f, "malformed {}: {source}", document.name())
            }
            Error::UnsupportedVersion { found } => write!(f, "unsupported x402Version {found}"),
            Error::Unrecognized402 { reason } => write!(f, "unrecognised 402 response: {reason}"),
            Error::NotPaymentRequired { status } => {
                write!(f, "response status is {status}, not 402")
            }
            Error::NoValidRequirement { first: Some(first) } => {
                write!(
                    f,
                    "no usable payment requirement; the first failed with: {first}"
                )
            }
            Error::NoValidRequirement { first: None } => {
                f.write_str("the 402 lists no payment requirements")
            }
            Error::InvalidAmount { reason } => write!(f, "invalid amount: {reason}"),
            Error::AmountOverflow { max } => write!(f, "amount exceeds {max}"),
            Error::InvalidPrice { reason } => write!(f, "invalid price: {reason}"),
            Error::TooManyDecimals { decimals, given } => write!(
                f,
                "price has {given} fractional digits but the asset has only {decimals} decimals"
            ),
            Error::InvalidNetwork { reason } => write!(f, "invalid network: {reason}"),
            Error::UnsupportedNetwork { network } => write!(f, "unsupported network {network}"),
            Error::UnsupportedScheme { scheme } => write!(f, "unsupported scheme {scheme:?}"),
            Error::InvalidAddress { reason } => write!(f, "invalid address: {reason}"),
            Error::InvalidTypedData { reason } => write!(f, "invalid typed data: {reason}"),
            Error::InvalidSignature { reason } => write!(f, "invalid signature: {reason}"),
            Error::InvalidPrivateKey { reason } => write!(f, "invalid private key: {reason}"),
            Error::MissingEip712Domain => f.write_str(
                "the requirement's extra lacks the EIP-712 name and version of the token",
            ),
            Error::SignerMismatch { expected, actual } if expected.is_empty() => write!(
                f,
                "the wallet's key {actual} is not one of the transaction's required signers"
            ),
            Error::SignerMismatch { expected, actual } => write!(
                f,
                "the wallet signed as {actual}, not as its own address {expected}"
            ),
            Error::RequirementNotOffered => {
                f.write_str("the requirement is not one the 402 offers")
            }
            Error::InvalidPolicy { reason } => write!(f, "invalid policy: {reason}"),
            Error::NoMatchingRequirement => f.write_str(
                "none of the offered requirements can be paid by the configured wallets",
            ),
            Error::PayToNotAllowed { pay_to } => write!(f, "recipient {pay_to} is not allowed"),
            Error::AssetNotAllowed { asset, network } => write!(
                f,
                "asset {asset} on {network} is not a known stablecoin and is not explicitly allowed"
            ),
            Error::PaymentLimitExceeded { cap, required } => {
                write!(
                    f,
                    "payment of {required} exceeds the per-payment cap of {cap}"
                )
            }
            Error::PaymentRejected => f.write_str("the payment was not approved"),
            Error::PaymentInProgress => f.write_str(
                "another call is paying under this paymentId: wait for it, then call again (its payment is then sent again)",
            ),
            Error::InvalidRouteConfig { reason } => write!(f, "invalid route config: {reason}"),
            Error::UnsafeRedirect { method } => write!(
                f,
                "a {method} request was redirected before the 402; not paying for a request that may have changed"
            ),
            Error::InvalidTransaction { reason } => {
                write!(f, "invalid Solana transaction: {reason}")
            }
            Error::InvalidSolanaRequirement { reason } => {
                write!(f, "cannot pay this Solana requirement: {reason}")
            }
            Error::RpcError { reason } => write!(f, "JSON-RPC call failed: {reason}"),
            Error::WalletAlteredTransaction { reason } => {
                write!(
                    f,
                    "the wallet returned a transaction that fails verification: {reason}"
                )
            }
            Error::TransactionFailed {
                transaction,
                reason,
            } if transaction.is_empty() => write!(f, "the transaction failed: {reason}"),
            Error::TransactionFailed {
                transaction,
                reason,
            } => write!(f, "transaction {transaction} failed: {reason}"),
            Error::TransactionTimeout { transaction } => write!(
                f,
                "transaction {transaction} was not confirmed in time (it may still land)"
            ),
            Error::WalletUnsupported { reason } => {
                write!(f, "the wallet cannot pay this: {reason}")
            }
            Error::FacilitatorNotAllowed { url } => write!(
                f,
                "the 402 names facilitator {url}, which options.facilitators does not allow"
            ),
            Error::FacilitatorError { reason } => {
                write!(f, "the facilitator did not pay: {reason}")
            }
            Error::PaymentExpired { reason } => write!(f, "the payment request expired: {reason}"),
            Error::InvalidTimestamp { reason } => {
                write!(f, "not an RFC 3339 timestamp: {reason}")
            }
            Error::DiscoveryFailed { reason } => write!(f, "x402 discovery failed: {reason}"),
            Error::BudgetExceeded {
                limit,
                remaining,
                retry_after_ms,
            } => {
                write!(
                    f,
                    "payment would exceed the {limit} budget (${remaining} left)"
                )?;
                match retry_after_ms {
                    Some(ms) => write!(f, "; it fits again in {} s", ms.div_ceil(1000)),
                    None => Ok(()),
                }
            }
        }
    }
}
