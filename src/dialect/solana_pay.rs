//! Seed 001, the Solana Pay reference style: a JSON body
//! `{chain, network, asset_mint, amount, recipient, reference, expires_at,
//! description, solana_pay_url}`. The client transfers `amount` (in whole tokens,
//! a decimal) of `asset_mint` to `recipient` with `reference` as a read-only key,
//! polls `/api/verify?reference=` and repeats the request.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Challenge, Dialect, DialectId, Requirement, Response402, malformed};
use crate::error::{Document, Error, Result};
use crate::protocol::network::{SOLANA_DEVNET, SOLANA_MAINNET, SOLANA_TESTNET};
use crate::protocol::time::parse_rfc3339;
use crate::protocol::{Network, ResourceInfo, parse_price};
use crate::svm::Pubkey;

/// The scheme name seed dialects that move tokens on-chain themselves use.
pub const TRANSFER_SCHEME: &str = "transfer";

/// Seed 001's dialect.
pub struct SolanaPayReference;

#[derive(Deserialize)]
struct Body {
    chain: String,
    network: String,
    asset_mint: String,
    amount: String,
    recipient: String,
    reference: String,
    expires_at: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    solana_pay_url: Option<String>,
}

/// A Solana cluster named the way seeds and Solana Pay do (`mainnet`,
/// `mainnet-beta`, `devnet`, `testnet`), or CAIP-2 / an x402 v1 name.
///
/// # Errors
/// [`Error::InvalidNetwork`] for anything else or a non-Solana network.
pub fn solana_network(name: &str) -> Result<Network> {
    let reference = match name {
        "mainnet" | "mainnet-beta" => SOLANA_MAINNET,
        "devnet" => SOLANA_DEVNET,
        "testnet" => SOLANA_TESTNET,
        other => {
            let network = Network::parse(other)?;
            return if network.is_solana() {
                Ok(network)
            } else {
                Err(Error::InvalidNetwork {
                    reason: "not a Solana network",
                })
            };
        }
    };
    Network::parse(&format!("solana:{reference}"))
}

impl Dialect for SolanaPayReference {
    fn id(&self) -> DialectId {
        DialectId::SolanaPay
    }

    fn recognize(&self, response: &Response402<'_>) -> Option<Result<Challenge>> {
        let json = response.body_json()?;
        let claims = ["chain", "recipient", "reference", "asset_mint"]
            .iter()
            .all(|key| json.get(key).is_some());
        claims.then(|| challenge(json, response))
    }
}

fn challenge(json: &Value, response: &Response402<'_>) -> Result<Challenge> {
    let body = Body::deserialize(json).map_err(|e| Error::json(Document::PaymentRequired, e))?;
    if body.chain != "solana" {
        return Err(Error::UnsupportedNetwork {
            network: body.chain.clone(),
        });
    }
    let network = solana_network(&body.network)?;
    let mint = Pubkey::parse(&body.asset_mint)?;
    let recipient = Pubkey::parse(&body.recipient)?;
    let reference = Pubkey::parse(&body.reference)?;
    let expires_at = parse_rfc3339(&body.expires_at)?;
    let info = response
        .assets()
        .asset(&network, &body.asset_mint)
        .ok_or_else(|| Error::AssetNotAllowed {
            asset: body.asset_mint.clone(),
            network: network.to_string(),
        })?;
    let amount = super::transfer_amount(&body.amount, info.decimals, None)?;
    // The transfer carries every reference the URL lists, in order (the body's among
    // them); the verify poll uses the body's.
    let references = match &body.solana_pay_url {
        Some(url) => check_solana_pay_url(url, &body)?,
        None => Vec::new(),
    };
    let references: Vec<String> = if references.is_empty() {
        vec![reference.to_string()]
    } else {
        references.iter().map(ToString::to_string).collect()
    };
    let requirement = Requirement {
        index: 0,
        scheme: TRANSFER_SCHEME.to_owned(),
        network,
        amount,
        asset: mint.to_string(),
        pay_to: recipient.to_string(),
        max_timeout_seconds: 0,
        extra: Some(json!({
            "reference": reference.to_string(),
            "references": references,
            "expiresAt": expires_at,
            "decimals": info.decimals,
            "amountDecimal": body.amount,
        })),
        resource: None,
        raw: json.clone(),
    };
    Ok(Challenge {
        dialect: DialectId::SolanaPay,
        x402_version: 0,
        // The seed's `description` describes the resource ("Access to the hello endpoint
        // result"); it is no error. The body names no URL: `url` is empty.
        resource: body.description.clone().map(|description| ResourceInfo {
            url: String::new(),
            description: Some(description),
            mime_type: None,
            other: Map::new(),
        }),
        error: None,
        requirements: vec![requirement],
        rejected: Vec::new(),
        extensions: None,
        expires_at: Some(expires_at),
    })
}

/// A `solana:` transfer request URL must ask for what the body asks: same
/// recipient, amount, SPL token (a URL without `spl-token` asks for native SOL)
/// and a reference list holding the body's. A server whose two copies disagree is
/// not paid; nor is one whose URL asks for a memo, which the transfer does not carry.
/// Returns the URL's references in order (Solana Pay includes them all), or none.
fn check_solana_pay_url(url: &str, body: &Body) -> Result<Vec<Pubkey>> {
    let rest = url
        .strip_prefix("solana:")
        .ok_or_else(|| malformed("solana_pay_url is not a solana: URL"))?;
    let (recipient, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut amount = None;
    let mut token = None;
    let mut references = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "amount" => once(&mut amount, value)?,
            "spl-token" => once(&mut token, value)?,
            "reference" => references.push(
                Pubkey::parse(value)
                    .map_err(|_| malformed("a solana_pay_url reference is not a public key"))?,
            ),
            "memo" => {
                return Err(malformed(
                    "solana_pay_url asks for a memo, which this client's transfer does not carry",
                ));
            }
            _ => {}
        }
    }
    let reference = Pubkey::parse(&body.reference)?;
    let same = recipient == body.recipient
        && amount.is_none_or(|a| same_decimal(a, &body.amount))
        && token == Some(body.asset_mint.as_str())
        && (references.is_empty() || references.contains(&reference));
    if !same {
        return Err(malformed("solana_pay_url disagrees with the body"));
    }
    if references
        .iter()
        .enumerate()
        .any(|(i, r)| references.iter().skip(i + 1).any(|other| other == r))
    {
        return Err(malformed("solana_pay_url lists a reference twice"));
    }
    Ok(references)
}

/// Sets a URL parameter's slot; a parameter given twice is ambiguous.
fn once<'a>(slot: &mut Option<&'a str>, value: &'a str) -> Result<()> {
    match slot.replace(value) {
        Some(_) => Err(malformed("solana_pay_url gives a parameter twice")),
        None => Ok(()),
    }
}

/// Whether two decimal strings are the same number ("0.10" and "0.1").
fn same_decimal(a: &str, b: &str) -> bool {
    const SCALE: u8 = 36;
    match (parse_price(a, SCALE), parse_price(b, SCALE)) {
        (Ok(a), Ok(b)) => a.amount == b.amount && a.currency.is_none() && b.currency.is_none(),
        _ => false,
    }
}
