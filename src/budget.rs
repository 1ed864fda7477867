//! Cumulative spending limits in US dollars: a total, a limit per origin and a
//! limit per sliding time window. Safe under concurrent requests: a payment
//! reserves its amount before signing and releases it only if it fails without
//! settling, so two requests can never both spend the last dollar.

use std::collections::{HashMap, VecDeque};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::protocol::{Amount, parse_price};

/// Budget limits as users write them: dollar strings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// The most all payments together may cost, in dollars.
    pub total: Option<String>,
    /// The most payments to one origin may cost, in dollars.
    pub per_origin: Option<String>,
    /// The most payments within any window of `seconds` may cost.
    pub window: Option<WindowConfig>,
}

/// A sliding-window limit.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WindowConfig {
    /// The window length in seconds.
    pub seconds: u64,
    /// The most spent within it, in dollars.
    pub amount: String,
}

/// Validated limits, in micro-dollars.
#[derive(Clone, Debug, Default)]
pub struct BudgetLimits {
    total: Option<Amount>,
    per_origin: Option<Amount>,
    window: Option<(u64, Amount)>,
}

fn dollars(text: &str, field: &str) -> Result<Amount> {
    parse_price(text, 6)
        .map(|p| p.amount)
        .map_err(|e| Error::InvalidPolicy {
            reason: format!("budget.{field}: {e}"),
        })
}

impl BudgetLimits {
    /// Validates a configuration.
    ///
    /// # Errors
    /// [`Error::InvalidPolicy`] for unreadable amounts.
    pub fn new(config: BudgetConfig) -> Result<Self> {
        Ok(BudgetLimits {
            total: config
                .total
                .as_deref()
                .map(|t| dollars(t, "total"))
                .transpose()?,
            per_origin: config
                .per_origin
                .as_deref()
                .map(|t| dollars(t, "perOrigin"))
                .transpose()?,
            window: config
                .window
                .map(|w| dollars(&w.amount, "window.amount").map(|a| (w.seconds, a)))
                .transpose()?,
        })
    }
}

/// A reservation's handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReservationId(u64);

#[derive(Debug)]
struct Entry {
    id: ReservationId,
    micros: Amount,
    at: u64,
}

/// What has been spent or reserved.
#[derive(Debug, Default)]
pub struct Ledger {
    limits: BudgetLimits,
    total: Amount,
    per_origin: HashMap<String, Amount>,
    recent: VecDeque<Entry>,
    open: HashMap<ReservationId, (String, Amount)>,
    next: u64,
}

impl Ledger {
    /// An empty ledger under `limits`.
    pub fn new(limits: BudgetLimits) -> Self {
        Ledger {
            limits,
            ..Ledger::default()
        }
    }

    /// Reserves `micros` (the payment's dollar value; `None` for a non-dollar
    /// asset, which dollar budgets do not count) for a payment to `origin` at `now`.
    ///
    /// # Errors
    /// [`Error::BudgetExceeded`] naming the limit that would be passed.
    pub fn reserve(
        &mut self,
        origin: &str,
        micros: Option<Amount>,
        now: u64,
    ) -> Result<ReservationId> {
        let micros = micros.unwrap_or(Amount::ZERO);
        if let Some((seconds, _)) = self.limits.window {
            let horizon = now.saturating_sub(seconds);
            while self
                .recent
                .front()
                .is_some_and(|e| e.at <= horizon && !self.open.contains_key(&e.id))
            {
                self.recent.pop_front();
            }
        }
        let exceeded = |limit: &'static str, spent: Amount, cap: Amount| -> Result<()> {
            match spent.checked_add(micros) {
                Ok(sum) if sum <= cap => Ok(()),
                _ => Err(Error::BudgetExceeded {
                    limit,
                    remaining: cap
                        .checked_sub(spent)
                        .unwrap_or(Amount::ZERO)
                        .format_units(6),
                }),
            }
        };
        if let Some(cap) = self.limits.total {
            exceeded("total", self.total, cap)?;
        }
        if let Some(cap) = self.limits.per_origin {
            exceeded(
                "perOrigin",
                self.per_origin.get(origin).copied().unwrap_or_default(),
                cap,
            )?;
        }
        if let Some((seconds, cap)) = self.limits.window {
            let horizon = now.saturating_sub(seconds);
            let in_window = self
                .recent
                .iter()
                .filter(|e| e.at > horizon)
                .try_fold(Amount::ZERO, |sum, e| sum.checked_add(e.micros))?;
            exceeded("window", in_window, cap)?;
        }
        self.next += 1;
        let id = ReservationId(self.next);
        self.total = self.total.checked_add(micros)?;
        let origin_total = self.per_origin.entry(origin.to_owned()).or_default();
        *origin_total = origin_total.checked_add(micros)?;
        self.recent.push_back(Entry {
            id,
            micros,
            at: now,
        });
        self.open.insert(id, (origin.to_owned(), micros));
        Ok(id)
    }

    /// Keeps a reservation as spent (the payment settled, or may have).
    pub fn commit(&mut self, id: ReservationId) {
        self.open.remove(&id);
    }

    /// Gives a reservation back (the payment failed without settling).
    pub fn release(&mut self, id: ReservationId) {
        let Some((origin, micros)) = self.open.remove(&id) else {
            return;
        };
        self.total = self.total.checked_sub(micros).unwrap_or_default();
        if let Some(spent) = self.per_origin.get_mut(&origin) {
            *spent = spent.checked_sub(micros).unwrap_or_default();
        }
        self.recent.retain(|e| e.id != id);
    }

    /// Dollars spent or reserved so far, in micro-dollars.
    pub fn total(&self) -> Amount {
        self.total
    }

    /// Dollars spent or reserved at `origin`, in micro-dollars.
    pub fn spent_at(&self, origin: &str) -> Amount {
        self.per_origin.get(origin).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(
        total: Option<&str>,
        per_origin: Option<&str>,
        window: Option<(u64, &str)>,
    ) -> Ledger {
        Ledger::new(
            BudgetLimits::new(BudgetConfig {
                total: total.map(Into::into),
                per_origin: per_origin.map(Into::into),
                window: window.map(|(seconds, amount)| WindowConfig {
                    seconds,
                    amount: amount.into(),
                }),
            })
            .unwrap(),
        )
    }
    const NOT_DOLLARS: Option<Amount> = None;
    fn cents(n: u64) -> Option<Amount> {
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
        l.commit(again);
        l.release(again); // a committed payment stays spent
        assert_eq!(l.total(), Amount::from(100_000));
        assert_eq!(
            l.reserve("a", cents(1), 0).unwrap_err().code(),
            "BUDGET_EXCEEDED"
        );
        // A payment in a non-dollar asset is not counted by dollar budgets.
        assert!(l.reserve("a", NOT_DOLLARS, 0).is_ok());
    }

    #[test]
    fn per_origin_and_window_limits() {
        let mut l = ledger(None, Some("0.02"), Some((60, "0.03")));
        l.reserve("a", cents(2), 100).unwrap();
        assert!(matches!(
            l.reserve("a", cents(1), 100),
            Err(Error::BudgetExceeded {
                limit: "perOrigin",
                ..
            })
        ));
        l.reserve("b", cents(1), 110).unwrap();
        assert!(matches!(
            l.reserve("c", cents(1), 120),
            Err(Error::BudgetExceeded {
                limit: "window",
                ..
            })
        ));
        // 61 s after the first payment it has left the window.
        l.reserve("c", cents(1), 161).unwrap();
        assert_eq!(l.spent_at("a"), Amount::from(20_000));
    }

    #[test]
    fn bad_config_is_coded() {
        let bad = BudgetConfig {
            total: Some("lots".into()),
            ..BudgetConfig::default()
        };
        assert_eq!(BudgetLimits::new(bad).unwrap_err().code(), "INVALID_POLICY");
    }
}
