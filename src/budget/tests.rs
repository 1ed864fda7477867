//! The ledger and the limits: exact totals, windows, shared ledgers, bad configurations.

use super::*;

pub(super) fn limits(
    total: Option<&str>,
    per_origin: Option<&str>,
    window: Option<(u64, &str)>,
) -> BudgetLimits {
    BudgetLimits::new(BudgetConfig {
        total: total.map(Into::into),
        per_origin: per_origin.map(Into::into),
        window: window.map(|(seconds, amount)| WindowConfig {
            seconds,
            amount: amount.into(),
        }),
    })
    .unwrap()
}

pub(super) fn ledger(
    total: Option<&str>,
    per_origin: Option<&str>,
    window: Option<(u64, &str)>,
) -> Ledger {
    Ledger::new(limits(total, per_origin, window))
}

/// Reserves a cent at `at` (Unix ms) under `limits` and commits it then.
fn pay_cent(ledger: &mut Ledger, limits: &BudgetLimits, origin: &str, at: u64) {
    let id = ledger.reserve_under(limits, origin, cents(1), at).unwrap();
    ledger.commit(id, at);
}

const NOT_DOLLARS: Option<Amount> = None;
pub(super) fn cents(n: u64) -> Option<Amount> {
    Some(Amount::from(n * 10_000))
}

#[test]
fn total_is_exact_and_releases_give_back() {
    let mut l = ledger(Some("0.10"), None, None);
    let ids: Vec<_> = (0..10)
        .map(|_| l.reserve("a", cents(1), 0).unwrap())
        .collect();
    assert_eq!(
        l.reserve("a", cents(1), 0).unwrap_err().code(),
        "BUDGET_EXCEEDED"
    );
    l.release(ids[3]);
    l.release(ids[3]); // twice is harmless
    let again = l.reserve("b", cents(1), 0).unwrap();
    l.commit(again, 0);
    l.release(again); // a committed payment stays spent
    assert_eq!(l.total(), Amount::from(100_000));
    assert_eq!(
        l.reserve("a", cents(1), 0).unwrap_err().code(),
        "BUDGET_EXCEEDED"
    );
    // A payment in a non-dollar asset is not counted by dollar budgets.
    assert!(l.reserve("a", NOT_DOLLARS, 0).is_ok());
}

fn window_exceeded(result: Result<ReservationId>) -> bool {
    matches!(
        result,
        Err(Error::BudgetExceeded {
            limit: "window",
            ..
        })
    )
}

#[test]
fn per_origin_and_window_limits() {
    let mut l = ledger(None, Some("0.02"), Some((60, "0.03")));
    let first = l.reserve("a", cents(2), 100_000).unwrap();
    l.commit(first, 100_000);
    assert!(matches!(
        l.reserve("a", cents(1), 100_000),
        Err(Error::BudgetExceeded {
            limit: "perOrigin",
            ..
        })
    ));
    let second = l.reserve("b", cents(1), 110_000).unwrap();
    l.commit(second, 110_000);
    assert!(window_exceeded(l.reserve("c", cents(1), 120_000)));
    // Still inside the window 1 ms before 60 s have passed, out of it at 60 s.
    assert!(window_exceeded(l.reserve("c", cents(1), 159_999)));
    l.reserve("c", cents(1), 160_000).unwrap();
    assert_eq!(l.spent_at("a"), Amount::from(20_000));
}

#[test]
fn the_window_counts_from_the_commit_and_open_reservations_always() {
    let mut l = ledger(None, None, Some((2, "0.01")));
    // Reserved at 0, approved slowly: still open 2.2 s later, so it counts.
    let slow = l.reserve("a", cents(1), 0).unwrap();
    assert!(window_exceeded(l.reserve("b", cents(1), 2_200)));
    // Committed at 2.5 s: counted until 4.5 s.
    l.commit(slow, 2_500);
    assert!(window_exceeded(l.reserve("b", cents(1), 4_499)));
    l.reserve("b", cents(1), 4_500).unwrap();
    // Two payments 102 ms apart in a 1 s window: the second is refused.
    let mut l = ledger(None, None, Some((1, "0.01")));
    let a = l.reserve("a", cents(1), 612_907).unwrap();
    l.commit(a, 612_907);
    assert!(window_exceeded(l.reserve("a", cents(1), 613_009)));
}

#[test]
fn a_shared_ledger_holds_each_fetchs_limits() {
    let wide = limits(Some("0.10"), None, None);
    let narrow = limits(Some("0.06"), None, Some((60, "0.02")));
    let total_exceeded = |result: Result<ReservationId>| {
        matches!(result, Err(Error::BudgetExceeded { limit: "total", .. }))
    };
    let mut shared = Ledger::new(wide.clone());
    // Two payments under the wide limits count in the narrow total.
    pay_cent(&mut shared, &wide, "a", 1_000);
    pay_cent(&mut shared, &wide, "a", 2_000);
    assert!(total_exceeded(shared.reserve_under(
        &narrow,
        "a",
        cents(5),
        3_000
    )));
    // The narrow window counts them too, made before it was.
    assert!(window_exceeded(shared.reserve_under(
        &narrow,
        "a",
        cents(1),
        3_000
    )));
    pay_cent(&mut shared, &narrow, "a", 62_001);
    // Payments are kept for the window, whichever fetch made them.
    pay_cent(&mut shared, &wide, "b", 63_000);
    assert!(window_exceeded(shared.reserve_under(
        &narrow,
        "b",
        cents(1),
        64_000
    )));
    // A minute after the last one the window is free again; the total is not.
    shared
        .reserve_under(&narrow, "b", cents(1), 123_001)
        .unwrap();
    assert_eq!(shared.total(), Amount::from(50_000));
    assert!(total_exceeded(shared.reserve_under(
        &narrow,
        "b",
        cents(2),
        123_001
    )));
    assert!(shared.reserve_under(&wide, "b", cents(2), 123_001).is_ok());
}

#[test]
fn bad_config_is_coded() {
    let bad = BudgetConfig {
        total: Some("lots".into()),
        ..BudgetConfig::default()
    };
    assert_eq!(BudgetLimits::new(bad).unwrap_err().code(), "INVALID_POLICY");
    let no_window = BudgetConfig {
        window: Some(WindowConfig {
            seconds: 0,
            amount: "1".into(),
        }),
        ..BudgetConfig::default()
    };
    let error = BudgetLimits::new(no_window).unwrap_err();
    assert_eq!(error.code(), "INVALID_POLICY");
    for other in ["150 JPY", "0.02 EUR", "$5 EUR"] {
        let yen = BudgetConfig {
            total: Some(other.into()),
            ..BudgetConfig::default()
        };
        let error = BudgetLimits::new(yen).unwrap_err();
        assert_eq!(error.code(), "INVALID_POLICY", "{other}");
    }
    for dollars in ["5", "$5", "5 USD", "5 usd"] {
        let limits = BudgetLimits::new(BudgetConfig {
            total: Some(dollars.into()),
            ..BudgetConfig::default()
        });
        assert!(limits.is_ok(), "{dollars}");
    }
}

#[test]
fn a_window_made_later_counts_what_the_others_paid_and_pay() {
    // No window first; a fetch with an hourly $0.02 then shares the ledger.
    let (none, hourly) = (
        limits(None, None, None),
        limits(None, None, Some((3_600, "0.02"))),
    );
    let mut shared = Ledger::new(none.clone());
    shared.keep_for(&hourly);
    pay_cent(&mut shared, &none, "a", 1_000);
    // An open reservation of the windowless fetch counts too.
    let open = shared.reserve_under(&none, "a", cents(1), 3_000).unwrap();
    assert!(window_exceeded(shared.reserve_under(
        &hourly,
        "b",
        cents(1),
        4_000
    )));
    shared.release(open);
    pay_cent(&mut shared, &hourly, "b", 4_000);
    assert!(window_exceeded(shared.reserve_under(
        &hourly,
        "b",
        cents(1),
        5_000
    )));
    // A minute's window of the first fetch does not drop what the hour still counts.
    let minute = limits(None, None, Some((60, "1")));
    let mut shared = Ledger::new(minute.clone());
    shared.keep_for(&hourly);
    for at in [0, 60_000, 120_000] {
        pay_cent(&mut shared, &minute, "a", at);
    }
    assert!(window_exceeded(shared.reserve_under(
        &hourly,
        "b",
        cents(1),
        240_000
    )));
    assert!(
        shared
            .reserve_under(&minute, "a", cents(1), 240_000)
            .is_ok()
    );
}

#[test]
fn a_window_made_after_payments_counts_the_last_days_payments_a_bounded_number_of_them() {
    // A fetch without a window pays four cents; a fetch with an hourly $0.04 made later
    // (shareBudgetWith, a provider's new policy) has nothing left.
    let (none, hourly) = (
        limits(None, None, None),
        limits(None, None, Some((3_600, "0.04"))),
    );
    let mut shared = Ledger::new(none.clone());
    for at in [1_000, 2_000, 3_000, 3_500] {
        pay_cent(&mut shared, &none, "a", at);
    }
    shared.keep_for(&hourly);
    assert!(window_exceeded(shared.reserve_under(
        &hourly,
        "b",
        cents(1),
        4_000
    )));
    // A day later, those four are out of any window.
    let day = 24 * 3_600_000;
    let id = shared
        .reserve_under(&hourly, "b", cents(4), 4_000 + day)
        .unwrap();
    shared.commit(id, 4_000 + day);
    // Without a window, what is kept for a later one is bounded, a reservation left
    // open (an approval never answered) included.
    let mut busy = Ledger::new(none.clone());
    let waiting = busy.reserve_under(&none, "a", cents(1), 1).unwrap();
    for at in 1..(3 * RETAIN_EXTRA as u64) {
        pay_cent(&mut busy, &none, "a", at);
    }
    assert!(
        busy.recent.len() <= RETAIN_EXTRA + 1,
        "{}",
        busy.recent.len()
    );
    // The open one still counts in a window: one cent more than what is kept fits
    // only once it is released.
    let kept = u64::try_from(busy.recent.len()).unwrap();
    let cap = format!("{}.{:02}", (kept + 1) / 100, (kept + 1) % 100);
    let window = limits(None, None, Some((3_600, cap.as_str())));
    let now = 3 * RETAIN_EXTRA as u64;
    assert!(window_exceeded(busy.reserve_under(
        &window,
        "b",
        cents(1),
        now
    )));
    busy.release(waiting);
    assert!(busy.reserve_under(&window, "b", cents(1), now).is_ok());
}

/// A clock stepped back by an hour (after one payment stamped an hour ahead): the
/// window is free again one window length later, not an hour later.
#[test]
fn a_clock_stepped_back_blocks_a_window_for_the_window_only() {
    let lim = limits(None, None, Some((1, "0.05")));
    let mut l = Ledger::new(lim.clone());
    let hour = 3_600_000;
    pay_cent(&mut l, &lim, "a", 1_000_000 + hour);
    // Back to the right time: the stray payment counts as made now, and no longer.
    let now = 1_000_000;
    for i in 0..4 {
        pay_cent(&mut l, &lim, "a", now + i);
    }
    assert!(window_exceeded(l.reserve("a", cents(1), now + 10)));
    for second in 1..5 {
        let at = now + second * 1_000;
        for i in 0..5 {
            pay_cent(&mut l, &lim, "a", at + i);
        }
        assert!(
            window_exceeded(l.reserve("a", cents(1), at + 10)),
            "{second}"
        );
    }
}

/// Origins that cost nothing (declined, non-dollar) are not kept, and one given back
/// to zero is forgotten: an agent visiting ever new hosts does not grow the ledger.
#[test]
fn origins_that_cost_nothing_are_not_kept() {
    let mut l = ledger(None, Some("0.05"), None);
    for i in 0..1_000 {
        let origin = format!("https://host{i}.example");
        let declined = l.reserve(&origin, cents(1), 0).unwrap();
        l.release(declined);
        let free = l.reserve(&origin, NOT_DOLLARS, 0).unwrap();
        l.commit(free, 0);
    }
    assert!(l.per_origin.is_empty(), "{}", l.per_origin.len());
    let paid = l.reserve("https://paid.example", cents(2), 0).unwrap();
    l.commit(paid, 0);
    assert_eq!(l.spent_at("https://paid.example"), Amount::from(20_000));
    assert_eq!(l.per_origin.len(), 1);
}
