//! Payments made under a caller's `paymentId` (the x402 `payment-identifier`
//! extension), kept by one paying fetch while they are valid: a later call with the
//! same id for the same purchase (method and URL) and requirement sends the same signed payment again,
//! which can never be charged twice (its nonce, or its transaction, is single-use),
//! so a server that deduplicates ids answers it with what the first one bought.

use std::collections::{HashSet, VecDeque};

/// How many payments are kept; past that the oldest goes.
const MAX_KEPT: usize = 256;

/// One payment sent under a caller's id.
struct Sent {
    id: String,
    /// The method and URL paid for.
    purchase: String,
    /// The requirement it pays, as the server wrote it (JSON text).
    requirement: String,
    /// The payment header: name and value.
    header: (&'static str, String),
    /// The wallet it is paid from (an address, or `None` when unknown).
    payer: Option<String>,
    /// Unix seconds after which it is no longer sent again.
    valid_until: u64,
}

/// The payments one paying fetch made under caller-given ids.
#[derive(Default)]
pub(crate) struct SentPayments {
    sent: VecDeque<Sent>,
    /// The ids a call is paying under right now (asking, signing, sending).
    paying: HashSet<String>,
}

impl SentPayments {
    /// Keeps the payment sent under `id` for `requirement` (JSON text) of `purchase`,
    /// replacing an earlier one under the same id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn keep(
        &mut self,
        id: &str,
        purchase: &str,
        requirement: String,
        header: (&'static str, String),
        payer: Option<String>,
        valid_until: u64,
        now: u64,
    ) {
        self.sent.retain(|s| s.id != id && s.valid_until > now);
        if self.sent.len() >= MAX_KEPT {
            self.sent.pop_front();
        }
        self.sent.push_back(Sent {
            id: id.to_owned(),
            purchase: purchase.to_owned(),
            requirement,
            header,
            payer,
            valid_until,
        });
    }

    /// Marks `id` as being paid under; false when a call already is.
    pub(crate) fn start(&mut self, id: &str) -> bool {
        self.paying.insert(id.to_owned())
    }

    /// The call paying under `id` has ended.
    pub(crate) fn end(&mut self, id: &str) {
        self.paying.remove(id);
    }

    /// Forgets the payment made under `id`: the server refused it, it is spent or void.
    pub(crate) fn forget(&mut self, id: &str) {
        self.sent.retain(|s| s.id != id);
    }

    /// The header of the payment made under `id` for the same purchase and requirement,
    /// while it is valid, and the wallet it is paid from.
    pub(crate) fn find(
        &self,
        id: &str,
        purchase: &str,
        requirement: &str,
        now: u64,
    ) -> Option<((&'static str, String), Option<String>)> {
        self.sent
            .iter()
            .find(|s| {
                s.id == id
                    && s.purchase == purchase
                    && s.requirement == requirement
                    && now < s.valid_until
            })
            .map(|s| (s.header.clone(), s.payer.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "agent_task_0000000042";
    const GET: &str = "GET https://api.example/weather";
    const PAYER: Option<String> = None;

    fn header(n: u32) -> (&'static str, String) {
        ("PAYMENT-SIGNATURE", format!("payment-{n}"))
    }

    #[test]
    fn a_payment_is_sent_again_only_for_the_same_id_purchase_and_terms_while_valid() {
        let mut sent = SentPayments::default();
        sent.keep(
            ID,
            GET,
            "{\"amount\":\"1\"}".into(),
            header(1),
            PAYER,
            100,
            10,
        );
        assert_eq!(
            sent.find(ID, GET, "{\"amount\":\"1\"}", 99),
            Some((header(1), PAYER))
        );
        assert_eq!(
            sent.find(ID, GET, "{\"amount\":\"1\"}", 100),
            None,
            "expired"
        );
        assert_eq!(
            sent.find("another_task_00000001", GET, "{\"amount\":\"1\"}", 50),
            None
        );
        assert_eq!(
            sent.find(
                ID,
                "POST https://api.example/weather",
                "{\"amount\":\"1\"}",
                50
            ),
            None
        );
        assert_eq!(sent.find(ID, GET, "{\"amount\":\"2\"}", 50), None);
        // A new payment under the id replaces the old one; a refused one is forgotten.
        sent.keep(
            ID,
            GET,
            "{\"amount\":\"1\"}".into(),
            header(2),
            Some("0xA1".into()),
            200,
            20,
        );
        assert_eq!(
            sent.find(ID, GET, "{\"amount\":\"1\"}", 150),
            Some((header(2), Some("0xA1".into())))
        );
        sent.forget(ID);
        assert_eq!(sent.find(ID, GET, "{\"amount\":\"1\"}", 150), None);
    }

    #[test]
    fn one_call_at_a_time_pays_under_an_id() {
        let mut sent = SentPayments::default();
        assert!(sent.start(ID));
        assert!(!sent.start(ID));
        assert!(sent.start("another_task_00000001"));
        sent.end(ID);
        assert!(sent.start(ID));
    }

    #[test]
    fn at_most_max_kept_payments_are_kept_the_oldest_going_first() {
        let mut sent = SentPayments::default();
        for n in 0..=MAX_KEPT as u32 {
            sent.keep(
                &format!("task_{n:016}"),
                GET,
                "{}".into(),
                header(n),
                PAYER,
                1_000,
                0,
            );
        }
        assert_eq!(sent.sent.len(), MAX_KEPT);
        assert_eq!(sent.find("task_0000000000000000", GET, "{}", 1), None);
        assert_eq!(
            sent.find(&format!("task_{MAX_KEPT:016}"), GET, "{}", 1),
            Some((header(MAX_KEPT as u32), PAYER))
        );
    }
}
