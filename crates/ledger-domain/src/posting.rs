//! What a journal write does to account counters, and the overdraft check.
//!
//! Adapters call these inside their atomic unit of work, so the rules live here
//! once: which counters move, and which accounts must be checked (only those
//! whose *available* balance a write decreases and that have a limit).

use std::collections::BTreeMap;

use bigdecimal::{BigDecimal, Signed};

use crate::account::{BalanceCounters, NormalBalance, within_floor};
use crate::error::LedgerError;
use crate::ids::AccountId;
use crate::transaction::Transaction;

/// The signed change a write makes to each account's counters, in account-id
/// order (the order adapters lock in, so concurrent writes cannot deadlock).
pub fn counter_deltas(before: Option<&Transaction>, after: &Transaction) -> BTreeMap<AccountId, BalanceCounters> {
    let mut deltas: BTreeMap<AccountId, BalanceCounters> = BTreeMap::new();
    if let Some(before) = before {
        for e in before.entries() {
            deltas
                .entry(e.account_id)
                .or_default()
                .apply(before.status(), e.direction, &e.amount, false);
        }
    }
    for e in after.entries() {
        deltas
            .entry(e.account_id)
            .or_default()
            .apply(after.status(), e.direction, &e.amount, true);
    }
    deltas
}

/// Whether applying `delta` lowers an account's available balance.
pub fn lowers_available(normal: NormalBalance, delta: &BalanceCounters) -> bool {
    delta.available(normal).is_negative()
}

/// Refuses a write that would take the account's available balance below its
/// floor (−overdraft limit). A write that does not lower the available balance
/// always passes, so a hold can always be released and money always received.
pub fn check_limit(
    account_id: AccountId,
    normal: NormalBalance,
    floor: Option<&BigDecimal>,
    current: &BalanceCounters,
    delta: &BalanceCounters,
) -> Result<(), LedgerError> {
    if floor.is_none() || !lowers_available(normal, delta) {
        return Ok(());
    }
    let mut after = current.clone();
    after.add(delta);
    if within_floor(&after.available(normal), floor) {
        Ok(())
    } else {
        Err(LedgerError::InsufficientFunds { account_id })
    }
}
