//! Reading response headers from JS: a `Headers` object (anything with a `get`
//! method) or a plain record of names to values.

use std::cell::RefCell;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::error::{invalid_argument, unreadable};
use crate::dialect::HeaderSource;

/// Headers held by a JS value.
pub(crate) struct JsHeaders {
    getter: Option<Function>,
    target: JsValue,
    /// The first read that failed (a `get` that threw or answered neither a string nor
    /// null, a member that is not a string): the caller's headers are not what they
    /// should be, which a missing header would hide.
    failure: RefCell<Option<JsValue>>,
}

impl JsHeaders {
    pub(crate) fn new(target: JsValue) -> Self {
        let getter = Reflect::get(&target, &JsValue::from_str("get"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        JsHeaders {
            getter,
            target,
            failure: RefCell::new(None),
        }
    }

    /// The INVALID_ARGUMENT error of the first read that failed, if one did.
    pub(crate) fn failure(&self) -> Option<JsValue> {
        self.failure.borrow_mut().take()
    }

    fn failed(&self, error: impl FnOnce() -> JsValue) -> Option<String> {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(error());
        }
        None
    }

    /// A header's value as read: a string, none (`null`, `undefined`), or a failure.
    fn value(&self, name: &str, value: JsValue) -> Option<String> {
        if value.is_null() || value.is_undefined() {
            return None;
        }
        value
            .as_string()
            .or_else(|| self.failed(|| invalid_argument(&format!("header {name} is not a string"))))
    }
}

impl HeaderSource for JsHeaders {
    fn header(&self, name: &str) -> Option<String> {
        if let Some(get) = &self.getter {
            return match get.call1(&self.target, &JsValue::from_str(name)) {
                Ok(value) => self.value(name, value),
                Err(e) => self.failed(|| unreadable("headers", e)),
            };
        }
        let record = self.target.dyn_ref::<Object>()?;
        Object::entries(record).iter().find_map(|entry| {
            let key = Reflect::get_u32(&entry, 0).ok()?.as_string()?;
            if key.eq_ignore_ascii_case(name) {
                let value = Reflect::get_u32(&entry, 1).ok()?;
                Some(self.value(name, value))
            } else {
                None
            }
        })?
    }
}
