//! Deciding whether a request's payment header pays a route: decode, match the
//! requirement, verify locally. Replay storage and settlement come after, in the
//! shell, in that order.

use serde::Deserialize;
use serde_json::Value;

use super::offers::{MAX_V1_TRIES, best_match, field, prefer, unmatched, uses_permit2, v1_terms};
use super::route::Route;
use crate::dialect::Requirement;
use crate::error::{Document, Error};
use crate::evm::verify::{VerifyOptions, verify};
use crate::protocol::{Amount, Network, PaymentPayload, PaymentPayloadV1, decode_header_exact};

/// How long a Solana payment's replay key is kept (its blockhash expires sooner).
pub const SVM_REPLAY_SECONDS: u64 = 120;

/// The clock and tolerances of the gate.
pub type GateOptions = VerifyOptions;

/// What to do with a request.
#[derive(Debug)]
pub enum Decision {
    /// No payment header: answer with the 402 challenge.
    Challenge,
    /// A malformed payment header: answer 400 with this error.
    Malformed(Error),
    /// A well-formed payment that does not pay: answer 402 with the reason.
    Refused {
        /// The x402 reason string.
        reason: &'static str,
    },
    /// A verified payment: reserve its replay key, then serve and settle.
    Accepted(Box<Accepted>),
}

/// A verified payment.
#[derive(Debug)]
pub struct Accepted {
    /// 1 or 2.
    pub x402_version: u8,
    /// The decoded payment payload.
    pub payment: Value,
    /// The requirement it pays, in the version's shape (for the facilitator).
    pub requirement: Value,
    /// The paying address.
    pub payer: String,
    /// The replay key: network, payer and nonce.
    pub replay_key: String,
    /// Unix seconds after which the payment can no longer settle.
    pub expires_at: u64,
    /// The `payment-identifier` id it carries, on a route that declares the extension.
    pub payment_id: Option<String>,
}

/// The gate of one resolved route.
pub struct Gate<'a> {
    route: &'a Route,
}

impl<'a> Gate<'a> {
    /// A gate for `route`.
    pub fn new(route: &'a Route) -> Self {
        Gate { route }
    }

    /// Decides on the request's `PAYMENT-SIGNATURE` (v2) and `X-PAYMENT` (v1) headers.
    pub fn decide(
        &self,
        payment_signature: Option<&str>,
        x_payment: Option<&str>,
        options: &GateOptions,
    ) -> Decision {
        if let Some(header) = payment_signature {
            return self.decide_v2(header, options);
        }
        match x_payment {
            Some(_) if !self.route.accept_v1 => Decision::Refused {
                reason: "invalid_x402_version",
            },
            Some(header) => self.decide_v1(header, options),
            None => Decision::Challenge,
        }
    }

    fn decide_v2(&self, header: &str, options: &GateOptions) -> Decision {
        let payment: Value = match decode_header_exact(header, Document::PaymentPayload) {
            Ok(v) => v,
            Err(e) => return Decision::Malformed(e),
        };
        match payment.get("x402Version").and_then(Value::as_u64) {
            Some(2) => {}
            Some(1) if self.route.accept_v1 => return self.decide_v1(header, options),
            Some(1) => {
                return Decision::Refused {
                    reason: "invalid_x402_version",
                };
            }
            _ => {
                let found = payment
                    .get("x402Version")
                    .map_or("missing".into(), Value::to_string);
                return Decision::Malformed(Error::UnsupportedVersion { found });
            }
        }
        if let Err(source) = PaymentPayload::deserialize(&payment) {
            return Decision::Malformed(Error::json(Document::PaymentPayload, source));
        }
        let is_object = |key: &str| payment.get(key).is_some_and(Value::is_object);
        if !is_object("accepted") || !is_object("payload") {
            return Decision::Malformed(Error::json(
                Document::PaymentPayload,
                <serde_json::Error as serde::de::Error>::custom(
                    "accepted and payload must be objects",
                ),
            ));
        }
        let payment_id = match self.payment_id(&payment) {
            Ok(id) => id,
            Err(reason) => return Decision::Refused { reason },
        };
        let accepted = payment.get("accepted").unwrap_or(&Value::Null);
        let Some(raw) = best_match(self.route.accepts(), accepted) else {
            let network = Network::parse(field(accepted, "network")).ok();
            let offered = self.route.accepts().iter().any(|r| {
                network
                    .as_ref()
                    .is_some_and(|n| Network::parse(field(r, "network")).is_ok_and(|m| m == *n))
            });
            return Decision::Refused {
                reason: unmatched(offered),
            };
        };
        let requirement = match Requirement::from_v2(0, raw) {
            Ok(r) => r,
            Err(_) => {
                return Decision::Refused {
                    reason: "invalid_payment_requirements",
                };
            }
        };
        let scheme = field(accepted, "scheme").to_owned();
        let decision = finish(
            2,
            payment,
            &scheme,
            &requirement.network,
            &requirement,
            raw,
            options,
        );
        match decision {
            Decision::Accepted(mut accepted) => {
                accepted.payment_id = payment_id;
                Decision::Accepted(accepted)
            }
            other => other,
        }
    }

    /// The `payment-identifier` id of a v2 payment, on a route that declares the
    /// extension (`None` elsewhere: an id nobody asked for is not looked at). One that is
    /// not 16 to 128 letters, digits, `_` or `-` is refused, and so is a payment without
    /// one where the route requires it.
    fn payment_id(&self, payment: &Value) -> Result<Option<String>, &'static str> {
        let Some(required) = self.route.payment_identifier else {
            return Ok(None);
        };
        match crate::client::payment_id_value(payment) {
            None | Some(Value::Null) if required => Err("payment_identifier_required"),
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(id)) if crate::client::is_payment_id(id) => Ok(Some(id.clone())),
            Some(_) => Err("invalid_payment_identifier"),
        }
    }

    fn decide_v1(&self, header: &str, options: &GateOptions) -> Decision {
        let payment: PaymentPayloadV1 = match decode_header_exact(header, Document::PaymentPayload)
        {
            Ok(v) => v,
            Err(e) => return Decision::Malformed(e),
        };
        if payment.x402_version != 1 {
            return Decision::Malformed(Error::UnsupportedVersion {
                found: payment.x402_version.to_string(),
            });
        }
        // A v1 payment names no requirement: the one of its scheme and network whose
        // recipient, amount (and token) its authorization carries, else the first of its
        // scheme and network; one of its transfer method (by the payload's shape) first.
        let permit2 = payment.payload.get("permit2Authorization").is_some();
        let candidates = self.route.v1_accepts().iter().filter(|r| {
            field(r, "scheme") == payment.scheme && field(r, "network") == payment.network
        });
        let paid = v1_terms(&payment.payload);
        // A payload whose terms are not read here (Solana's transaction) may pay any of them.
        let pays = |r: &&Value| {
            paid.as_ref().is_none_or(|(to, amount, token)| {
                field(r, "payTo").eq_ignore_ascii_case(to)
                    && Amount::parse(amount).is_ok_and(|paid| {
                        Amount::parse(field(r, "maxAmountRequired")).is_ok_and(|a| a == paid)
                    })
                    && token.is_none_or(|t| field(r, "asset").eq_ignore_ascii_case(t))
            })
        };
        let payment_json = serde_json::to_value(&payment).unwrap_or(Value::Null);
        let decide = |raw: &Value, options: &GateOptions| match Requirement::from_v1(0, raw) {
            Ok(requirement) => finish(
                1,
                payment_json.clone(),
                &payment.scheme,
                &requirement.network,
                &requirement,
                raw,
                options,
            ),
            Err(_) => Decision::Refused {
                reason: "invalid_payment_requirements",
            },
        };
        // An EIP-3009 authorization does not name its token (its signature's domain does),
        // and a Solana transaction's terms are read by the check: of the offers it may pay
        // (at most MAX_V1_TRIES, each costing a signature check), the first that verifies,
        // its own transfer method first. A signature that passes only as a smart account's
        // passes for any of them: one that recovers the payer under an offer's domain is
        // looked for first.
        let paying = candidates.clone().filter(pays);
        // Capped only where the terms were read (the offers are then one recipient and price):
        // a Solana payment may be for any offer of its network, each cheap to rule out.
        let cap = if paid.is_some() {
            MAX_V1_TRIES
        } else {
            usize::MAX
        };
        let ordered: Vec<&Value> = (paying.clone().filter(|r| uses_permit2(r) == permit2))
            .chain(paying.filter(|r| uses_permit2(r) != permit2))
            .take(cap)
            .collect();
        let strict = GateOptions {
            contract_signatures: false,
            ..*options
        };
        let passes: &[&GateOptions] = if options.contract_signatures && ordered.len() > 1 {
            &[&strict, options]
        } else {
            &[options]
        };
        let mut refused = None;
        for pass in passes {
            // The reason told is the last pass's (the caller's own options): a strict pass
            // refuses a smart account's signature as malformed before any other check.
            refused = None;
            for raw in &ordered {
                match decide(raw, pass) {
                    accepted @ Decision::Accepted(_) => return accepted,
                    other => {
                        refused.get_or_insert(other);
                    }
                }
            }
        }
        if let Some(refused) = refused {
            return refused;
        }
        let Some(raw) = prefer(candidates, permit2) else {
            let offered =
                (self.route.v1_accepts().iter()).any(|r| field(r, "network") == payment.network);
            return Decision::Refused {
                reason: unmatched(offered),
            };
        };
        decide(raw, options)
    }
}

fn finish(
    x402_version: u8,
    payment: Value,
    scheme: &str,
    network: &Network,
    requirement: &Requirement,
    raw: &Value,
    options: &GateOptions,
) -> Decision {
    let scheme_payload = payment.get("payload").unwrap_or(&Value::Null);
    match check_payment(scheme, network, scheme_payload, requirement, options) {
        Ok(check) => Decision::Accepted(Box::new(Accepted {
            x402_version,
            payment,
            requirement: raw.clone(),
            payer: check.payer,
            replay_key: check.replay_key,
            expires_at: check.expires_at,
            payment_id: None,
        })),
        Err(reason) => Decision::Refused { reason },
    }
}

/// How much longer than the route's `maxTimeoutSeconds` an EVM authorization may stay
/// valid (clients' clocks differ; they backdate `validAfter` by as much).
pub const VALIDITY_SLACK_SECONDS: u64 = 600;

/// A payment that verified, whatever its chain family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentCheck {
    /// The paying address (EIP-55 or base58).
    pub payer: String,
    /// The EVM authorization nonce, or the Solana payer's signature (base58).
    pub nonce: String,
    /// The key under which replays are refused.
    pub replay_key: String,
    /// Unix seconds after which the payment can no longer settle.
    pub expires_at: u64,
}

/// Verifies a scheme payload of an `exact` payment on `network` against
/// `requirement`, dispatching to the EVM or the Solana verifier.
///
/// # Errors
/// The x402 reason string of the first failed check.
pub fn check_payment(
    scheme: &str,
    network: &Network,
    scheme_payload: &Value,
    requirement: &Requirement,
    options: &GateOptions,
) -> Result<PaymentCheck, &'static str> {
    if network.is_solana() {
        // The payment's scheme, and the requirement's: only `exact` is verified here.
        if scheme != "exact" || requirement.scheme != "exact" {
            return Err("unsupported_scheme");
        }
        if *network != requirement.network {
            return Err("invalid_exact_svm_network_mismatch");
        }
        let verified = crate::svm::verify::verify_payload(scheme_payload, requirement)
            .map_err(|i| i.reason())?;
        return Ok(PaymentCheck {
            payer: verified.payer.to_string(),
            replay_key: format!("{network}/{}", verified.replay_key),
            nonce: verified.signature,
            // A blockhash lives about 150 slots (~60-90 s): keep the key 120 s.
            expires_at: options.now.saturating_add(SVM_REPLAY_SECONDS),
        });
    }
    if !network.is_evm() {
        return Err("unsupported_scheme");
    }
    let verified =
        verify(scheme, network, scheme_payload, requirement, options).map_err(|i| i.reason())?;
    // The route offered maxTimeoutSeconds: an authorization valid for much longer is not
    // what it asked for, and its replay key would be kept (a Durable Object alarm set) as long.
    let latest = options
        .now
        .saturating_add(requirement.max_timeout_seconds)
        .saturating_add(VALIDITY_SLACK_SECONDS);
    if verified.valid_before > latest {
        return Err(crate::evm::verify::Invalid::ValidBefore.reason());
    }
    let payer = verified.payer.to_checksum();
    Ok(PaymentCheck {
        replay_key: format!("{network}/{payer}/{}", verified.nonce.to_ascii_lowercase()),
        payer,
        nonce: verified.nonce,
        expires_at: verified.valid_before,
    })
}
