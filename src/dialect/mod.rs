//! Recognising a 402 response, whatever dialect it speaks, into one common shape.
//!
//! Each dialect is a [`Dialect`]: it looks at a [`Response402`] and either passes
//! (`None`), claims it (`Some(Ok(..))`) or claims it and finds it malformed
//! (`Some(Err(..))`). [`recognize`] tries the built-in dialects in order; a new
//! dialect is one more entry in that list, nothing else changes.

mod facilitator_pay;
mod requirement;
mod solana_pay;
mod x402;
mod x402_headers;

use std::cell::OnceCell;

use serde_json::{Map, Value};

use crate::assets::{AssetBook, KnownAssets};
use crate::error::{Error, Result};
use crate::protocol::ResourceInfo;

pub use facilitator_pay::{FACILITATOR_SCHEME, FacilitatorPay};
pub use requirement::{RejectedRequirement, Requirement};
pub use solana_pay::{SolanaPayReference, TRANSFER_SCHEME, solana_network};
pub use x402::{MAX_ACCEPTS, X402V1Body, X402V2Body, X402V2Header};
pub use x402_headers::X402Headers;

/// The largest response body parsed when looking for a 402 challenge (256 KiB).
pub const MAX_BODY_LEN: usize = 256 * 1024;

/// Read access to response headers. Implementations must match names
/// case-insensitively; callers pass lower-case names.
pub trait HeaderSource {
    /// The value of the header `name`, if present.
    fn header(&self, name: &str) -> Option<String>;
}

fn find_header<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref().to_owned())
}

impl<K: AsRef<str>, V: AsRef<str>> HeaderSource for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<String> {
        find_header(self, name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> HeaderSource for [(K, V); N] {
    fn header(&self, name: &str) -> Option<String> {
        find_header(self, name)
    }
}

/// A response as the recogniser sees it: status, headers and body bytes.
pub struct Response402<'a> {
    status: u16,
    headers: &'a dyn HeaderSource,
    body: &'a [u8],
    body_json: OnceCell<Result<Value, BodyFault>>,
    assets: &'a dyn AssetBook,
    received_at: Option<i64>,
}

#[derive(Clone, Copy, Debug)]
enum BodyFault {
    Empty,
    TooLarge,
    NotJson,
}

impl<'a> Response402<'a> {
    /// Wraps a response for recognition.
    pub fn new(status: u16, headers: &'a dyn HeaderSource, body: &'a [u8]) -> Self {
        Response402 {
            status,
            headers,
            body,
            body_json: OnceCell::new(),
            assets: &KnownAssets,
            received_at: None,
        }
    }

    /// The time the 402 arrived (Unix seconds), from which a dialect's relative
    /// lifetime counts (seed 004's `ttl`). Without it such a challenge has no expiry.
    pub fn received_at(mut self, now: i64) -> Self {
        self.received_at = Some(now);
        self
    }

    /// The time the 402 arrived, if the caller said.
    pub fn arrival(&self) -> Option<i64> {
        self.received_at
    }

    /// Uses `assets` (e.g. the client's policy) to price dialects that name a
    /// token by symbol or give decimal amounts; the default is the known table.
    pub fn with_assets(mut self, assets: &'a dyn AssetBook) -> Self {
        self.assets = assets;
        self
    }

    /// The asset book dialects price decimal amounts with.
    pub fn assets(&self) -> &dyn AssetBook {
        self.assets
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A header's value (`name` in lower case).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.header(name)
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        self.body
    }

    /// The body parsed as JSON, once, shared by every dialect. `None` when the body
    /// is empty, not JSON, or over [`MAX_BODY_LEN`].
    pub fn body_json(&self) -> Option<&Value> {
        self.body_json_or_fault().ok()
    }

    fn body_json_or_fault(&self) -> Result<&Value, BodyFault> {
        self.body_json
            .get_or_init(|| {
                if self.body.iter().all(u8::is_ascii_whitespace) {
                    Err(BodyFault::Empty)
                } else if self.body.len() > MAX_BODY_LEN {
                    Err(BodyFault::TooLarge)
                } else {
                    serde_json::from_slice(self.body).map_err(|_| BodyFault::NotJson)
                }
            })
            .as_ref()
            .map_err(|fault| *fault)
    }
}

/// The atomic amount of a seed dialect's decimal `text` for a token with `decimals`:
/// a plain number, or one naming `currency` (the unit the challenge priced in), never
/// another; and never zero (a transfer of nothing still costs the payer its fee).
///
/// # Errors
/// As [`crate::protocol::parse_price`]; [`Error::InvalidPrice`] for another
/// currency, surrounding spaces or zero.
pub(crate) fn transfer_amount(
    text: &str,
    decimals: u8,
    currency: Option<&str>,
) -> Result<crate::protocol::Amount> {
    let price = crate::protocol::parse_price(text, decimals)?;
    let same = match (price.currency.as_deref(), currency) {
        (None, _) => true,
        (Some(named), Some(priced)) => named.eq_ignore_ascii_case(priced),
        (Some(_), None) => false,
    };
    // No thousands separators either: "1,000" may be a decimal comma (1.000), and the
    // seeds' own clients (float(amount)) refuse it; prices in route configs may have them.
    if !same || text.trim() != text || text.contains(',') {
        return Err(Error::InvalidPrice {
            reason: "amount must be a plain decimal number in the challenge's currency",
        });
    }
    if price.amount == crate::protocol::Amount::ZERO {
        return Err(Error::InvalidPrice {
            reason: "amount is zero",
        });
    }
    Ok(price.amount)
}

/// A challenge of the wrong shape (`INVALID_402`), with why.
pub(crate) fn malformed(reason: &str) -> Error {
    Error::json(
        crate::error::Document::PaymentRequired,
        <serde_json::Error as serde::de::Error>::custom(reason),
    )
}

/// Which dialect a challenge was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DialectId {
    /// x402 v2 with the `PAYMENT-REQUIRED` header.
    X402V2Header,
    /// x402 v2 with the requirements only in the JSON body.
    X402V2Body,
    /// x402 v1: the requirements in the JSON body.
    X402V1,
    /// Seed 001: a Solana Pay transfer carrying a reference key, then a verify poll.
    SolanaPay,
    /// Seed 003: `X-402-*` headers, an ERC-20 transfer, `X-402-Payment-Proof`.
    X402Headers,
    /// Seed 004: the body names a facilitator that pays; `X-Payment-Proof` / `X-Payment-TxId`.
    FacilitatorPay,
}

/// Every header a paid retry may carry its payment or proof in, in lower case: the
/// [`DialectId::payment_header`] of each dialect, and seed 004's `X-Payment-TxId`. A
/// request that already carries one is not paid again.
pub const PAYMENT_HEADERS: [&str; 6] = [
    "payment-signature",
    "x-payment",
    "x-payment-reference",
    "x-402-payment-proof",
    "x-payment-proof",
    "x-payment-txid",
];

impl DialectId {
    /// Whether this is x402 proper (signed authorizations the server settles)
    /// rather than a seed dialect whose payment the client makes itself.
    pub fn is_x402(self) -> bool {
        matches!(
            self,
            DialectId::X402V2Header | DialectId::X402V2Body | DialectId::X402V1
        )
    }

    /// The header a client sends its payment in, for this dialect.
    pub fn payment_header(self) -> &'static str {
        match self {
            DialectId::X402V2Header | DialectId::X402V2Body => "PAYMENT-SIGNATURE",
            DialectId::X402V1 => "X-PAYMENT",
            DialectId::SolanaPay => "X-Payment-Reference",
            DialectId::X402Headers => "X-402-Payment-Proof",
            DialectId::FacilitatorPay => "X-Payment-Proof",
        }
    }
}

/// A 402 challenge in the common shape every dialect maps to.
#[derive(Debug)]
pub struct Challenge {
    /// The dialect it was recognised as.
    pub dialect: DialectId,
    /// The x402 protocol version (1 or 2).
    pub x402_version: u8,
    /// The resource being sold (v1 describes it per requirement instead).
    pub resource: Option<ResourceInfo>,
    /// The server's error message, if any.
    pub error: Option<String>,
    /// The usable requirements, in the server's order.
    pub requirements: Vec<Requirement>,
    /// The requirements that were malformed, with why.
    pub rejected: Vec<RejectedRequirement>,
    /// Extensions declared by the server, raw.
    pub extensions: Option<Map<String, Value>>,
    /// When the challenge stops being payable (Unix seconds), for dialects that say so
    /// (Solana Pay's `expires_at`, `X-402-Expires`). x402 signs its own validity window.
    pub expires_at: Option<i64>,
}

/// Something that can recognise one dialect of 402.
pub trait Dialect: Sync {
    /// This dialect's identifier.
    fn id(&self) -> DialectId;

    /// `None` if the response is not in this dialect; otherwise the challenge, or
    /// why this dialect's challenge is malformed.
    fn recognize(&self, response: &Response402<'_>) -> Option<Result<Challenge>>;
}

/// The built-in dialects, in the order they are tried.
/// x402 proper comes first: a response that also carries a seed dialect's fields
/// is paid the x402 way.
pub static DEFAULT_DIALECTS: &[&dyn Dialect] = &[
    &X402V2Header,
    &X402V2Body,
    &X402V1Body,
    &SolanaPayReference,
    &X402Headers,
    &FacilitatorPay,
];

/// Reads a challenge document given as JSON (a v2 `PaymentRequired` or a v1 body),
/// as a client holding the decoded document would.
///
/// # Errors
/// As [`recognize`].
pub fn challenge_from_json(json: &Value) -> Result<Challenge> {
    x402::from_document(json)
}

impl Challenge {
    /// Finds the requirement `wanted` designates: an index into the server's
    /// `accepts`, one of its `accepts` objects exactly as sent (compared as JSON), or a
    /// recognised requirement (`recognizePaymentRequired`'s view, found by its `index`)
    /// whose terms (scheme, network, amount, asset, payTo) are all the requirement's.
    /// Members the server put inside an entry (a `raw` or an `index` of its own) never
    /// select another entry: what the caller read is what gets signed.
    ///
    /// # Errors
    /// [`Error::RequirementNotOffered`] when it designates none of the usable ones.
    pub fn find_requirement(&self, wanted: &Value) -> Result<&Requirement> {
        let at = |index: u64| self.requirements.iter().find(|r| r.index as u64 == index);
        if let Some(index) = wanted.as_u64() {
            return at(index).ok_or(Error::RequirementNotOffered);
        }
        if let Some(found) = self.requirements.iter().find(|r| r.raw == *wanted) {
            return Ok(found);
        }
        let found = wanted
            .get("index")
            .and_then(Value::as_u64)
            .and_then(at)
            .ok_or(Error::RequirementNotOffered)?;
        // Compared as the view shows them (strings), without serialising the requirement.
        let terms = [
            ("scheme", found.scheme.clone()),
            ("network", found.network.to_string()),
            ("amount", found.amount.to_string()),
            ("asset", found.asset.clone()),
            ("payTo", found.pay_to.clone()),
        ];
        let shown = terms
            .iter()
            .all(|(key, term)| wanted.get(key).and_then(Value::as_str) == Some(term.as_str()));
        if shown {
            Ok(found)
        } else {
            Err(Error::RequirementNotOffered)
        }
    }
}

/// Recognises a 402 response with the built-in dialects.
///
/// # Errors
/// [`Error::NotPaymentRequired`] for another status; the claiming dialect's error
/// for a malformed challenge; [`Error::UnsupportedVersion`] for an unknown
/// `x402Version`; [`Error::Unrecognized402`] when no dialect claims it.
pub fn recognize(response: &Response402<'_>) -> Result<Challenge> {
    recognize_with(response, DEFAULT_DIALECTS)
}

/// Recognises a 402 response with the given dialects, tried in order.
///
/// # Errors
/// As [`recognize`].
pub fn recognize_with(response: &Response402<'_>, dialects: &[&dyn Dialect]) -> Result<Challenge> {
    if response.status() != 402 {
        return Err(Error::NotPaymentRequired {
            status: response.status(),
        });
    }
    if let Some(found) = dialects.iter().find_map(|d| d.recognize(response)) {
        return found;
    }
    match response.body_json_or_fault() {
        Ok(json) => match json.get("x402Version") {
            Some(version) => Err(Error::UnsupportedVersion {
                found: version.to_string(),
            }),
            None => Err(Error::Unrecognized402 {
                reason: "the JSON body is not a known challenge",
            }),
        },
        Err(BodyFault::Empty) => Err(Error::Unrecognized402 {
            reason: "no PAYMENT-REQUIRED header and an empty body",
        }),
        Err(BodyFault::TooLarge) => Err(Error::BodyTooLarge {
            len: response.body().len(),
            limit: MAX_BODY_LEN,
        }),
        Err(BodyFault::NotJson) => Err(Error::Unrecognized402 {
            reason: "no PAYMENT-REQUIRED header and the body is not JSON (or is nested beyond the parser's limit)",
        }),
    }
}
