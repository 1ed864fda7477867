//! Errors cross to JavaScript as `Error` objects carrying a stable `code`.

use std::error::Error as _;

use js_sys::{JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::Error;

/// Converts an error to a JS `Error` with `name = "X402Error"`, `code`, and the
/// underlying cause (if any) as `cause`.
pub(crate) fn to_js(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("X402Error");
    set(&js, "code", &JsValue::from_str(error.code()));
    if let Error::BudgetExceeded {
        limit,
        remaining,
        retry_after_ms,
    } = error
    {
        // What a program needs to decide (wait, try another origin, stop) without
        // reading the message.
        let details = js_sys::Object::new();
        let _ = Reflect::set(&details, &"limit".into(), &JsValue::from_str(limit));
        let _ = Reflect::set(&details, &"remaining".into(), &JsValue::from_str(remaining));
        if let Some(ms) = retry_after_ms {
            let _ = Reflect::set(&details, &"retryAfterMs".into(), &JsValue::from(*ms as f64));
        }
        set(&js, "details", &details.into());
    }
    if let Some(source) = error.source() {
        set(
            &js,
            "cause",
            &js_sys::Error::new(&source.to_string()).into(),
        );
    }
    js.into()
}

/// A JS `Error` for a bad argument type from JavaScript (for example a number
/// where a string was required).
pub(crate) fn invalid_argument(message: &str) -> JsValue {
    coded("INVALID_ARGUMENT", message)
}

/// An `X402Error` with a code that has no crate [`Error`] variant (the wallet
/// adapters' codes, e.g. `CHAIN_NOT_AVAILABLE`).
pub(crate) fn coded(code: &str, message: &str) -> JsValue {
    let js = js_sys::Error::new(message);
    js.set_name("X402Error");
    set(&js, "code", &JsValue::from_str(code));
    js.into()
}

fn set(target: &js_sys::Error, key: &str, value: &JsValue) {
    // Setting a property on a fresh, unfrozen Error object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Converts a crate result to a JS result.
pub(crate) fn js<T>(result: crate::Result<T>) -> Result<T, JsValue> {
    result.map_err(|e| to_js(&e))
}

/// The INVALID_ARGUMENT error for a value whose reading threw (a getter, a Proxy
/// trap): "`what` could not be read", with the exception as `cause`.
pub(crate) fn unreadable(what: &str, exception: JsValue) -> JsValue {
    caused(&format!("{what} could not be read"), exception)
}

/// What wasm-bindgen throws when a method of an object whose free() was called runs.
const FREED: &str = "null pointer passed to rust";

/// INVALID_ARGUMENT (USED_AFTER_FREE for a freed wallet's getter; an X402Error's own
/// code, such as the package's guarded getters throw): `context`, the exception's
/// message, and the exception as `cause`.
pub(crate) fn caused(context: &str, exception: JsValue) -> JsValue {
    let message = message_of(&exception);
    let error = match code_of(&exception).filter(|_| is_x402_error(&exception)) {
        Some(code) => coded(&code, &format!("{context}: {message}")),
        None if message == FREED => coded(
            "USED_AFTER_FREE",
            &format!("{context}: a wallet (or other x402-wasm object) was used after its free()"),
        ),
        None => invalid_argument(&format!("{context}: {message}")),
    };
    let _ = Reflect::set(&error, &JsValue::from_str("cause"), &exception);
    error
}

/// The start of an exception's message (it may be anything, of any size).
fn message_of(exception: &JsValue) -> String {
    let message = Reflect::get(exception, &JsValue::from_str("message"))
        .ok()
        .filter(JsValue::is_string)
        .unwrap_or_else(|| exception.clone());
    match message.dyn_ref::<JsString>() {
        Some(text) if text.length() > 200 => format!("{}...", String::from(text.slice(0, 200))),
        Some(text) => String::from(text),
        None => "(not an Error)".to_owned(),
    }
}

/// The codes a wallet's failure keeps (the adapters' vocabulary, README "Error codes").
const WALLET_CODES: [&str; 17] = [
    "USER_REJECTED",
    "SIGNER_MISMATCH",
    "INVALID_TYPED_DATA",
    "INVALID_SOLANA_REQUIREMENT",
    "UNSUPPORTED_NETWORK",
    "WALLET_ERROR",
    "WALLET_UNSUPPORTED",
    "WALLET_UNAUTHORIZED",
    "WALLET_ACCOUNT_UNAVAILABLE",
    "CHAIN_NOT_AVAILABLE",
    "TRANSACTION_FAILED",
    "TRANSACTION_TIMEOUT",
    "INVALID_ARGUMENT",
    "INVALID_TRANSACTION",
    "WALLET_ALTERED_TRANSACTION",
    "RPC_ERROR",
    "USED_AFTER_FREE",
];

/// A wallet's failure keeps its own code when it is one of [`WALLET_CODES`] (e.g.
/// USER_REJECTED from an adapter); ethers' ACTION_REJECTED and EIP-1193's 4001 (a
/// user's refusal) become USER_REJECTED, 4100 WALLET_UNAUTHORIZED; anything else
/// becomes WALLET_ERROR. Both keep the original as `cause`.
/// An error that is already an X402Error (the package's adapters throw them) is kept;
/// another with one of those codes becomes one, so that every coded rejection is an
/// X402Error (JS converts only those, never a caller's own coded error).
pub(crate) fn wallet_error(error: JsValue) -> JsValue {
    let raw_code = Reflect::get(&error, &JsValue::from_str("code")).ok();
    let code = raw_code.as_ref().and_then(JsValue::as_string);
    let message = Reflect::get(&error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string());
    if let Some(kept) = code.as_deref().filter(|c| WALLET_CODES.contains(c)) {
        if is_x402_error(&error) {
            return error;
        }
        let wrapped = coded(kept, message.as_deref().unwrap_or("the wallet failed"));
        let _ = Reflect::set(&wrapped, &JsValue::from_str("cause"), &error);
        return wrapped;
    }
    // A provider's error passed through an adapter of the caller's own: EIP-1193's 4001
    // (the user refused) and 4100 (the account is not authorised), as eip1193Wallet reads them.
    let numeric = raw_code.as_ref().and_then(JsValue::as_f64);
    let code = match (code.as_deref(), numeric) {
        (Some("ACTION_REJECTED"), _) | (_, Some(4001.0)) => "USER_REJECTED",
        (_, Some(4100.0)) => "WALLET_UNAUTHORIZED",
        _ => "WALLET_ERROR",
    };
    let message = message.unwrap_or_else(|| "the wallet failed".to_owned());
    let wrapped = coded(code, &format!("wallet error: {message}"));
    let _ = Reflect::set(&wrapped, &JsValue::from_str("cause"), &error);
    wrapped
}

/// Whether a thrown value is an X402Error (the core's, or the package's JS class).
pub(crate) fn is_x402_error(error: &JsValue) -> bool {
    Reflect::get(error, &JsValue::from_str("name")).is_ok_and(|name| name == "X402Error")
}

/// The string `code` of a thrown value (an X402Error's), if it has one.
pub(crate) fn code_of(error: &JsValue) -> Option<String> {
    Reflect::get(error, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
}

/// A signature by another key than the wallet's address, whose account could not be
/// checked for code (a smart account may sign so): SIGNER_MISMATCH, or RPC_ERROR when
/// the JSON-RPC read failed (it may work when tried again); the message says both, and
/// the failure is `cause`.
pub(crate) fn unchecked_account(refused: &crate::error::Error, failure: JsValue) -> JsValue {
    let code = match code_of(&failure).as_deref() {
        Some("RPC_ERROR") => "RPC_ERROR",
        _ => refused.code(),
    };
    let reason = message_of(&failure);
    let error = coded(
        code,
        &format!("{refused}; whether that address is a smart account could not be read: {reason}"),
    );
    let _ = Reflect::set(&error, &JsValue::from_str("cause"), &failure);
    error
}
