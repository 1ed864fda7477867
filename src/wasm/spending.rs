//! What paying fetches made with `shareBudgetWith` have in common: a registry from each
//! paying fetch (the function wrapFetch returned) to its ledger and its payments made
//! under callers' ids, so a later one can share them.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::convert::read;
use super::error::invalid_argument;
use crate::budget::Ledger;
use crate::resend::SentPayments;

/// What paying fetches made with `shareBudgetWith` share: the ledger, and the payments
/// made under callers' ids (a call under an id through the newer fetch sends the older
/// one's payment again, rather than paying a second time for the same purchase).
pub(super) struct Spending {
    pub(super) ledger: Weak<RefCell<Ledger>>,
    pub(super) sent: Weak<RefCell<SentPayments>>,
}

/// A shared ledger and the payments made under callers' ids.
pub(super) type Shared = (Rc<RefCell<Ledger>>, Rc<RefCell<SentPayments>>);

thread_local! {
    /// The spending of the paying fetches made so far, by id.
    static SPENDINGS: RefCell<Vec<(u32, Spending)>> = const { RefCell::new(Vec::new()) };
    static NEXT_SPENDING: Cell<u32> = const { Cell::new(0) };
    /// Each paying fetch (the function itself) to its spending's id: only the functions
    /// made here are found, not a look-alike or one from another copy of the package.
    static SPENDING_OF: js_sys::WeakMap = js_sys::WeakMap::new();
}

pub(super) fn register_spending(paying: &Function, spending: Spending) {
    let id = NEXT_SPENDING.with(|next| {
        next.set(next.get().wrapping_add(1));
        next.get()
    });
    SPENDINGS.with(|all| {
        let mut all = all.borrow_mut();
        all.retain(|(_, each)| each.ledger.strong_count() > 0);
        all.push((id, spending));
    });
    SPENDING_OF.with(|map| map.set(paying.unchecked_ref(), &id.into()));
}

/// `options.shareBudgetWith`: the spending of another paying fetch made by wrapFetch,
/// so that the payments of both count against the limits of each.
pub(super) fn shared_spending(options: &JsValue) -> Result<Option<Shared>, JsValue> {
    let other = read(options, "shareBudgetWith")?;
    if other.is_undefined() || other.is_null() {
        return Ok(None);
    }
    let id = match other.dyn_ref::<Object>() {
        Some(other) => SPENDING_OF.with(|map| map.get(other)).as_f64(),
        None => None,
    };
    let shared = id.and_then(|id| {
        SPENDINGS.with(|all| {
            let all = all.borrow();
            let (_, spending) = all.iter().find(|(each, _)| f64::from(*each) == id)?;
            Some((spending.ledger.upgrade()?, spending.sent.upgrade()?))
        })
    });
    shared.map(Some).ok_or_else(|| {
        invalid_argument("options.shareBudgetWith must be a paying fetch returned by wrapFetch")
    })
}
