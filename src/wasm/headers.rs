//! Reading response headers from JS: a `Headers` object (anything with a `get`
//! method) or a plain record of names to values.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::dialect::HeaderSource;

/// Headers held by a JS value.
pub(crate) struct JsHeaders {
    getter: Option<Function>,
    target: JsValue,
}

impl JsHeaders {
    pub(crate) fn new(target: JsValue) -> Self {
        let getter = Reflect::get(&target, &JsValue::from_str("get"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        JsHeaders { getter, target }
    }
}

impl HeaderSource for JsHeaders {
    fn header(&self, name: &str) -> Option<String> {
        if let Some(get) = &self.getter {
            return get
                .call1(&self.target, &JsValue::from_str(name))
                .ok()?
                .as_string();
        }
        let record = self.target.dyn_ref::<Object>()?;
        Object::entries(record).iter().find_map(|entry| {
            let key = Reflect::get_u32(&entry, 0).ok()?.as_string()?;
            if key.eq_ignore_ascii_case(name) {
                Reflect::get_u32(&entry, 1).ok()?.as_string()
            } else {
                None
            }
        })
    }
}
