//! The ledger's answers about itself: when a full window frees, exact window sums over
//! thousands of payments, and which origins it keeps.

use super::tests::{cents, ledger, limits};
use super::*;

#[test]
fn a_full_window_says_when_the_payment_fits_again() {
    let mut l = ledger(None, None, Some((60, "0.03")));
    let first = l.reserve("a", cents(2), 100_000).unwrap();
    l.commit(first, 100_000);
    let second = l.reserve("b", cents(1), 110_000).unwrap();
    l.commit(second, 110_000);
    // 1 cent over: the first payment's leaving (at 160 s) is enough.
    let refused = l.reserve("c", cents(1), 120_000).unwrap_err();
    assert!(matches!(
        refused,
        Error::BudgetExceeded {
            limit: "window",
            retry_after_ms: Some(40_000),
            ..
        }
    ));
    assert!(refused.to_string().ends_with("it fits again in 40 s"));
    // 3 cents over: both must leave (the second at 170 s).
    assert!(matches!(
        l.reserve("c", cents(3), 120_000),
        Err(Error::BudgetExceeded {
            retry_after_ms: Some(50_000),
            ..
        })
    ));
    // At that moment it fits, as said.
    l.reserve("c", cents(1), 160_000).unwrap();
    // An open reservation too large for the window never leaves it by time alone.
    let mut open = ledger(None, None, Some((60, "0.03")));
    open.reserve("a", cents(3), 0).unwrap();
    assert!(matches!(
        open.reserve("a", cents(1), 1_000),
        Err(Error::BudgetExceeded {
            retry_after_ms: None,
            ..
        })
    ));
    // Total and per-origin limits free nothing by waiting.
    let mut total = ledger(Some("0.01"), None, None);
    total.reserve("a", cents(1), 0).unwrap();
    assert!(matches!(
        total.reserve("a", cents(1), 0),
        Err(Error::BudgetExceeded {
            limit: "total",
            retry_after_ms: None,
            ..
        })
    ));
}

#[test]
fn a_window_over_thousands_of_payments_counts_exactly_what_is_in_it() {
    // 5,000 payments of 1 to 7 micro-dollars, one every 10 ms; a 20 s window holds the last 2,000.
    let mut l = ledger(None, None, Some((20, "1000")));
    let mut paid = Vec::new();
    for i in 0..5_000u64 {
        let micros = 1 + i % 7;
        let id = l.reserve("a", Some(Amount::from(micros)), i * 10).unwrap();
        l.commit(id, i * 10);
        paid.push((i * 10, micros));
    }
    let now = 50_000;
    let in_window: u64 = paid
        .iter()
        .filter(|(at, _)| *at > now - 20_000)
        .map(|(_, m)| m)
        .sum();
    // Under a cap of exactly what it holds plus 5 micro-dollars: 5 fit, 6 do not.
    let cap = limits(None, None, Some((20, &format_micros(in_window + 5))));
    assert!(
        l.reserve_under(&cap, "a", Some(Amount::from(6)), now)
            .is_err()
    );
    l.reserve_under(&cap, "a", Some(Amount::from(5)), now)
        .unwrap();
}

fn format_micros(micros: u64) -> String {
    Amount::from(micros).format_units(6)
}

#[test]
fn origins_are_kept_only_for_a_limit_per_origin() {
    let mut l = ledger(Some("1000"), None, None);
    for i in 0..1_000 {
        let id = l
            .reserve(&format!("https://t{i}.example"), cents(1), 0)
            .unwrap();
        l.commit(id, 0);
    }
    assert!(
        l.per_origin.is_empty(),
        "no limit per origin: nothing kept per origin"
    );
    assert_eq!(l.total(), Amount::from(10_000_000));
    // A ledger shared with a limit per origin keeps them from then on.
    let per_origin = limits(None, Some("0.01"), None);
    l.reserve_under(&per_origin, "https://a.example", cents(1), 0)
        .unwrap();
    assert!(
        l.reserve_under(&per_origin, "https://a.example", cents(1), 0)
            .is_err()
    );
    assert_eq!(l.spent_at("https://a.example"), Amount::from(10_000));
}

#[test]
fn a_reservation_made_before_a_limit_per_origin_is_given_back_without_touching_it() {
    // A reservation open in a ledger with no limit per origin; then a fetch sharing it
    // brings one, and pays the same origin.
    let mut l = ledger(None, None, None);
    let early = l.reserve("x", cents(1), 0).unwrap();
    let per_origin = limits(None, Some("0.015"), None);
    let paid = l.reserve_under(&per_origin, "x", cents(1), 0).unwrap();
    l.commit(paid, 0);
    // Declined: the early one is given back; what was paid at x is still counted.
    l.release(early);
    assert_eq!(l.spent_at("x"), Amount::from(10_000));
    assert!(l.reserve_under(&per_origin, "x", cents(1), 0).is_err());
}
