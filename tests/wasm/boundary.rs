//! The JS boundary, exercised from JavaScript values: headers built in JS decode,
//! and failures arrive in JS as `Error` objects with a stable `code`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;
use x402_wasm::wasm::{decode_header, encode_payment_header, recognize_payment_required};

fn js_fn(args: &str, body: &str) -> Function {
    Function::new_with_args(args, body)
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| {
        Reflect::get(&v, &key.into()).unwrap()
    })
}

/// Calls `f` from JavaScript inside try/catch and returns what JS caught.
fn caught_in_js(f: impl Fn() -> Result<JsValue, JsValue> + 'static) -> JsValue {
    let closure = Closure::<dyn Fn() -> Result<JsValue, JsValue>>::new(f);
    let catcher = js_fn("f", "try { f(); return null; } catch (e) { return e; }");
    catcher.call1(&JsValue::NULL, closure.as_ref()).unwrap()
}

#[wasm_bindgen_test]
fn a_header_built_in_js_decodes() {
    // JS builds the header the way a server would (ASCII JSON, so btoa is safe here).
    let header = js_fn(
        "",
        r#"return btoa(JSON.stringify({x402Version: 2, resource: {url: "https://a.example/x"},
            accepts: [{scheme: "exact", network: "eip155:84532", amount: "10000",
            asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
            payTo: "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", maxTimeoutSeconds: 60,
            extra: {name: "USDC", version: "2"}}]}));"#,
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let decoded = decode_header(&header.as_string().unwrap(), "PaymentRequired").unwrap();
    assert_eq!(get(&decoded, "resource.url"), "https://a.example/x");
    let headers = js_fn("h", "return new Map([['PAYMENT-REQUIRED', h]]);")
        .call1(&JsValue::NULL, &header)
        .unwrap();
    // A Map has get(), as Headers does, but is case-sensitive: use a Headers-like shim.
    let headers = js_fn(
        "m",
        "return { get: (n) => m.get(n.toUpperCase()) ?? null };",
    )
    .call1(&JsValue::NULL, &headers)
    .unwrap();
    let challenge = recognize_payment_required(402, headers, JsValue::from_str("")).unwrap();
    assert_eq!(get(&challenge, "dialect"), "x402-v2-header");
    assert_eq!(get(&challenge, "paymentHeader"), "PAYMENT-SIGNATURE");
    let requirement = Reflect::get_u32(&get(&challenge, "requirements"), 0).unwrap();
    assert_eq!(get(&requirement, "network"), "eip155:84532");
    assert_eq!(get(&requirement, "amount"), "10000");
    assert_eq!(get(&requirement, "maxTimeoutSeconds").as_f64(), Some(60.0));
    assert_eq!(get(&requirement, "raw.extra.version"), "2");
}

#[wasm_bindgen_test]
fn a_malformed_header_is_a_coded_error_caught_in_js() {
    let error = caught_in_js(|| decode_header("!!!", "PaymentRequired"));
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&error, "name"), "X402Error");
    assert_eq!(get(&error, "code"), "INVALID_HEADER");
    assert!(get(&error, "cause").is_instance_of::<js_sys::Error>());

    let huge = "A".repeat(40_000);
    let error = caught_in_js(move || decode_header(&huge, "PaymentPayload"));
    assert_eq!(get(&error, "code"), "HEADER_TOO_LARGE");
}

#[wasm_bindgen_test]
fn recognition_errors_and_argument_errors_are_coded() {
    let body = r#"{"x402Version":2,"accepts":[{"scheme":"exact","network":"eip155:1","amount":"1e3",
        "asset":"0xA","payTo":"0xB","maxTimeoutSeconds":1}]}"#;
    let headers = js_sys::Object::new();
    let error = caught_in_js(move || {
        recognize_payment_required(402, headers.clone().into(), JsValue::from_str(body))
    });
    assert_eq!(get(&error, "code"), "INVALID_AMOUNT");

    let error =
        caught_in_js(|| recognize_payment_required(402, js_sys::Object::new().into(), 5.into()));
    assert_eq!(get(&error, "code"), "INVALID_ARGUMENT");

    let payload = js_fn("", "return {x402Version: 9, accepted: {}, payload: {}};")
        .call0(&JsValue::NULL)
        .unwrap();
    let error = caught_in_js(move || encode_payment_header(payload.clone()).map(JsValue::from));
    assert_eq!(get(&error, "code"), "UNSUPPORTED_VERSION");
}

#[wasm_bindgen_test]
fn the_instance_survives_hostile_input() {
    // After a run of failures the same instance still decodes correctly.
    for bad in ["", "=", "====", "\u{0}", "eyJ", "e30", "W10=", "bnVsbA=="] {
        let _ = decode_header(bad, "PaymentRequired");
    }
    let ok = decode_header(
        "eyJzdWNjZXNzIjp0cnVlLCJ0cmFuc2FjdGlvbiI6IiIsIm5ldHdvcmsiOiJ4In0=",
        "SettlementResponse",
    )
    .unwrap();
    assert_eq!(get(&ok, "success"), JsValue::TRUE);
}
