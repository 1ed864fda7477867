//! Seed 003, the `X-402-*` header dialect: a 402 with `X-402-Amount` (USD),
//! `X-402-Currency`, `X-402-Network` (e.g. `base`), `X-402-Token` (e.g. `USDC`),
//! `X-402-Receiver` and `X-402-Expires`. The client sends an ERC-20 transfer and
//! retries with `X-402-Payment-Proof: {"txHash","network","token","amount"}`.

use serde_json::{Map, Value, json};

use super::solana_pay::TRANSFER_SCHEME;
use super::{Challenge, Dialect, DialectId, Requirement, Response402, malformed};
use crate::error::{Error, Result};
use crate::evm::Address;
use crate::protocol::Network;
use crate::protocol::time::parse_rfc3339;

/// Seed 003's dialect.
pub struct X402Headers;

/// The response headers of the dialect, in the order they are documented.
const HEADERS: [&str; 7] = [
    "x-402-version",
    "x-402-amount",
    "x-402-currency",
    "x-402-network",
    "x-402-token",
    "x-402-receiver",
    "x-402-expires",
];

fn missing(name: &str) -> Error {
    malformed(&format!("missing header {name}"))
}

impl Dialect for X402Headers {
    fn id(&self) -> DialectId {
        DialectId::X402Headers
    }

    fn recognize(&self, response: &Response402<'_>) -> Option<Result<Challenge>> {
        let claims = response.header("x-402-amount").is_some()
            || response.header("x-402-receiver").is_some();
        claims.then(|| challenge(response))
    }
}

fn challenge(response: &Response402<'_>) -> Result<Challenge> {
    let mut raw = Map::new();
    for name in HEADERS {
        if let Some(value) = response.header(name) {
            raw.insert(name.to_owned(), Value::String(value));
        }
    }
    let get = |name: &'static str| {
        raw.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .ok_or_else(|| missing(name))
    };
    let amount_text = get("x-402-amount")?;
    let network_text = get("x-402-network")?;
    let token_text = get("x-402-token")?;
    let receiver = Address::parse(get("x-402-receiver")?)?;
    let network = Network::parse(network_text)?;
    if !network.is_evm() {
        return Err(Error::UnsupportedNetwork {
            network: network.to_string(),
        });
    }
    let book = response.assets();
    let token = if token_text.starts_with("0x") {
        book.asset(&network, token_text)
    } else {
        book.by_symbol(&network, token_text)
    }
    .ok_or_else(|| Error::AssetNotAllowed {
        asset: token_text.to_owned(),
        network: network.to_string(),
    })?;
    let currency = raw
        .get("x-402-currency")
        .and_then(Value::as_str)
        .map_or("USD", str::trim);
    // The amount is in `currency`: dollars need a dollar stablecoin; a token's own
    // symbol means whole tokens.
    let priced = (currency.eq_ignore_ascii_case("USD") && token.usd)
        || currency.eq_ignore_ascii_case(&token.symbol);
    if !priced {
        return Err(Error::InvalidPrice {
            reason: "X-402-Currency is neither USD (with a dollar stablecoin) nor the token",
        });
    }
    // "$0.50" or "0.5 USDC" must name the currency the challenge priced in ("0.5 EUR" is refused).
    let amount = super::transfer_amount(amount_text, token.decimals, Some(currency))?;
    let expires_at = match raw.get("x-402-expires").and_then(Value::as_str) {
        Some(text) => Some(parse_rfc3339(text)?),
        None => None,
    };
    let asset = Address::parse_hex(&token.asset)?;
    let requirement = Requirement {
        index: 0,
        scheme: TRANSFER_SCHEME.to_owned(),
        network,
        amount,
        asset: asset.to_checksum(),
        pay_to: receiver.to_checksum(),
        max_timeout_seconds: 0,
        extra: Some(json!({
            "amountDecimal": amount_text,
            "currency": currency,
            "token": token_text,
            "networkName": network_text,
            "expiresAt": expires_at,
            "decimals": token.decimals,
        })),
        resource: None,
        raw: Value::Object(raw.clone()),
    };
    Ok(Challenge {
        dialect: DialectId::X402Headers,
        x402_version: 0,
        resource: None,
        error: response
            .body_json()
            .and_then(|b| b.get("error"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        requirements: vec![requirement],
        rejected: Vec::new(),
        extensions: None,
        expires_at,
    })
}
