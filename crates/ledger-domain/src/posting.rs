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

/// Which balance a condition bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceKind {
    Pending,
    Posted,
    Available,
}

crate::text_names!(BalanceKind { Pending => "pending", Posted => "posted", Available => "available" });

/// How a balance is compared with a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

crate::text_names!(BoundOp { Gt => "gt", Gte => "gte", Lt => "lt", Lte => "lte", Eq => "eq" });

/// A bound on one of an account's balances after the posting.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceBound {
    pub balance: BalanceKind,
    pub op: BoundOp,
    pub value: BigDecimal,
}

/// What must hold of one account for a posting to be stored, checked
/// atomically with it (Modern Treasury's `lock_version` and balance
/// constraints on ledger entries).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountCondition {
    /// The account's `version` must still be this before the posting.
    pub lock_version: Option<i64>,
    /// Each must hold of the balance after the posting.
    pub bounds: Vec<BalanceBound>,
}

/// Refuses a write when the account's version before it is not the expected
/// one, or a balance after it breaks a bound (`ConditionFailed`).
pub fn check_condition(
    account_id: AccountId,
    normal: NormalBalance,
    version: i64,
    current: &BalanceCounters,
    delta: &BalanceCounters,
    condition: &AccountCondition,
) -> Result<(), LedgerError> {
    if let Some(expected) = condition.lock_version
        && expected != version
    {
        return Err(LedgerError::ConditionFailed {
            account_id,
            detail: format!("lock_version is {version}, not {expected}"),
        });
    }
    let mut after = current.clone();
    after.add(delta);
    let balances = after.balances(normal);
    for bound in &condition.bounds {
        let amount = match bound.balance {
            BalanceKind::Pending => &balances.pending.amount,
            BalanceKind::Posted => &balances.posted.amount,
            BalanceKind::Available => &balances.available.amount,
        };
        let holds = match bound.op {
            BoundOp::Gt => amount > &bound.value,
            BoundOp::Gte => amount >= &bound.value,
            BoundOp::Lt => amount < &bound.value,
            BoundOp::Lte => amount <= &bound.value,
            BoundOp::Eq => amount == &bound.value,
        };
        if !holds {
            return Err(LedgerError::ConditionFailed {
                account_id,
                detail: format!(
                    "{} balance would be {amount}, not {} {}",
                    bound.balance.as_str(),
                    bound.op.as_str(),
                    bound.value
                ),
            });
        }
    }
    Ok(())
}
