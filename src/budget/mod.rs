//! Cumulative spending limits in US dollars: a total, a limit per origin and a
//! limit per sliding time window. Safe under concurrent requests: a payment
//! reserves its amount before signing and releases it only if nothing that could
//! move money left the client, so two requests can never both spend the last dollar.
//! A sliding window counts a payment from the moment it is committed (signed and
//! sent), and counts every reservation still open whatever its age. Several
//! paying fetches may share one ledger, each checking it against its own limits.

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
    /// The window length in seconds (at least 1).
    pub seconds: u64,
    /// The most spent within it, in dollars.
    pub amount: String,
}

/// Validated limits, in micro-dollars.
#[derive(Clone, Debug, Default)]
pub struct BudgetLimits {
    total: Option<Amount>,
    per_origin: Option<Amount>,
    /// The window's length in milliseconds, and its cap.
    window: Option<(u64, Amount)>,
}

fn dollars(text: &str, field: &str) -> Result<Amount> {
    usd_micros(text).map_err(|reason| Error::InvalidPolicy {
        reason: format!("budget.{field}: {reason}"),
    })
}

/// A dollar amount as a policy writes it (`"0.50"`, `"$0.50"`, `"0.50 USD"`), in
/// micro-dollars. Another currency is refused rather than read as dollars, and so is a
/// comma: `"1,000"` may be a thousand dollars or one (a decimal comma). Each refusal
/// says what is wrong in the policy's terms, not a price's.
///
/// # Errors
/// Why the text is not such an amount.
pub(crate) fn usd_micros(text: &str) -> std::result::Result<Amount, String> {
    const WRITE: &str = "write e.g. \"0.50\", \"$0.50\" or \"0.50 USD\"";
    let trimmed = text.trim();
    if trimmed.contains(',') {
        return Err(format!(
            "{trimmed:?} is ambiguous: a comma may be a thousands separator or a decimal comma; \
             write 1000 or 1.000, without commas"
        ));
    }
    if trimmed
        .strip_prefix('$')
        .is_some_and(|rest| rest.starts_with(char::is_whitespace))
    {
        return Err(format!("{trimmed:?}: no space may follow the $; {WRITE}"));
    }
    if let Some((first, rest)) = trimmed.split_once(char::is_whitespace) {
        if first.eq_ignore_ascii_case("usd") {
            return Err(format!(
                "{trimmed:?}: the currency goes after the amount; {WRITE}"
            ));
        }
        if rest
            .trim()
            .starts_with(|c: char| c.is_ascii_digit() || c == '.')
        {
            return Err(format!(
                "{trimmed:?}: digits cannot be grouped with spaces; write 1000 or 0.50"
            ));
        }
    }
    let price = parse_price(text, 6).map_err(|e| match e {
        Error::TooManyDecimals { .. } => {
            format!("{trimmed:?}: dollar amounts have at most 6 decimals (micro-dollars)")
        }
        Error::InvalidPrice { reason } => {
            format!("{trimmed:?} is not a dollar amount ({reason}); {WRITE}")
        }
        other => format!("{trimmed:?}: {other}"),
    })?;
    match price.currency.as_deref() {
        None | Some("USD") => Ok(price.amount),
        Some(other) => Err(format!(
            "amounts are in US dollars (\"0.50\", \"$0.50\" or \"0.50 USD\"), not {other}"
        )),
    }
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
                .map(|w| {
                    if w.seconds == 0 {
                        return Err(Error::InvalidPolicy {
                            reason: "budget.window.seconds must be at least 1".into(),
                        });
                    }
                    let amount = dollars(&w.amount, "window.amount")?;
                    Ok((w.seconds.saturating_mul(1000), amount))
                })
                .transpose()?,
        })
    }
}

/// How long committed payments are kept when no window in use needs them: a window
/// that a paying fetch made later brings (`shareBudgetWith`, a provider's new policy)
/// then counts what was paid in its span, up to a day back.
const RETAIN_MS: u64 = 24 * 3_600_000;
/// The most payments kept only for such a later window (the newest of them).
const RETAIN_EXTRA: usize = 1_024;

/// A reservation's handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReservationId(u64);

/// A committed payment.
#[derive(Debug)]
struct Entry {
    micros: Amount,
    /// When it was committed (milliseconds of the ledger's clock).
    at_ms: u64,
    /// The sum of its and every earlier kept payment's `micros` since the ledger was
    /// made (or last empty): what a window counts is a difference of two of them, so
    /// checking a window costs the same however many payments it holds.
    running: Amount,
}

/// What has been spent or reserved.
#[derive(Debug, Default)]
pub struct Ledger {
    limits: BudgetLimits,
    total: Amount,
    per_origin: HashMap<String, Amount>,
    /// The payments committed within the longest window of the limits that use this
    /// ledger, and up to [`RETAIN_EXTRA`] more of the last [`RETAIN_MS`], in the
    /// order they were committed.
    recent: VecDeque<Entry>,
    /// That longest window, in milliseconds (0: no window).
    horizon_ms: u64,
    /// The open reservations (every window counts them), with their origin when they
    /// were counted in `per_origin` (and only then taken off it when given back).
    open: HashMap<ReservationId, (Option<String>, Amount)>,
    next: u64,
    /// Whether a limit per origin uses this ledger: only then is `per_origin` kept, so
    /// that paying ever new origins (a crawler, a host per tenant) does not grow it.
    by_origin: bool,
}

impl Ledger {
    /// An empty ledger under `limits`.
    pub fn new(limits: BudgetLimits) -> Self {
        let mut ledger = Ledger::default();
        ledger.keep_for(&limits);
        ledger.limits = limits;
        ledger
    }

    /// Keeps payments for `limits`' window: a paying fetch that shares this ledger
    /// says so when it is made, so that its window also counts what the others pay
    /// meanwhile (and what they paid before, within a day and [`RETAIN_EXTRA`]
    /// payments).
    pub fn keep_for(&mut self, limits: &BudgetLimits) {
        if let Some((window_ms, _)) = limits.window {
            self.horizon_ms = self.horizon_ms.max(window_ms);
        }
        self.by_origin |= limits.per_origin.is_some();
    }

    /// Reserves `micros` (the payment's dollar value; `None` for a non-dollar
    /// asset, which dollar budgets do not count) for a payment to `origin` at
    /// `now_ms`: milliseconds of a clock the caller keeps the same for the ledger, best
    /// one that never steps (the wasm shell's is `performance.timeOrigin +
    /// performance.now()`): a wall clock stepping forward would free a window's spending.
    ///
    /// # Errors
    /// [`Error::BudgetExceeded`] naming the limit that would be passed.
    pub fn reserve(
        &mut self,
        origin: &str,
        micros: Option<Amount>,
        now_ms: u64,
    ) -> Result<ReservationId> {
        let limits = self.limits.clone();
        self.reserve_under(&limits, origin, micros, now_ms)
    }

    /// [`Ledger::reserve`] checked against `limits` instead of the ledger's own: a
    /// ledger shared by several paying fetches, each with its policy's limits.
    ///
    /// # Errors
    /// [`Error::BudgetExceeded`] naming the limit that would be passed.
    pub fn reserve_under(
        &mut self,
        limits: &BudgetLimits,
        origin: &str,
        micros: Option<Amount>,
        now_ms: u64,
    ) -> Result<ReservationId> {
        let micros = micros.unwrap_or(Amount::ZERO);
        self.keep_for(limits);
        self.clock_at(now_ms);
        // What may still count: payments committed within the longest window, and a
        // bounded number more of the last day, for a window made later. Committed
        // payments are in order, so the ones that leave are at the front.
        let needed_after = now_ms.saturating_sub(self.horizon_ms);
        let kept_after = now_ms.saturating_sub(self.horizon_ms.max(RETAIN_MS));
        while let Some(front) = self.recent.front() {
            let beyond = front.at_ms <= kept_after
                || (front.at_ms <= needed_after && self.recent.len() > RETAIN_EXTRA);
            if !beyond {
                break;
            }
            self.recent.pop_front();
        }
        let over =
            |spent: Amount, cap: Amount| spent.checked_add(micros).map_or(true, |sum| sum > cap);
        let exceeded = |limit: &'static str, spent: Amount, cap: Amount, retry_after_ms| {
            Error::BudgetExceeded {
                limit,
                remaining: cap
                    .checked_sub(spent)
                    .unwrap_or(Amount::ZERO)
                    .format_units(6),
                retry_after_ms,
            }
        };
        if let Some(cap) = limits.total
            && over(self.total, cap)
        {
            return Err(exceeded("total", self.total, cap, None));
        }
        let at_origin = self.per_origin.get(origin).copied().unwrap_or_default();
        if let Some(cap) = limits.per_origin
            && over(at_origin, cap)
        {
            return Err(exceeded("perOrigin", at_origin, cap, None));
        }
        if let Some((window_ms, cap)) = limits.window {
            let after = now_ms.saturating_sub(window_ms);
            // Committed payments are in time order: those in the window are a suffix.
            let first = self.recent.partition_point(|e| e.at_ms <= after);
            let committed = match (self.recent.get(first), self.recent.back()) {
                (Some(first), Some(last)) => last
                    .running
                    .checked_sub(first.running)
                    .unwrap_or_default()
                    .checked_add(first.micros)?,
                _ => Amount::ZERO,
            };
            let in_window = self
                .open
                .values()
                .map(|(_, micros)| *micros)
                .try_fold(committed, Amount::checked_add)?;
            if over(in_window, cap) {
                let needed = in_window.checked_add(micros)?;
                let retry = self.frees_in(first, needed, cap, window_ms, now_ms);
                return Err(exceeded("window", in_window, cap, retry));
            }
        }
        self.next += 1;
        let id = ReservationId(self.next);
        self.total = self.total.checked_add(micros)?;
        // Only origins that cost something are kept, and only for a limit per origin:
        // declined and non-dollar payments, and payments to ever new origins with no
        // such limit, must not grow the ledger.
        let counted = micros != Amount::ZERO && self.by_origin;
        if counted {
            let origin_total = self.per_origin.entry(origin.to_owned()).or_default();
            *origin_total = origin_total.checked_add(micros)?;
        }
        self.open
            .insert(id, (counted.then(|| origin.to_owned()), micros));
        Ok(id)
    }

    /// Brings the committed payments stamped after `now_ms` back to it: after the clock
    /// stepped back (an NTP correction, where the ledger runs on the wall clock), a payment
    /// stamped "in the future" would count in every window until the clock caught up with
    /// it, for as long as the step.
    fn clock_at(&mut self, now_ms: u64) {
        for entry in self.recent.iter_mut().rev() {
            if entry.at_ms <= now_ms {
                break;
            }
            entry.at_ms = now_ms;
        }
    }

    /// In how many milliseconds enough of the committed payments in a window (from
    /// `first` in `recent`) leave it for `needed` (what it counts plus the payment) to
    /// fit under `cap`; `None` when what would be left, open reservations included,
    /// is still too much.
    fn frees_in(
        &self,
        first: usize,
        needed: Amount,
        cap: Amount,
        window_ms: u64,
        now_ms: u64,
    ) -> Option<u64> {
        let mut excess = needed.checked_sub(cap)?;
        for entry in self.recent.iter().skip(first) {
            match excess.checked_sub(entry.micros) {
                Some(rest) if rest != Amount::ZERO => excess = rest,
                // This one leaving is enough: it leaves when its window has passed.
                _ => return Some((entry.at_ms + window_ms).saturating_sub(now_ms)),
            }
        }
        None
    }

    /// Keeps a reservation as spent (the payment settled, or may have), counted by
    /// the window from `now_ms`.
    pub fn commit(&mut self, id: ReservationId, now_ms: u64) {
        let Some((_, micros)) = self.open.remove(&id) else {
            return;
        };
        // In order: none committed earlier is stamped later than now.
        self.clock_at(now_ms);
        let before = self.recent.back().map_or(Amount::ZERO, |last| last.running);
        self.recent.push_back(Entry {
            micros,
            at_ms: now_ms,
            // Past 2^256 micro-dollars in all: never, but the sum must not wrap.
            running: before.checked_add(micros).unwrap_or(before),
        });
    }

    /// Gives a reservation back (the payment failed without settling).
    pub fn release(&mut self, id: ReservationId) {
        let Some((origin, micros)) = self.open.remove(&id) else {
            return;
        };
        self.total = self.total.checked_sub(micros).unwrap_or_default();
        let Some(origin) = origin else {
            return;
        };
        if let Some(spent) = self.per_origin.get_mut(&origin) {
            *spent = spent.checked_sub(micros).unwrap_or_default();
            if *spent == Amount::ZERO {
                self.per_origin.remove(&origin);
            }
        }
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
mod tests;
#[cfg(test)]
mod tests_ledger;
