//! Which of a route's offers a payment is for: v2 payments name theirs (`accepted`),
//! v1 payments are matched by what their authorization pays, each on its transfer method.

use serde_json::Value;

use crate::assets::same_asset;
use crate::protocol::{Amount, Network};

pub(super) fn field<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Whether a requirement asks for Permit2 (`extra.assetTransferMethod`); any other
/// value, or none, is EIP-3009, as `TransferMethod::of` reads it.
pub(super) fn uses_permit2(requirement: &Value) -> bool {
    requirement
        .get("extra")
        .is_some_and(|extra| field(extra, "assetTransferMethod") == "permit2")
}

/// The route requirement `accepted` designates: the one equal on every payment
/// field and on the transfer method (`extra.assetTransferMethod`: a route may offer
/// one token by EIP-3009 and by Permit2), else one equal on every payment field,
/// else one on the same scheme, network and asset (so the verifier names what
/// differs), else one on the same scheme and network.
pub(super) fn best_match<'r>(accepts: &'r [Value], accepted: &Value) -> Option<&'r Value> {
    let network = Network::parse(field(accepted, "network")).ok()?;
    let same = |r: &Value, key: &str| same_asset(&network, field(r, key), field(accepted, key));
    let amount = |v: &Value| Amount::parse(field(v, "amount")).ok();
    let candidates: Vec<&Value> = accepts
        .iter()
        .filter(|r| field(r, "scheme") == field(accepted, "scheme"))
        .filter(|r| Network::parse(field(r, "network")).is_ok_and(|n| n == network))
        .collect();
    let paid = amount(accepted);
    let pays = |r: &&Value| same(r, "asset") && same(r, "payTo") && amount(r) == paid;
    let paying: Vec<&Value> = candidates.iter().copied().filter(pays).collect();
    prefer(paying.into_iter(), uses_permit2(accepted))
        .or_else(|| candidates.iter().copied().find(|r| same(r, "asset")))
        .or_else(|| candidates.first().copied())
}

/// The most offers an EVM v1 payment is checked against (each check costs a signature
/// recovery): a route offering more at one recipient and price takes the first ones.
pub(super) const MAX_V1_TRIES: usize = 4;

/// The recipient, amount and (Permit2) token an EVM v1 payment's authorization names:
/// EIP-3009's `authorization.to` / `value`, or Permit2's `witness.to` /
/// `permitted.amount` / `permitted.token`. `None` for other payloads (Solana's
/// transaction, a malformed one): each offer of their scheme and network is then tried.
pub(super) fn v1_terms(payload: &Value) -> Option<(&str, &str, Option<&str>)> {
    fn text<'v>(v: &'v Value, path: &str) -> Option<&'v str> {
        v.pointer(path).and_then(Value::as_str)
    }
    if let Some(auth) = payload.get("authorization") {
        return Some((text(auth, "/to")?, text(auth, "/value")?, None));
    }
    let permit = payload.get("permit2Authorization")?;
    Some((
        text(permit, "/witness/to")?,
        text(permit, "/permitted/amount")?,
        Some(text(permit, "/permitted/token")?),
    ))
}

/// Why no requirement of the route takes a payment: its network is `offered` (with
/// other schemes only), or it is not.
pub(super) fn unmatched(offered: bool) -> &'static str {
    if offered {
        "unsupported_scheme"
    } else {
        "invalid_network"
    }
}

/// The first of `candidates` on the transfer method `permit2` says, else the first.
pub(super) fn prefer<'r>(
    candidates: impl Iterator<Item = &'r Value> + Clone,
    permit2: bool,
) -> Option<&'r Value> {
    candidates
        .clone()
        .find(|r| uses_permit2(r) == permit2)
        .or_else(|| candidates.clone().next())
}
