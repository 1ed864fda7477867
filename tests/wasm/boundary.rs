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
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use x402_wasm::wasm::{
    create_payment_payload, decode_header, encode_payment_header, evm_private_key_wallet,
    hash_typed_data, recognize_payment_required, solana_private_key_wallet,
};

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
    let decoded = decode_header(header.clone(), "PaymentRequired".into()).unwrap();
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
    let challenge = recognize_payment_required(402.into(), headers, JsValue::from_str("")).unwrap();
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
    let error = caught_in_js(|| decode_header("!!!".into(), "PaymentRequired".into()));
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&error, "name"), "X402Error");
    assert_eq!(get(&error, "code"), "INVALID_HEADER");
    assert!(get(&error, "cause").is_instance_of::<js_sys::Error>());

    let huge = "A".repeat(40_000);
    let error = caught_in_js(move || decode_header(huge.as_str().into(), "PaymentPayload".into()));
    assert_eq!(get(&error, "code"), "HEADER_TOO_LARGE");
}

#[wasm_bindgen_test]
fn recognition_errors_and_argument_errors_are_coded() {
    let body = r#"{"x402Version":2,"accepts":[{"scheme":"exact","network":"eip155:1","amount":"1e3",
        "asset":"0xA","payTo":"0xB","maxTimeoutSeconds":1}]}"#;
    let headers = js_sys::Object::new();
    let error = caught_in_js(move || {
        recognize_payment_required(402.into(), headers.clone().into(), JsValue::from_str(body))
    });
    assert_eq!(get(&error, "code"), "INVALID_AMOUNT");

    let error = caught_in_js(|| {
        recognize_payment_required(402.into(), js_sys::Object::new().into(), 5.into())
    });
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
        let _ = decode_header(bad.into(), "PaymentRequired".into());
    }
    let ok = decode_header(
        "eyJzdWNjZXNzIjp0cnVlLCJ0cmFuc2FjdGlvbiI6IiIsIm5ldHdvcmsiOiJ4In0=".into(),
        "SettlementResponse".into(),
    )
    .unwrap();
    assert_eq!(get(&ok, "success"), JsValue::TRUE);
}

/// The largest `Uint8Array` this runtime allocates, from 2^31 bytes down (a browser may
/// refuse 2 GiB; the checks only need more than their limit).
fn huge_bytes() -> js_sys::Uint8Array {
    js_fn(
        "",
        "for (const n of [2 ** 31, 2 ** 28, 2 ** 24]) { try { return new Uint8Array(n); } catch {} }",
    )
    .call0(&JsValue::NULL)
    .unwrap()
    .into()
}

const PAYMENT_REQUIRED: &str = r#"return {x402Version: 2, accepts: [{scheme: "exact",
    network: "eip155:84532", amount: "10000", asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
    payTo: "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", maxTimeoutSeconds: 60,
    extra: {name: "USDC", version: "2"}}]};"#;

/// F1 of the panic audit (fuzz/README.md): a huge `Uint8Array` was copied whole
/// (`to_vec` panicked at 2^31 bytes); its length is checked first now.
#[wasm_bindgen_test]
fn huge_byte_arrays_are_refused_by_their_length() {
    let huge = huge_bytes();
    assert!(huge.length() > 1 << 20);
    let body = huge.clone();
    let error = caught_in_js(move || {
        recognize_payment_required(
            402.into(),
            js_sys::Object::new().into(),
            body.clone().into(),
        )
    });
    assert_eq!(get(&error, "code"), "BODY_TOO_LARGE");
    let secret = huge.clone();
    let error =
        caught_in_js(move || solana_private_key_wallet(secret.clone().into()).map(JsValue::from));
    assert_eq!(get(&error, "code"), "INVALID_PRIVATE_KEY");
    let typed = js_fn("b", "return {message: {contents: b}};")
        .call1(&JsValue::NULL, &huge)
        .unwrap();
    let error = caught_in_js(move || hash_typed_data(typed.clone()).map(JsValue::from));
    assert_eq!(get(&error, "code"), "INVALID_ARGUMENT");
    assert!(solana_private_key_wallet(js_sys::Uint8Array::new_with_length(32).into()).is_ok());
}

/// F2: breadth is bounded, not only depth (a sparse array of 2^32 - 1 items costs JS
/// nothing); F4: a throwing getter or Proxy trap is INVALID_ARGUMENT, not a JS exception
/// through wasm frames.
#[wasm_bindgen_test]
fn wide_and_throwing_values_are_coded_errors() {
    for make in [
        "return {message: {junk: new Array(2 ** 32 - 1)}};",
        "const o = {}; for (let i = 0; i < 100001; i++) o[i] = 0; return o;",
        "return {message: {get contents() { throw new Error('hostile'); }}};",
        "return new Proxy({}, {ownKeys() { throw new Error('hostile'); }});",
        "const p = Proxy.revocable([], {}); p.revoke(); return {message: p.proxy};",
    ] {
        let value = js_fn("", make).call0(&JsValue::NULL).unwrap();
        let error = caught_in_js(move || hash_typed_data(value.clone()).map(JsValue::from));
        assert_eq!(get(&error, "code"), "INVALID_ARGUMENT", "{make}");
    }
    let typed = js_fn(
        "",
        r#"return {domain: {name: "X"}, types: {Mail: [{name: "contents", type: "string"}]},
            primaryType: "Mail", message: {contents: "hi"}};"#,
    )
    .call0(&JsValue::NULL)
    .unwrap();
    assert_eq!(hash_typed_data(typed).unwrap().len(), 66);
}

/// F4 in an async export: a throwing getter rejects the promise with a code (it used to
/// escape in a microtask, and Node exited), and the same instance still pays afterwards.
#[wasm_bindgen_test]
async fn an_async_export_rejects_on_a_throwing_getter() {
    let required = js_fn("", PAYMENT_REQUIRED).call0(&JsValue::NULL).unwrap();
    let wallet: JsValue = evm_private_key_wallet(
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d".into(),
    )
    .unwrap()
    .into();
    let hostile = js_fn("", "return {get now() { throw new Error('hostile'); }};")
        .call0(&JsValue::NULL)
        .unwrap();
    let promise = create_payment_payload(required.clone(), 0.into(), wallet.clone(), hostile);
    let error = JsFuture::from(promise).await.unwrap_err();
    assert_eq!(get(&error, "code"), "INVALID_ARGUMENT");
    assert_eq!(get(&error, "cause.message"), "hostile");

    let sparse = js_fn(
        "",
        "return {x402Version: 2, accepts: new Array(2 ** 32 - 1)};",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let promise = create_payment_payload(sparse, 0.into(), wallet.clone(), JsValue::UNDEFINED);
    let error = JsFuture::from(promise).await.unwrap_err();
    assert_eq!(get(&error, "code"), "INVALID_ARGUMENT");

    let options = js_fn("", "return {now: 1700000000};")
        .call0(&JsValue::NULL)
        .unwrap();
    let promise = create_payment_payload(required, 0.into(), wallet, options);
    let payload = JsFuture::from(promise).await.unwrap();
    assert_eq!(get(&payload, "x402Version").as_f64(), Some(2.0));
}
