//! Selection and spend policy, natively: caps that understand decimals, allowed
//! assets, recipient lists, preferences, and which refusal wins.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{Value, json};
use x402_wasm::dialect::{Requirement, challenge_from_json};
use x402_wasm::select::{Policy, PolicyConfig};

const BASE_USDC: &str = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";

fn requirement(network: &str, asset: &str, amount: &str, pay_to: &str) -> Value {
    json!({ "scheme": "exact", "network": network, "amount": amount, "asset": asset, "payTo": pay_to,
            "maxTimeoutSeconds": 60, "extra": { "name": "USD Coin", "version": "2" } })
}

fn offered(accepts: Vec<Value>) -> Vec<Requirement> {
    challenge_from_json(&json!({ "x402Version": 2, "accepts": accepts }))
        .unwrap()
        .requirements
}

fn policy(config: Value) -> Policy {
    Policy::new(serde_json::from_value::<PolicyConfig>(config).unwrap()).unwrap()
}

fn code(policy: &Policy, offered: &[Requirement]) -> String {
    match policy.candidates(offered, |_| true) {
        Ok(c) => format!("ok:{}", c.len()),
        Err(e) => e.code().to_owned(),
    }
}

#[test]
fn the_default_cap_is_one_dollar_exactly() {
    let p = Policy::default_policy();
    assert_eq!(
        code(
            &p,
            &offered(vec![requirement("base", BASE_USDC, "1000000", PAY_TO)])
        ),
        "ok:1"
    );
    assert_eq!(
        code(
            &p,
            &offered(vec![requirement("base", BASE_USDC, "1000001", PAY_TO)])
        ),
        "PAYMENT_LIMIT_EXCEEDED"
    );
}

#[test]
fn caps_are_in_dollars_and_compared_in_the_assets_decimals() {
    let p = policy(json!({ "maxPerPayment": "0.01" }));
    assert_eq!(
        code(
            &p,
            &offered(vec![requirement("base", BASE_USDC, "10000", PAY_TO)])
        ),
        "ok:1"
    );
    let over = offered(vec![requirement("base", BASE_USDC, "10001", PAY_TO)]);
    let error = p.candidates(&over, |_| true).unwrap_err();
    assert_eq!(error.code(), "PAYMENT_LIMIT_EXCEEDED");
    assert!(error.to_string().contains("0.010001 USDC"), "{error}");
    // An 18-decimal dollar asset declared by the user: the same cap, scaled up.
    let token = "0x1111111111111111111111111111111111111111";
    let p = policy(json!({ "maxPerPayment": "0.01",
        "assets": [{ "network": "eip155:1", "asset": token, "decimals": 18, "usd": true, "maxPerPayment": "1000000000000000000000" }] }));
    let at_cap = offered(vec![requirement(
        "eip155:1",
        token,
        "10000000000000000",
        PAY_TO,
    )]);
    assert_eq!(code(&p, &at_cap), "ok:1");
    let c = p.candidates(&at_cap, |_| true).unwrap();
    assert_eq!(c[0].valuation.usd_micros.unwrap().to_string(), "10000");
    let above = offered(vec![requirement(
        "eip155:1",
        token,
        "10000000000000001",
        PAY_TO,
    )]);
    assert_eq!(code(&p, &above), "PAYMENT_LIMIT_EXCEEDED");
}

#[test]
fn unknown_assets_are_refused_unless_allowed_with_their_own_cap() {
    let token = "0x2222222222222222222222222222222222222222";
    let r = offered(vec![requirement("eip155:31337", token, "5", PAY_TO)]);
    assert_eq!(code(&Policy::default_policy(), &r), "ASSET_NOT_ALLOWED");
    let allowed = policy(
        json!({ "assets": [{ "network": "eip155:31337", "asset": token.to_uppercase().replace("0X", "0x"),
        "decimals": 0, "symbol": "TOK", "maxPerPayment": "5" }] }),
    );
    assert_eq!(code(&allowed, &r), "ok:1");
    let c = allowed.candidates(&r, |_| true).unwrap();
    assert_eq!(c[0].valuation.formatted(), "5 TOK");
    assert_eq!(
        c[0].valuation.usd_micros, None,
        "non-dollar assets are not valued in dollars"
    );
    let r6 = offered(vec![requirement("eip155:31337", token, "6", PAY_TO)]);
    assert_eq!(code(&allowed, &r6), "PAYMENT_LIMIT_EXCEEDED");
}

#[test]
fn recipient_lists_and_wallet_support() {
    let r = offered(vec![requirement("base", BASE_USDC, "1", PAY_TO)]);
    let deny = policy(json!({ "payTo": { "deny": [PAY_TO.to_lowercase()] } }));
    assert_eq!(code(&deny, &r), "PAYTO_NOT_ALLOWED");
    let allow_other =
        policy(json!({ "payTo": { "allow": ["0x3333333333333333333333333333333333333333"] } }));
    assert_eq!(code(&allow_other, &r), "PAYTO_NOT_ALLOWED");
    let allow = policy(json!({ "payTo": { "allow": [PAY_TO] } }));
    assert_eq!(code(&allow, &r), "ok:1");
    let none = Policy::default_policy()
        .candidates(&r, |_| false)
        .unwrap_err();
    assert_eq!(none.code(), "NO_MATCHING_REQUIREMENT");
}

#[test]
fn the_furthest_refusal_is_reported() {
    // One requirement is denied by recipient, another exceeds the cap: the cap is further along.
    let other = "0x4444444444444444444444444444444444444444";
    let r = offered(vec![
        requirement("base", BASE_USDC, "1", other),
        requirement("base", BASE_USDC, "2000000", PAY_TO),
    ]);
    let p = policy(json!({ "payTo": { "deny": [other] } }));
    assert_eq!(code(&p, &r), "PAYMENT_LIMIT_EXCEEDED");
}

#[test]
fn preferences_order_the_candidates() {
    let r = offered(vec![
        requirement("base", BASE_USDC, "3", PAY_TO),
        requirement(
            "eip155:84532",
            "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
            "2",
            PAY_TO,
        ),
        requirement(
            "eip155:137",
            "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
            "1",
            PAY_TO,
        ),
    ]);
    let order = |p: &Policy| {
        p.candidates(&r, |_| true)
            .unwrap()
            .iter()
            .map(|c| c.requirement.index)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(&Policy::default_policy()),
        [0, 1, 2],
        "server order by default"
    );
    assert_eq!(
        order(&policy(
            json!({ "prefer": { "networks": ["polygon", "base-sepolia"] } })
        )),
        [2, 1, 0]
    );
    assert_eq!(
        order(&policy(
            json!({ "prefer": { "networks": ["eip155:*"], "assets": ["0x3c499c542cef5e3811e1192ce70d8cc03d5c3359"] } })
        )),
        [2, 0, 1]
    );
}

#[test]
fn bad_policies_are_coded() {
    for bad in [
        json!({ "maxPerPayment": "lots" }),
        json!({ "assets": [{ "network": "nowhere", "asset": "x", "decimals": 6, "maxPerPayment": "1" }] }),
        json!({ "assets": [{ "network": "base", "asset": "x", "decimals": 6, "maxPerPayment": "-1" }] }),
        json!({ "budget": { "total": "1e3" } }),
        // Another currency is not read as dollars.
        json!({ "maxPerPayment": "100 JPY" }),
        json!({ "budget": { "total": "150 JPY" } }),
        json!({ "budget": { "window": { "seconds": 3600, "amount": "0.02 EUR" } } }),
        json!({ "budget": { "window": { "seconds": 0, "amount": "1" } } }),
        // A recipient list entry that is no address would silently match nothing.
        json!({ "payTo": { "deny": ["0xBadRecipient"] } }),
        json!({ "payTo": { "deny": ["nonsense"] } }),
        json!({ "payTo": { "allow": ["0x2222222222222222222222222222222222222222", "0x12"] } }),
        // A mixed-case address with a wrong EIP-55 checksum is a typo too.
        json!({ "payTo": { "deny": ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"] } }),
    ] {
        let config: PolicyConfig = serde_json::from_value(bad.clone()).unwrap();
        assert_eq!(
            Policy::new(config).unwrap_err().code(),
            "INVALID_POLICY",
            "{bad}"
        );
    }
    // EVM addresses (any case, or a right checksum) and Solana keys are recipients.
    let good = json!({ "maxPerPayment": "$0.50", "budget": { "total": "5 USD" }, "payTo": {
        "deny": ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"],
        "allow": ["9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"] } });
    let config: PolicyConfig = serde_json::from_value(good).unwrap();
    assert!(Policy::new(config).is_ok());
    assert!(
        serde_json::from_value::<PolicyConfig>(json!({ "maxPerPaymnt": "1" })).is_err(),
        "typos are refused"
    );
}

const SEPOLIA_USDC: &str = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";

fn refusal(config: Value) -> String {
    let config: PolicyConfig = serde_json::from_value(config).unwrap();
    let error = Policy::new(config).unwrap_err();
    assert_eq!(error.code(), "INVALID_POLICY", "{error}");
    error.to_string()
}

#[test]
fn a_known_stablecoin_listed_in_assets_stays_a_dollar() {
    use x402_wasm::assets::AssetBook;
    use x402_wasm::budget::{BudgetConfig, BudgetLimits, Ledger};
    use x402_wasm::protocol::Network;
    // Listed with usd omitted (false) and a symbol of its own: the known facts stand.
    let p = policy(
        json!({ "maxPerPayment": "0.10", "assets": [{ "network": "eip155:84532",
        "asset": SEPOLIA_USDC.to_lowercase(), "decimals": 6, "symbol": "MINE", "maxPerPayment": "1000000" }] }),
    );
    let forty_cents = offered(vec![requirement(
        "eip155:84532",
        SEPOLIA_USDC,
        "400000",
        PAY_TO,
    )]);
    let error = p.candidates(&forty_cents, |_| true).unwrap_err();
    assert_eq!(error.code(), "PAYMENT_LIMIT_EXCEEDED");
    assert!(error.to_string().contains("cap of 0.1 USDC"), "{error}");
    let dime = offered(vec![requirement(
        "eip155:84532",
        SEPOLIA_USDC,
        "100000",
        PAY_TO,
    )]);
    let valuation = p.candidates(&dime, |_| true).unwrap()[0].valuation.clone();
    assert_eq!(valuation.formatted(), "0.1 USDC");
    assert_eq!(
        valuation.usd_micros.map(|m| m.to_string()).as_deref(),
        Some("100000")
    );
    // So every budget counts it.
    let limits = BudgetLimits::new(
        serde_json::from_value::<BudgetConfig>(json!({ "total": "0.15" })).unwrap(),
    )
    .unwrap();
    let mut ledger = Ledger::new(limits);
    ledger
        .reserve("https://a.example", valuation.usd_micros, 0)
        .unwrap();
    let over = ledger
        .reserve("https://a.example", valuation.usd_micros, 0)
        .unwrap_err();
    assert_eq!(over.code(), "BUDGET_EXCEEDED");
    // Pricing and display use the known facts too.
    let sepolia = Network::parse("eip155:84532").unwrap();
    let info = p.asset(&sepolia, SEPOLIA_USDC).unwrap();
    assert_eq!(
        (info.decimals, info.usd, info.symbol.as_str()),
        (6, true, "USDC")
    );
    // The entry's own atomic cap applies besides the dollar cap: the smaller wins.
    let p = policy(
        json!({ "assets": [{ "network": "base-sepolia", "asset": SEPOLIA_USDC,
        "decimals": 6, "maxPerPayment": "50000" }] }),
    );
    assert_eq!(
        code(
            &p,
            &offered(vec![requirement(
                "eip155:84532",
                SEPOLIA_USDC,
                "50000",
                PAY_TO
            )])
        ),
        "ok:1"
    );
    let error = p
        .candidates(
            &offered(vec![requirement(
                "eip155:84532",
                SEPOLIA_USDC,
                "50001",
                PAY_TO,
            )]),
            |_| true,
        )
        .unwrap_err();
    assert!(error.to_string().contains("cap of 0.05 USDC"), "{error}");
    // Other decimals than the known ones would show and count the payment wrongly.
    let message = refusal(
        json!({ "assets": [{ "network": "eip155:84532", "asset": SEPOLIA_USDC,
        "decimals": 18, "usd": true, "maxPerPayment": "1000000000" }] }),
    );
    assert!(
        message.contains(SEPOLIA_USDC) && message.contains("6 decimals") && message.contains("18"),
        "{message}"
    );
}

#[test]
fn preferences_that_match_nothing_are_refused() {
    for (prefer, named) in [
        (json!({ "networks": ["bsae"] }), "bsae"),
        (json!({ "networks": ["Base"] }), "did you mean \"base\""),
        (json!({ "networks": ["eip155:8453 "] }), "eip155:8453 "),
        (json!({ "networks": ["evm:*"] }), "evm:*"),
        (
            json!({ "assets": ["0x833589fcd6edb6e08f4c7c32d4f71b54bda0291"] }),
            "EVM address",
        ),
        (json!({ "assets": ["U.S.D.C"] }), "symbol"),
        (json!({ "schemes": ["EXACT"] }), "did you mean exact"),
        (json!({ "schemes": ["upto"] }), "upto"),
    ] {
        let message = refusal(json!({ "prefer": prefer }));
        assert!(message.contains(named), "{prefer}: {message}");
    }
    let r = offered(vec![
        requirement("eip155:84532", SEPOLIA_USDC, "1", PAY_TO),
        requirement("base", BASE_USDC, "1", PAY_TO),
    ]);
    let first = |prefer: Value| {
        policy(json!({ "prefer": prefer }))
            .candidates(&r, |_| true)
            .unwrap()[0]
            .requirement
            .index
    };
    assert_eq!(first(json!({ "networks": ["base"] })), 1);
    assert_eq!(first(json!({ "networks": ["solana:*", "eip155:*"] })), 0);
    assert_eq!(
        first(json!({ "assets": ["USDC"], "schemes": ["exact"] })),
        0
    );
    assert_eq!(first(json!({ "assets": [BASE_USDC.to_lowercase()] })), 1);
}

/// A symbol an entry of `policy.assets` gives (`USDC.e`, `USD₮0`: not letters and digits
/// only) is a preference that can match: accepted, and it ranks that asset, also when the
/// entry names a known asset (which shows its known symbol).
#[test]
fn preferences_name_the_symbols_of_policy_assets() {
    const BRIDGED: &str = "0xA7D7079b0FEaD91F3e65f86E8915Cb59c1a4C664";
    let r = offered(vec![
        requirement("base", BASE_USDC, "1", PAY_TO),
        requirement("eip155:43114", BRIDGED, "1", PAY_TO),
    ]);
    for symbol in ["USDC.e", "USD₮0"] {
        let entry = json!({ "network": "eip155:43114", "asset": BRIDGED, "decimals": 6,
            "symbol": symbol, "maxPerPayment": "1000000" });
        let config = json!({ "assets": [entry], "prefer": { "assets": [symbol] } });
        assert_eq!(
            policy(config).candidates(&r, |_| true).unwrap()[0]
                .requirement
                .index,
            1,
            "{symbol}"
        );
        // Without the entry, nothing has that symbol.
        assert!(refusal(json!({ "prefer": { "assets": [symbol] } })).contains("symbol"));
    }
    // Base USDC listed under a symbol of the user's: preferring that symbol ranks it.
    let r = offered(vec![
        requirement("eip155:84532", SEPOLIA_USDC, "1", PAY_TO),
        requirement("base", BASE_USDC, "1", PAY_TO),
    ]);
    let entry = json!({ "network": "base", "asset": BASE_USDC, "decimals": 6,
        "symbol": "USDbC", "maxPerPayment": "1000000" });
    let config = json!({ "assets": [entry], "prefer": { "assets": ["USDbC"] } });
    assert_eq!(
        policy(config).candidates(&r, |_| true).unwrap()[0]
            .requirement
            .index,
        1
    );
}

#[test]
fn policy_dollar_amounts_say_what_is_wrong() {
    for (amount, phrase) in [
        ("1,000", "comma"),
        ("1,000.50", "comma"),
        ("1 000", "grouped with spaces"),
        ("$ 1", "no space may follow the $"),
        ("0.0000001", "at most 6 decimals (micro-dollars)"),
        ("lots", "not a dollar amount"),
        ("0.50 USDC", "not USDC"),
        ("USD 0.50", "the currency goes after the amount"),
    ] {
        for config in [
            json!({ "maxPerPayment": amount }),
            json!({ "budget": { "total": amount } }),
            json!({ "budget": { "perOrigin": amount } }),
            json!({ "budget": { "window": { "seconds": 60, "amount": amount } } }),
        ] {
            let message = refusal(config.clone());
            assert!(message.contains(phrase), "{config}: {message}");
            assert!(!message.contains("asset"), "{config}: {message}");
        }
    }
    // Only a dollar amount is told to put its currency after: "EUR 1" is no dollar amount either way.
    assert!(!refusal(json!({ "maxPerPayment": "EUR 1" })).contains("goes after"));
    for good in ["1000", "$0.50", "0.50 USD", " 0.01 ", "1.000"] {
        policy(json!({ "maxPerPayment": good, "budget": { "total": good } }));
    }
}

/// Seed dialects find an asset by symbol too: a known stablecoin listed under a symbol of
/// the user's is still that stablecoin (a dollar, its decimals) by that symbol, as by its
/// address (it was the entry's, not a dollar: a seed 003 price in USD was refused).
#[test]
fn a_known_asset_found_by_an_entrys_symbol_keeps_what_is_known() {
    use x402_wasm::assets::AssetBook;
    let entry = json!({ "network": "base", "asset": BASE_USDC, "decimals": 6,
        "symbol": "USDbC", "maxPerPayment": "1000000" });
    let policy = policy(json!({ "assets": [entry] }));
    let base = x402_wasm::protocol::Network::parse("base").unwrap();
    let by_symbol = policy.by_symbol(&base, "USDbC").unwrap();
    assert_eq!(Some(by_symbol.clone()), policy.asset(&base, BASE_USDC));
    assert!(by_symbol.usd);
    assert_eq!((by_symbol.decimals, by_symbol.symbol.as_str()), (6, "USDC"));
}
