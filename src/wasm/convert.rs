//! Converting between JS values and JSON: BigInts become decimal strings on the way
//! in, and typed data gets BigInts for its integer fields on the way out (the viem
//! convention wallets expect).

use js_sys::{Array, BigInt, Object, Reflect};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

use super::error::invalid_argument;
use crate::evm::TypedData;

const MAX_DEPTH: usize = 64;

/// A JS value as JSON. `undefined` members are dropped, BigInts become decimal
/// strings, integral numbers stay integers. Functions and symbols are refused.
pub(crate) fn js_to_json(value: &JsValue) -> Result<Value, JsValue> {
    to_json(value, 0)
}

fn to_json(value: &JsValue, depth: usize) -> Result<Value, JsValue> {
    if depth > MAX_DEPTH {
        return Err(invalid_argument("value is nested too deeply"));
    }
    if value.is_null() || value.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(s) = value.as_string() {
        return Ok(Value::String(s));
    }
    if let Some(n) = value.as_f64() {
        return number(n);
    }
    if value.is_bigint() {
        let text = BigInt::unchecked_from_js_ref(value)
            .to_string(10)
            .map_err(|_| invalid_argument("unprintable BigInt"))?;
        return Ok(Value::String(String::from(text)));
    }
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        return array
            .iter()
            .map(|item| to_json(&item, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    if value.is_function() || value.is_symbol() {
        return Err(invalid_argument("functions and symbols are not data"));
    }
    if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(Value::String(format!("0x{}", hex::encode(bytes.to_vec()))));
    }
    let object: &Object = value.unchecked_ref();
    let mut map = Map::new();
    for entry in Object::entries(object).iter() {
        let key = Reflect::get_u32(&entry, 0)?.as_string().unwrap_or_default();
        let item = Reflect::get_u32(&entry, 1)?;
        // Like JSON.stringify: undefined and function members are left out.
        if !item.is_undefined() && !item.is_function() {
            map.insert(key, to_json(&item, depth + 1)?);
        }
    }
    Ok(Value::Object(map))
}

fn number(n: f64) -> Result<Value, JsValue> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    if n.fract() == 0.0 && n.abs() <= SAFE {
        // Exact: |n| <= 2^53 - 1 and integral.
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        return Ok(Value::Number(Number::from(i)));
    }
    Number::from_f64(n)
        .map(Value::Number)
        .ok_or_else(|| invalid_argument("NaN or Infinity is not JSON"))
}

/// JSON as a plain JS value (objects, not Maps).
pub(crate) fn json_to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| invalid_argument(&e.to_string()))
}

/// Typed data for a JS wallet's `signTypedData`: the integer members of the message
/// (`uintN` / `intN`, nested structs included) as BigInts.
pub(crate) fn typed_data_to_js(typed: &TypedData) -> Result<JsValue, JsValue> {
    let js = json_to_js(&serde_json::json!({
        "domain": typed.domain,
        "types": typed.types,
        "primaryType": typed.primary_type,
        "message": typed.message,
    }))?;
    let message = Reflect::get(&js, &JsValue::from_str("message"))?;
    bigints(typed, &typed.primary_type, &message, 0)?;
    Ok(js)
}

fn bigints(typed: &TypedData, ty: &str, target: &JsValue, depth: usize) -> Result<(), JsValue> {
    let Some(fields) = typed.types.get(ty) else {
        return Ok(());
    };
    if depth > MAX_DEPTH {
        return Err(invalid_argument("typed data nested too deeply"));
    }
    for field in fields {
        let key = JsValue::from_str(&field.name);
        let value = Reflect::get(target, &key)?;
        if field.ty.starts_with("uint") || field.ty.starts_with("int") {
            if let Some(text) = value.as_string() {
                let big = BigInt::new(&JsValue::from_str(&text))?;
                Reflect::set(target, &key, &big)?;
            }
        } else if typed.types.contains_key(&field.ty) {
            bigints(typed, &field.ty, &value, depth + 1)?;
        }
    }
    Ok(())
}
