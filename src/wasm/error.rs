//! Errors cross to JavaScript as `Error` objects carrying a stable `code`.

use std::error::Error as _;

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::error::Error;

/// Converts an error to a JS `Error` with `name = "X402Error"`, `code`, and the
/// underlying cause (if any) as `cause`.
pub(crate) fn to_js(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("X402Error");
    set(&js, "code", &JsValue::from_str(error.code()));
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
