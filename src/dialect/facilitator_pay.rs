//! Seed 004, facilitator-pay: a JSON body `{amount, currency, payee, reference,
//! facilitatorUrl, ttl, message}`. The client asks the facilitator to pay
//! (`POST facilitatorUrl/pay`) and retries with `X-Payment-Proof: <signature>` and
//! `X-Payment-TxId: <txId>`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::solana_pay::solana_network;
use super::{Challenge, Dialect, DialectId, Requirement, Response402, malformed};
use crate::error::{Document, Error, Result};
use crate::evm::Address;
use crate::protocol::Network;
use crate::svm::Pubkey;

/// The scheme name of facilitator-paid requirements.
pub const FACILITATOR_SCHEME: &str = "facilitator-pay";

/// Seed 004's dialect.
pub struct FacilitatorPay;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    amount: String,
    currency: String,
    payee: String,
    reference: String,
    facilitator_url: String,
    #[serde(default)]
    ttl: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    network: Option<String>,
}

impl Dialect for FacilitatorPay {
    fn id(&self) -> DialectId {
        DialectId::FacilitatorPay
    }

    fn recognize(&self, response: &Response402<'_>) -> Option<Result<Challenge>> {
        let json = response.body_json()?;
        let claims = ["facilitatorUrl", "payee", "reference"]
            .iter()
            .all(|key| json.get(key).is_some());
        claims.then(|| challenge(json, response))
    }
}

fn challenge(json: &Value, response: &Response402<'_>) -> Result<Challenge> {
    let body = Body::deserialize(json).map_err(|e| Error::json(Document::PaymentRequired, e))?;
    // The seed's servers are configured for Solana ("mainnet-beta") and say nothing
    // in the body; a `network` member, when present, decides.
    let network = match body.network.as_deref() {
        // Base, or another EVM chain? Paying on a guessed chain could pay the wrong one.
        None if body.payee.starts_with("0x") => {
            return Err(malformed(
                "the payee is an EVM address but the body names no network: it needs a `network` member",
            ));
        }
        None => solana_network("mainnet-beta")?,
        Some(name) => solana_network(name).or_else(|_| Network::parse(name))?,
    };
    let payee = if network.is_evm() {
        Address::parse(&body.payee)?.to_checksum()
    } else {
        Pubkey::parse(&body.payee)?.to_string()
    };
    let url = body.facilitator_url.trim_end_matches('/');
    let url_ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && !url.contains(['?', '#', ' ']);
    if !url_ok {
        return Err(malformed("facilitatorUrl must be an http(s) URL"));
    }
    let reference_ok = !body.reference.is_empty()
        && body.reference.len() <= 256
        && body.reference.bytes().all(|b| b.is_ascii_graphic());
    if !reference_ok {
        return Err(malformed("reference must be 1-256 printable characters"));
    }
    let ttl = match &body.ttl {
        None => 0,
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| malformed("ttl must be seconds"))?,
        Some(Value::String(s)) => s.parse().map_err(|_| malformed("ttl must be seconds"))?,
        Some(_) => return Err(malformed("ttl must be seconds")),
    };
    let token = response
        .assets()
        .by_symbol(&network, &body.currency)
        .ok_or_else(|| Error::AssetNotAllowed {
            asset: body.currency.clone(),
            network: network.to_string(),
        })?;
    let amount = super::transfer_amount(&body.amount, token.decimals, None)?;
    let requirement = Requirement {
        index: 0,
        scheme: FACILITATOR_SCHEME.to_owned(),
        network,
        amount,
        asset: token.asset.clone(),
        pay_to: payee,
        max_timeout_seconds: ttl,
        extra: Some(json!({
            "reference": body.reference,
            // The seed's client sends `payee: paymentDetails.payee`: the 402's string as
            // sent (a facilitator may compare it as text), not `pay_to`'s canonical form.
            "payee": body.payee,
            "facilitatorUrl": url,
            "currency": body.currency,
            "amountDecimal": body.amount,
            "decimals": token.decimals,
        })),
        resource: None,
        raw: json.clone(),
    };
    Ok(Challenge {
        dialect: DialectId::FacilitatorPay,
        x402_version: 0,
        resource: None,
        error: body.message,
        requirements: vec![requirement],
        rejected: Vec::new(),
        extensions: None,
        // The seed's servers refuse a proof once `issued + ttl` has passed: counted from
        // the 402's arrival, so the server's clock does not matter.
        expires_at: response
            .arrival()
            .filter(|_| ttl > 0)
            .map(|at| at.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX))),
    })
}
