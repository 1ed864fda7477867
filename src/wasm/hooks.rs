//! The hooks a caller gives one call of the paying fetch (`paying(input, init, hooks)`),
//! read and checked before anything is asked or signed.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::convert::{callback, entries, read};
use super::error::invalid_argument;
use crate::client::{is_payment_id, misspelt};

/// The names of the per-call hooks.
const HOOKS: [&str; 3] = ["onPaymentRequired", "onEvent", "paymentId"];

/// Callbacks given for one call (`paying(input, init, { onPaymentRequired, onEvent,
/// paymentId })`): its approval replaces the wrapper's, its listener hears this call's
/// events too; `paymentId` is the `payment-identifier` id its payment carries.
#[derive(Default)]
pub(crate) struct Hooks {
    pub(crate) approve: Option<Function>,
    pub(crate) on_event: Option<Function>,
    pub(crate) payment_id: Option<String>,
    /// Whether this call holds `payment_id` (one call at a time pays under an id).
    pub(crate) holding: std::rc::Rc<std::cell::Cell<bool>>,
}

impl Hooks {
    /// A getter that throws is INVALID_ARGUMENT: ignoring it would drop the caller's
    /// approval for this call.
    pub(crate) fn from_js(value: &JsValue) -> Result<Self, JsValue> {
        // A misspelt `onPaymentRequired` must not let this call pay unasked: a function
        // under another name is refused; so is a near miss of a hook's name whatever it
        // holds (a `paymentID` ignored would pay a retry of the purchase again). Other
        // members, a class instance's own state, are not hooks, and are left alone.
        if value.is_object() {
            for (key, member) in entries(value, "the call's hooks")? {
                let meant = misspelt(&key, &HOOKS);
                if meant.is_some() || (member.is_function() && !HOOKS.contains(&key.as_str())) {
                    return Err(unknown_hook(&key, meant));
                }
            }
        }
        Ok(Hooks {
            approve: callback(value, "onPaymentRequired")?,
            on_event: callback(value, "onEvent")?,
            payment_id: payment_id_option(&read(value, "paymentId")?)?,
            holding: std::rc::Rc::default(),
        })
    }
}

/// The `paymentId` option (wrapFetch's per-call hooks, createPaymentPayload's options): a
/// string the `payment-identifier` extension takes, or INVALID_ARGUMENT before anything
/// is signed.
pub(crate) fn payment_id_option(value: &JsValue) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_string() {
        Some(id) if is_payment_id(&id) => Ok(Some(id)),
        _ => Err(invalid_argument(
            "paymentId must be 16 to 128 letters, digits, '_' or '-' (the payment-identifier extension)",
        )),
    }
}

/// INVALID_ARGUMENT for a member of the call's hooks that is none of them.
fn unknown_hook(key: &str, meant: Option<&str>) -> JsValue {
    let hooks = "onPaymentRequired, onEvent and paymentId";
    invalid_argument(&match meant {
        Some(meant) => {
            format!("unknown per-call hook {key}: did you mean {meant}? The hooks are {hooks}")
        }
        None => format!("unknown per-call hook {key}: the hooks are {hooks}"),
    })
}
