//! Property tests: random sequences of wallet operations, holds, posts,
//! archives and reversals, with every invariant checked after every step.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use bigdecimal::BigDecimal;
use ledger_domain::posting::counter_deltas;
use ledger_domain::service::OperationOptions;
use ledger_domain::{Account, AccountId, BalanceCounters, InitialStatus, LedgerError, TransactionId};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::invariants::{all_accounts, check_balances, check_wallet_ledger};
use crate::*;

const WALLETS: usize = 5;

#[derive(Debug, Clone)]
pub enum Op {
    Deposit {
        wallet: usize,
        cents: u32,
        hold: bool,
    },
    Transfer {
        from: usize,
        to: usize,
        cents: u32,
        hold: bool,
    },
    Withdraw {
        wallet: usize,
        cents: u32,
        hold: bool,
    },
    Post(usize),
    Archive(usize),
    Reverse(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let w = 0..WALLETS;
    let cents = 1u32..=60_000;
    prop_oneof![
        3 => (w.clone(), cents.clone(), any::<bool>()).prop_map(|(wallet, cents, hold)| Op::Deposit { wallet, cents, hold }),
        4 => (w.clone(), w.clone(), cents.clone(), any::<bool>()).prop_map(|(from, to, cents, hold)| Op::Transfer { from, to, cents, hold }),
        3 => (w, cents, any::<bool>()).prop_map(|(wallet, cents, hold)| Op::Withdraw { wallet, cents, hold }),
        2 => any::<usize>().prop_map(Op::Post),
        1 => any::<usize>().prop_map(Op::Archive),
        2 => any::<usize>().prop_map(Op::Reverse),
    ]
}

fn cents(c: u32) -> String {
    BigDecimal::new(c.into(), 2).to_string()
}

fn options(hold: bool) -> OperationOptions {
    OperationOptions {
        status: if hold {
            InitialStatus::Pending
        } else {
            InitialStatus::Posted
        },
        ..Default::default()
    }
}

fn counters(accounts: &[Account]) -> BTreeMap<AccountId, BalanceCounters> {
    accounts.iter().map(|a| (a.id, a.counters.clone())).collect()
}

/// Runs one operation. `Ok(Some(id))` when a transaction was created; refusals
/// the rules allow (insufficient funds, transfer to self, a transition or
/// reversal not allowed from the current state) are `Ok(None)`.
fn apply<S: LedgerStore>(
    svc: &Service<S>,
    l: &Ledger,
    wallets: &[AccountId],
    created: &[TransactionId],
    op: &Op,
) -> Result<Option<TransactionId>, TestCaseError> {
    let pick = |i: usize| created.get(i % created.len().max(1)).copied();
    let result = match op {
        Op::Deposit { wallet, cents: c, hold } => {
            let mut d = deposit_op(l, wallets[*wallet], &cents(*c));
            d.options = options(*hold);
            svc.deposit(d)
        }
        Op::Transfer {
            from,
            to,
            cents: c,
            hold,
        } => {
            let mut t = transfer_op(l, wallets[*from], wallets[*to], &cents(*c));
            t.options = options(*hold);
            svc.transfer(t)
        }
        Op::Withdraw { wallet, cents: c, hold } => {
            let mut w = withdrawal_op(l, wallets[*wallet], &cents(*c));
            w.options = options(*hold);
            svc.withdraw(w)
        }
        Op::Post(i) | Op::Archive(i) | Op::Reverse(i) => {
            let Some(id) = pick(*i) else { return Ok(None) };
            match op {
                Op::Post(_) => svc.post_transaction(id),
                Op::Archive(_) => svc.archive_transaction(id),
                _ => reverse_and_check(svc, l, id),
            }
        }
    };
    match result {
        Ok(t) => Ok(Some(t.id())),
        Err(
            LedgerError::InsufficientFunds { .. }
            | LedgerError::InvalidTransition { .. }
            | LedgerError::AlreadyReversed { .. }
            | LedgerError::NotReversible { .. }
            | LedgerError::ExternalIdTaken(_)
            | LedgerError::Validation { .. },
        ) => Ok(None),
        Err(e) => Err(TestCaseError::fail(format!("{op:?} failed unexpectedly: {e:?}"))),
    }
}

/// Reverses and checks that every touched account's counters moved back by
/// exactly the original's effect (other threads may move other accounts).
fn reverse_and_check<S: LedgerStore>(
    svc: &Service<S>,
    l: &Ledger,
    id: TransactionId,
) -> Result<ledger_domain::Transaction, LedgerError> {
    let original = svc.get_transaction(id)?;
    let reversal = svc.reverse_transaction(id, None)?;
    let original_effect = counter_deltas(None, &original);
    let reversal_effect = counter_deltas(None, &reversal);
    for (account, delta) in &original_effect {
        let mut sum = delta.clone();
        sum.add(&reversal_effect[account]);
        let zero = BigDecimal::from(0);
        assert!(
            sum.posted_debits == sum.posted_credits
                && sum.pending_debits == zero
                && sum.pending_credits == zero
                && delta.posted_debits == reversal_effect[account].posted_credits,
            "reversal of {id} does not undo its effect on {account} in ledger {}",
            l.id
        );
    }
    Ok(reversal)
}

fn cases<F: StoreFactory>(f: &F) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f.property_cases())
}

/// Single-threaded: invariants after every step, and an exact before/after
/// check around every reversal.
pub fn sequential<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let steps = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: cases(f),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 1..40), |ops| {
        let l = ledger(&svc);
        let wallets: Vec<AccountId> = (0..WALLETS).map(|i| wallet(&svc, &l, &format!("w{i}")).id).collect();
        let mut created = Vec::new();
        for op in &ops {
            let before = counters(&all_accounts(svc.store(), l.id));
            let outcome = apply(&svc, &l, &wallets, &created, op)?;
            steps.fetch_add(1, Ordering::Relaxed);
            if let (Op::Reverse(_), Some(_)) = (op, outcome) {
                // a reversal restores every balance: counters net of the pair are
                // those before the original plus nothing else
                let after = counters(&all_accounts(svc.store(), l.id));
                let reversal = svc
                    .get_transaction(outcome.unwrap_or(TransactionId(uuid::Uuid::nil())))
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let effect = counter_deltas(None, &reversal);
                for (id, b) in &before {
                    let mut expect = b.clone();
                    if let Some(d) = effect.get(id) {
                        expect.add(d);
                    }
                    prop_assert_eq!(
                        &after[id],
                        &expect,
                        "reversal moved account {} by more than its entries",
                        id
                    );
                }
            }
            if let Some(id) = outcome
                && !created.contains(&id)
            {
                created.push(id);
            }
            check_wallet_ledger(svc.store(), l.id).map_err(TestCaseError::fail)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "property (sequential): {} cases, {} steps",
        cases(f),
        steps.load(Ordering::Relaxed)
    );
}

/// Several threads at once on one ledger: each thread checks the trial balance
/// and limits after every step of its own; the full set at the end.
pub fn concurrent<F: StoreFactory>(f: &F) {
    let svc = Arc::new(service(f.store()));
    let steps = Arc::new(AtomicUsize::new(0));
    let threads = 4usize;
    let mut runner = TestRunner::new(Config {
        cases: cases(f).div_ceil(4).max(4),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(proptest::collection::vec(op(), 5..25), threads);
    let result = runner.run(&strategy, |per_thread| {
        let l = ledger(&svc);
        let wallets: Vec<AccountId> = (0..WALLETS).map(|i| wallet(&svc, &l, &format!("w{i}")).id).collect();
        for w in &wallets {
            deposit(&svc, &l, *w, "200.00");
        }
        let handles: Vec<_> = per_thread
            .into_iter()
            .map(|ops| {
                let (svc, l, wallets, steps) = (Arc::clone(&svc), l.clone(), wallets.clone(), Arc::clone(&steps));
                thread::spawn(move || -> Result<(), TestCaseError> {
                    let mut created = Vec::new();
                    for op in &ops {
                        if let Some(id) = apply(&svc, &l, &wallets, &created, op)? {
                            created.push(id);
                        }
                        steps.fetch_add(1, Ordering::Relaxed);
                        check_balances(&all_accounts(svc.store(), l.id)).map_err(TestCaseError::fail)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| TestCaseError::fail("a worker panicked"))??;
        }
        check_wallet_ledger(svc.store(), l.id).map_err(TestCaseError::fail)?;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "property (concurrent, {threads} threads): {} cases, {} steps",
        cases(f).div_ceil(4).max(4),
        steps.load(Ordering::Relaxed)
    );
}
