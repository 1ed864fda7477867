//! Reading the caller's JS values, and converting between JS values and JSON: BigInts
//! become decimal strings on the way in (typed data for a wallet gets its BigInts back
//! in wallet.rs).
//!
//! A caller's value is read only through imports declared with `catch` (`Reflect`,
//! `Object.keys`): a throwing getter or Proxy trap is an INVALID_ARGUMENT error,
//! not a JS exception unwinding through wasm frames (inside an async export such an
//! exception escaped in a microtask, and Node exited). Sizes are checked before
//! anything is copied or reserved. [`super::guarded`] catches whatever is left.

use js_sys::{Array, Function, JsString, Reflect, Uint8Array};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

pub(crate) use super::error::unreadable;
use super::error::{caused, invalid_argument};

/// Array elements and object members in one converted value, all levels together.
pub(crate) const MAX_ELEMENTS: u32 = 100_000;
/// Bytes of text (strings, keys, BigInts, the hex of byte arrays) in one converted value
/// (UTF-16 units of escaped text in json.js).
const MAX_TEXT: u32 = 4 << 20;
/// Bytes of one `Uint8Array` inside a converted value.
const MAX_BYTES: u32 = 1 << 20;

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, which throws for a revoked Proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array_or_throw(value: &JsValue) -> Result<bool, JsValue>;

    /// `Object.keys`: own enumerable string keys, as `Object.entries` lists them (a
    /// Proxy trap can throw).
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn keys_or_throw(object: &JsValue) -> Result<Array, JsValue>;

}

/// A string argument, or INVALID_ARGUMENT naming it (wasm-bindgen's own `&str`
/// conversion does not check, and a number there corrupts the allocator).
pub(crate) fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid_argument(&format!("{name} must be a string")))
}

/// A whole-number argument from 0 to `max`, or INVALID_ARGUMENT naming it (never
/// wrapped around, as wasm-bindgen's integer conversions do).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn whole_arg(value: &JsValue, name: &str, max: u16) -> Result<u16, JsValue> {
    value
        .as_f64()
        .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(max)).contains(n))
        .map(|n| n as u16)
        .ok_or_else(|| invalid_argument(&format!("{name} must be a whole number from 0 to {max}")))
}

/// `target[key]`; `undefined` when `target` is not an object. A getter or Proxy trap
/// that throws is INVALID_ARGUMENT.
pub(crate) fn read(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if !target.is_object() && !target.is_function() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(target, &JsValue::from_str(key)).map_err(|e| unreadable(key, e))
}

/// `target[key]` when it is a function.
pub(crate) fn method(target: &JsValue, key: &str) -> Result<Option<Function>, JsValue> {
    Ok(read(target, key)?.dyn_into::<Function>().ok())
}

/// An optional callback option: `undefined` or `null` is none, a function is it, and
/// anything else is INVALID_ARGUMENT (an `onPaymentRequired: false` must not read as
/// "no approval asked", and pay).
pub(crate) fn callback(target: &JsValue, key: &str) -> Result<Option<Function>, JsValue> {
    let value = read(target, key)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| invalid_argument(&format!("{key} must be a function")))
}

/// `Array.isArray(value)`, catching.
pub(crate) fn is_array(value: &JsValue) -> Result<bool, JsValue> {
    if !value.is_object() {
        return Ok(false);
    }
    is_array_or_throw(value).map_err(|e| unreadable("an array", e))
}

/// An array's `length` (`is_array` was checked), read with a catching import.
pub(crate) fn array_length(array: &JsValue) -> Result<u32, JsValue> {
    Budget::new(u32::MAX).elements_of(array)
}

/// The items of an array (`is_array` was checked); more than `limit` is INVALID_ARGUMENT.
pub(crate) fn items(array: &JsValue, limit: u32) -> Result<Vec<JsValue>, JsValue> {
    let len = Budget::new(limit).elements_of(array)?;
    (0..len)
        .map(|i| Reflect::get_u32(array, i).map_err(|e| unreadable("an array item", e)))
        .collect()
}

/// The own enumerable string-keyed members of an object (`what` names it in errors),
/// as `Object.entries` lists them; more than 100,000 is INVALID_ARGUMENT.
pub(crate) fn entries(object: &JsValue, what: &str) -> Result<Vec<(String, JsValue)>, JsValue> {
    entries_within(object, what, &mut Budget::new(MAX_ELEMENTS))
}

fn entries_within(
    object: &JsValue,
    what: &str,
    budget: &mut Budget,
) -> Result<Vec<(String, JsValue)>, JsValue> {
    // The keys `Object.entries` would list, counted before any member is read.
    let keys = keys_or_throw(object).map_err(|e| unreadable(what, e))?;
    budget.elements(keys.length())?;
    let mut out = Vec::new();
    for key in keys.iter() {
        let value = Reflect::get(object, &key).map_err(|e| unreadable(what, e))?;
        out.push((budget.text(key.unchecked_ref::<JsString>())?, value));
    }
    Ok(out)
}

/// The first own member of `object` (`what` names it in errors) that is a function
/// under a name `known` does not list: a misspelt callback, which a conversion to JSON
/// would drop (functions are not data) rather than refuse. Other members are left alone.
pub(crate) fn stray_function(
    object: &JsValue,
    known: &[&str],
    what: &str,
) -> Result<Option<String>, JsValue> {
    if !object.is_object() {
        return Ok(None);
    }
    Ok(entries(object, what)?
        .into_iter()
        .find(|(key, member)| member.is_function() && !known.contains(&key.as_str()))
        .map(|(key, _)| key))
}

/// What one conversion may still take.
struct Budget {
    limit: u32,
    elements: u32,
    text: usize,
}

impl Budget {
    fn new(limit: u32) -> Self {
        Budget {
            limit,
            elements: limit,
            text: MAX_TEXT as usize,
        }
    }

    fn elements(&mut self, count: u32) -> Result<(), JsValue> {
        self.elements = self.elements.checked_sub(count).ok_or_else(|| {
            invalid_argument(&format!(
                "value has more than {} array items and object members",
                self.limit
            ))
        })?;
        Ok(())
    }

    /// An array's `length` (a sparse array's too), taken from the budget.
    fn elements_of(&mut self, array: &JsValue) -> Result<u32, JsValue> {
        let len = Reflect::get(array, &JsValue::from_str("length"))
            .map_err(|e| unreadable("an array's length", e))?
            .as_f64()
            .unwrap_or(0.0);
        // Only a Proxy can say something else than 0..2^32: over u32::MAX is more
        // than any budget, not a number is empty.
        let len = u32::try_from(len as u64).unwrap_or(u32::MAX);
        self.elements(len)?;
        Ok(len)
    }

    fn take_text(&mut self, bytes: usize) -> Result<(), JsValue> {
        self.text = self.text.checked_sub(bytes).ok_or_else(|| {
            invalid_argument(&format!("value holds more than {MAX_TEXT} bytes of text"))
        })?;
        Ok(())
    }

    /// A JS string, copied only once its length fits (UTF-8 has at least as many
    /// bytes as UTF-16 has units).
    fn text(&mut self, text: &JsString) -> Result<String, JsValue> {
        let units = usize::try_from(text.length()).unwrap_or(usize::MAX);
        if units > self.text {
            self.take_text(units)?;
        }
        let text = String::from(text);
        self.take_text(text.len())?;
        Ok(text)
    }
}

/// A `Uint8Array`'s length, read with a catching import (an own `length` property
/// can throw, or lie: see `bytes_of`).
pub(crate) fn length_of(array: &Uint8Array) -> Result<usize, JsValue> {
    // A JS argument typed `Uint8Array` is not checked by wasm-bindgen: `{}` or `null`
    // would read as a length of infinity (or fail in `Reflect.get`), a DataView too, and
    // another typed array would be cut to bytes. Its tag, not `instanceof`: one from
    // another realm (an iframe's) is a Uint8Array as well.
    let tag = Reflect::get(array, &js_sys::Symbol::to_string_tag()).ok();
    if !js_sys::ArrayBuffer::is_view(array)
        || tag.and_then(|t| t.as_string()).as_deref() != Some("Uint8Array")
    {
        let got = match array.is_null() {
            true => "null".to_owned(),
            false => array.js_typeof().as_string().unwrap_or_default(),
        };
        return Err(invalid_argument(&format!(
            "expected a Uint8Array, got {got}"
        )));
    }
    let len = Reflect::get(array, &JsValue::from_str("length"))
        .map_err(|e| unreadable("a Uint8Array's length", e))?
        .as_f64()
        .unwrap_or(f64::INFINITY);
    // Saturating: NaN is 0, anything over usize::MAX is usize::MAX.
    Ok(len as usize)
}

/// The bytes of a `Uint8Array` when it holds at most `limit`; `None` when it holds more.
/// `Uint8Array::to_vec` reserves the whole length first: 2^31 bytes or more is a
/// capacity-overflow panic, and less can still exhaust wasm memory. The bytes come
/// from a fresh JS copy, whose length is its own: a `length` property that lies, or a
/// detached buffer, cannot make the copy panic or throw.
pub(crate) fn bytes_of(array: &Uint8Array, limit: usize) -> Result<Option<Vec<u8>>, JsValue> {
    if length_of(array)? > limit {
        return Ok(None);
    }
    let constructor = Uint8Array::new_with_length(0).constructor();
    let copy: Uint8Array = Reflect::construct(&constructor, &Array::of1(array))
        .map_err(|e| unreadable("a Uint8Array", e))?
        .unchecked_into();
    if usize::try_from(copy.length()).is_ok_and(|len| len <= limit) {
        let bytes = copy.to_vec();
        // The copy may hold a secret key: it does not stay in the JS heap.
        copy.fill(0, 0, copy.length());
        return Ok(Some(bytes));
    }
    Ok(None)
}

/// The bytes of a `Uint8Array` for a reader that refuses more than `limit` bytes (a
/// transaction parser, a key or signature decoder), which all check the length before
/// anything else. An array over the limit is not copied: the reader gets `limit + 1`
/// zero bytes instead, and refuses them with the error it gives any over-long input.
pub(crate) fn bytes_for(array: &Uint8Array, limit: usize) -> Result<Vec<u8>, JsValue> {
    Ok(bytes_of(array, limit)?.unwrap_or_else(|| vec![0; limit.saturating_add(1)]))
}

#[wasm_bindgen(module = "/src/wasm/json.js")]
extern "C" {
    /// The walk of `js_to_json`, in JS: the JSON text, or `{ refused: message }`. What
    /// the value throws while it is read is thrown on (and caught here).
    #[wasm_bindgen(catch, js_name = jsonText)]
    fn json_text(
        value: &JsValue,
        max_elements: u32,
        max_text: u32,
        max_bytes: u32,
    ) -> Result<JsValue, JsValue>;
}

/// A JS value as JSON. `undefined` members are dropped, BigInts become decimal
/// strings, a `Uint8Array` becomes 0x-prefixed hex, integral numbers stay integers.
/// Functions and symbols are refused, and so is a value over 100,000 array items and
/// object members, 64 levels, or 4 MiB of text (the rules are in `json.js`, which
/// walks the value in one call: one call per member cost a createPaymentPayload 10 µs).
pub(crate) fn js_to_json(value: &JsValue) -> Result<Value, JsValue> {
    let out = json_text(value, MAX_ELEMENTS, MAX_TEXT, MAX_BYTES)
        .map_err(|e| unreadable("a member of the value", e))?;
    let (text, floats) = match out.as_string() {
        Some(text) => (text, Vec::new()),
        None if Array::is_array(&out) => {
            let part = |i| Reflect::get_u32(&out, i).unwrap_or_default();
            let floats = js_sys::Float64Array::from(part(1)).to_vec();
            (part(0).as_string().unwrap_or_default(), floats)
        }
        None => {
            let refused = read(&out, "refused")?.as_string();
            return Err(invalid_argument(
                refused.as_deref().unwrap_or("value is not JSON data"),
            ));
        }
    };
    let mut json = serde_json::from_str(&text)
        .map_err(|e| invalid_argument(&format!("value is not JSON: {e}")))?;
    let mut floats = floats.into_iter();
    put_floats(&mut json, &mut floats);
    Ok(json)
}

/// Puts back, in document order, the numbers json.js passed aside (written as -0.0):
/// each exactly the double the caller gave.
fn put_floats(value: &mut Value, floats: &mut std::vec::IntoIter<f64>) {
    if floats.len() == 0 {
        return;
    }
    match value {
        Value::Number(n) if n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()) => {
            if let Some(exact) = floats.next().and_then(serde_json::Number::from_f64) {
                *n = exact;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| put_floats(item, floats)),
        Value::Object(members) => members.values_mut().for_each(|v| put_floats(v, floats)),
        _ => {}
    }
}

/// JSON as a plain JS value (objects, not Maps): serialised here, parsed by
/// `JSON.parse` (one string crosses instead of one call per member; `__proto__` stays
/// an own member). An integer beyond 2^53 is refused: the value would not be what it
/// says (a payload passed on, a decision).
pub(crate) fn json_to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    serialized_to_js(
        value,
        Some(&|integer| invalid_argument(&crate::protocol::inexact_message(integer))),
    )
}

/// [`json_to_js`] for what the caller only reads (a challenge's view, an event): an
/// integer beyond 2^53 is rounded, as `JSON.parse` rounds it.
pub(crate) fn view_to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    serialized_to_js(value, None)
}

/// JSON text of `value` parsed by `JSON.parse`; an integer `JSON.parse` would round is
/// refused with `inexact`'s error, or rounded without one.
fn serialized_to_js<T: Serialize + ?Sized>(
    value: &T,
    inexact: Option<&dyn Fn(&str) -> JsValue>,
) -> Result<JsValue, JsValue> {
    // Room for a payment payload without growing the buffer.
    let mut text = Vec::with_capacity(1024);
    serde_json::to_writer(&mut text, value).map_err(|e| invalid_argument(&e.to_string()))?;
    let text = String::from_utf8(text).map_err(|e| invalid_argument(&e.to_string()))?;
    if let Some(refuse) = inexact
        && let Some(integer) = crate::protocol::inexact_integer(&text)
    {
        return Err(refuse(integer));
    }
    js_sys::JSON::parse(&text).map_err(|e| caused("JSON.parse", e))
}
