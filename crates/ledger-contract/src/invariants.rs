//! The ledger invariants of the SPEC, checked from the outside through the port.

use std::collections::{BTreeMap, HashMap};

use bigdecimal::{BigDecimal, Signed};
use ledger_domain::account::within_floor;
use ledger_domain::ports::{AccountFilter, LedgerStore, PageRequest, TransactionFilter};
use ledger_domain::{Account, AccountId, AccountKind, BalanceCounters, Currency, LedgerId, Transaction};

pub fn all_accounts<S: LedgerStore>(store: &S, ledger_id: LedgerId) -> Vec<Account> {
    let mut out: Vec<Account> = Vec::new();
    loop {
        let page = store
            .list_accounts(&AccountFilter {
                ledger_id: Some(ledger_id),
                page: PageRequest {
                    limit: 100,
                    after: out.last().map(|a| a.id.0),
                },
                ..Default::default()
            })
            .expect("list accounts");
        let done = page.len() < 100;
        out.extend(page);
        if done {
            return out;
        }
    }
}

pub fn all_transactions<S: LedgerStore>(store: &S, ledger_id: LedgerId) -> Vec<Transaction> {
    let mut out: Vec<Transaction> = Vec::new();
    loop {
        let page = store
            .list_transactions(&TransactionFilter {
                ledger_id: Some(ledger_id),
                page: PageRequest {
                    limit: 100,
                    after: out.last().map(|t| t.id().0),
                },
                ..Default::default()
            })
            .expect("list transactions");
        let done = page.len() < 100;
        out.extend(page);
        if done {
            return out;
        }
    }
}

/// Trial balance zero per currency (posted and pending), no counter negative,
/// no available balance below its floor.
pub fn check_balances(accounts: &[Account]) -> Result<(), String> {
    let mut sums: BTreeMap<Currency, BalanceCounters> = BTreeMap::new();
    for a in accounts {
        if !a.counters.is_non_negative() {
            return Err(format!("account {} has a negative counter: {:?}", a.id, a.counters));
        }
        let available = a.balances().available.amount;
        if !within_floor(&available, a.floor().as_ref()) {
            return Err(format!(
                "account {} available {} is below its floor {:?}",
                a.id,
                available,
                a.floor()
            ));
        }
        sums.entry(a.currency).or_default().add(&a.counters);
    }
    for (currency, s) in sums {
        if s.posted_debits != s.posted_credits {
            return Err(format!(
                "posted trial balance in {currency} is off: debits {} credits {}",
                s.posted_debits, s.posted_credits
            ));
        }
        if s.pending_debits != s.pending_credits {
            return Err(format!(
                "pending trial balance in {currency} is off: debits {} credits {}",
                s.pending_debits, s.pending_credits
            ));
        }
    }
    Ok(())
}

/// With only the three wallet operations: cash = Σ wallets + fee revenue, for
/// the posted and the pending balance.
pub fn check_cash_equation(accounts: &[Account]) -> Result<(), String> {
    let mut per_currency: BTreeMap<Currency, [BigDecimal; 4]> = BTreeMap::new();
    for a in accounts {
        let b = a.balances();
        let slot = per_currency.entry(a.currency).or_default();
        let [cash_posted, other_posted, cash_pending, other_pending] = slot;
        match a.kind {
            AccountKind::Asset | AccountKind::Expense => {
                *cash_posted += &b.posted.amount;
                *cash_pending += &b.pending.amount;
            }
            _ => {
                *other_posted += &b.posted.amount;
                *other_pending += &b.pending.amount;
            }
        }
    }
    for (currency, [cp, op, cpe, ope]) in per_currency {
        if cp != op || cpe != ope {
            return Err(format!(
                "{currency}: cash {cp} / {cpe} ≠ wallets + revenue {op} / {ope}"
            ));
        }
    }
    Ok(())
}

/// Each account's counters equal the sums of its entries.
pub fn check_counters_match_entries(accounts: &[Account], transactions: &[Transaction]) -> Result<(), String> {
    let mut recomputed: HashMap<AccountId, BalanceCounters> = HashMap::new();
    for t in transactions {
        for e in t.entries() {
            recomputed
                .entry(e.account_id)
                .or_default()
                .apply(t.status(), e.direction, &e.amount, true);
        }
    }
    for a in accounts {
        let expected = recomputed.remove(&a.id).unwrap_or_default();
        let same = expected.posted_debits == a.counters.posted_debits
            && expected.posted_credits == a.counters.posted_credits
            && expected.pending_debits == a.counters.pending_debits
            && expected.pending_credits == a.counters.pending_credits;
        if !same {
            return Err(format!(
                "account {} counters {:?} ≠ entries {:?}",
                a.id, a.counters, expected
            ));
        }
    }
    if let Some((id, _)) = recomputed
        .into_iter()
        .find(|(_, c)| c.posted_debits.is_positive() || c.posted_credits.is_positive())
    {
        return Err(format!("entries name account {id} that is not listed"));
    }
    Ok(())
}

/// Every invariant of a ledger that only saw wallet operations.
pub fn check_wallet_ledger<S: LedgerStore>(store: &S, ledger_id: LedgerId) -> Result<(), String> {
    let accounts = all_accounts(store, ledger_id);
    check_balances(&accounts)?;
    check_cash_equation(&accounts)?;
    let transactions = all_transactions(store, ledger_id);
    check_counters_match_entries(&accounts, &transactions)
}
