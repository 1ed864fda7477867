//! The wallets of a paying fetch: what each adapter can do, read once when the
//! paying fetch is made, and which of them can pay a requirement.

use wasm_bindgen::prelude::*;

use super::convert::{items, method, read};
use super::error::invalid_argument;
use super::fetch::Inner;
use super::rpc::rpc_url_for;
use crate::dialect::{FACILITATOR_SCHEME, Requirement, TRANSFER_SCHEME};
use crate::protocol::Network;

pub(super) struct Wallet {
    kind: String,
    pub(super) adapter: JsValue,
    /// One of the package's wallets (key wallets, eip1193Wallet, viemWallet,
    /// solanaWallet): only their error codes are trusted to say that a transfer the
    /// wallet was asked to send was not sent. Any other adapter's failure keeps the
    /// budget reservation.
    pub(super) own: bool,
    /// It has what an `exact` payment needs (signTypedData, signTransaction).
    can_sign: bool,
    /// It can send a transfer itself (sendTransaction). A Solana wallet without it
    /// only signs, and the transfer is submitted here.
    pub(super) can_send: bool,
    /// It can read a transaction's receipt (getTransactionReceipt): an EVM transfer's
    /// proof needs it when `options.rpc` has no URL for the chain.
    reads_receipts: bool,
    /// The networks it pays on, when it says (`networks`: a smart account is bound to
    /// its chain); `None` for every network of its family.
    networks: Option<Vec<Network>>,
}

impl Wallet {
    /// Reads what `adapter` can do.
    pub(super) fn new(adapter: JsValue) -> Result<Self, JsValue> {
        let signs_typed_data = method(&adapter, "signTypedData")?.is_some();
        let kind = read(&adapter, "kind")?
            .as_string()
            .unwrap_or_else(|| if signs_typed_data { "evm" } else { "solana" }.into());
        // Refused now, not after the user approved a payment it cannot make. `address` is
        // looked for, not read: its getter may fail until the wallet is connected. (An
        // entry that is no object, a `null` hole, is no wallet: never chosen.)
        let has_address = || js_sys::Reflect::has(&adapter, &"address".into()).unwrap_or(false);
        if adapter.is_object() && !has_address() && method(&adapter, "getAddress")?.is_none() {
            return Err(invalid_argument(
                "a wallet needs an address (a string) or getAddress()",
            ));
        }
        let can_sign = match kind.as_str() {
            "evm" => signs_typed_data,
            _ => method(&adapter, "signTransaction")?.is_some(),
        };
        Ok(Wallet {
            networks: networks(&read(&adapter, "networks")?)?,
            can_sign,
            can_send: method(&adapter, "sendTransaction")?.is_some(),
            reads_receipts: method(&adapter, "getTransactionReceipt")?.is_some(),
            own: super::wallet::own_adapter(&adapter)?,
            kind,
            adapter,
        })
    }

    /// Whether it pays on `network` (every network of its family unless it says).
    fn serves(&self, network: &Network) -> bool {
        self.networks
            .as_ref()
            .is_none_or(|list| list.contains(network))
    }
}

/// An adapter's `networks`: absent (`undefined` or `null`), or a list of networks,
/// CAIP-2 or x402 v1 names (as `policy.prefer.networks` takes them); anything else is
/// INVALID_ARGUMENT.
fn networks(value: &JsValue) -> Result<Option<Vec<Network>>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let wrong = |what: &str| {
        invalid_argument(&format!(
            "a wallet's networks must be a list of networks (CAIP-2, e.g. eip155:8453): {what}"
        ))
    };
    if !js_sys::Array::is_array(value) {
        return Err(wrong("not a list"));
    }
    items(value, 1_000)?
        .iter()
        .map(|item| {
            let text = item
                .as_string()
                .ok_or_else(|| wrong("an entry is not a string"))?;
            Network::parse(&text).map_err(|_| wrong(&format!("{text:?} is no network")))
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

impl Inner {
    /// The wallet family of a requirement, and what a wallet of it needs to pay it:
    /// whether a wallet can, and the method named when none can.
    fn needs(requirement: &Requirement) -> Option<Need> {
        let kind = match requirement.network.namespace() {
            "eip155" => "evm",
            "solana" => "solana",
            _ => return None,
        };
        let (can, method): (fn(&Wallet) -> bool, _) = match (requirement.scheme.as_str(), kind) {
            ("exact", "evm") => (|w| w.can_sign, "signTypedData"),
            ("exact", _) => (|w| w.can_sign, "signTransaction"),
            (TRANSFER_SCHEME, "evm") => (
                |w| w.can_send,
                "sendTransaction (evmPrivateKeyWallet, eip1193Wallet, or viemWallet with a WalletClient)",
            ),
            // A Solana transfer may be signed here and submitted over RPC.
            (TRANSFER_SCHEME, _) => (
                |w| w.can_send || w.can_sign,
                "sendTransaction or signTransaction",
            ),
            (FACILITATOR_SCHEME, _) => (|_| true, "an address"),
            _ => return None,
        };
        Some(Need {
            kind,
            can,
            method,
            receipts: requirement.scheme == TRANSFER_SCHEME && kind == "evm",
        })
    }

    /// Whether `wallet` can make a payment that needs `need`. An EVM transfer's proof
    /// waits for its receipt: from `options.rpc`, else from the wallet. Without either
    /// the wallet is not asked, since its transfer would go out with no proof to follow.
    fn able(&self, need: &Need, wallet: &Wallet, requirement: &Requirement) -> bool {
        wallet.kind == need.kind
            && wallet.serves(&requirement.network)
            && (need.can)(wallet)
            && (!need.receipts
                || wallet.reads_receipts
                || rpc_url_for(&self.rpc, &requirement.network).is_some())
    }

    /// The first wallet of the requirement's family that can make this payment: one
    /// that cannot is not asked (and not chosen) only to fail after the approval.
    pub(super) fn wallet_for(&self, requirement: &Requirement) -> Option<&Wallet> {
        let need = Self::needs(requirement)?;
        self.wallets
            .iter()
            .find(|w| self.able(&need, w, requirement))
    }

    /// The method a requirement needs when only wallets unable to pay it could take
    /// it (WALLET_UNSUPPORTED, before anyone is asked to approve).
    pub(super) fn missing_method(&self, requirement: &Requirement) -> Option<&'static str> {
        let need = Self::needs(requirement)?;
        let family: Vec<_> = self
            .wallets
            .iter()
            .filter(|w| w.kind == need.kind && w.serves(&requirement.network))
            .collect();
        if family.is_empty() || family.iter().any(|w| self.able(&need, w, requirement)) {
            return None;
        }
        let sends = need.receipts && family.iter().any(|w| (need.can)(w));
        Some(if sends {
            "getTransactionReceipt (or an options.rpc URL for the chain)"
        } else {
            need.method
        })
    }
}

/// What a requirement asks of a wallet: its family, whether a wallet can pay it, and
/// the method named when none can.
struct Need {
    kind: &'static str,
    can: fn(&Wallet) -> bool,
    method: &'static str,
    /// The payment's proof needs the transaction's receipt (an EVM transfer).
    receipts: bool,
}
