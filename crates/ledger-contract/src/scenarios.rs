//! The contract scenarios. Each takes a factory, opens ledgers of its own and
//! asserts what every adapter must answer.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use chrono::{Duration, Utc};
use ledger_domain::category::NewCategory;
use ledger_domain::ports::{StatementCursor, TransactionFilter};
use ledger_domain::service::{OperationOptions, SystemAccount};
use ledger_domain::{
    AccountKind, BalanceCounters, CategoryMember, Currency, Direction, EntryDraft, InitialStatus, LedgerError,
    NewAccount, NormalBalance, OverdraftLimit, TransactionDraft, TransactionStatus,
};

use crate::invariants::{all_transactions, check_wallet_ledger};
use crate::*;

fn pending() -> OperationOptions {
    OperationOptions {
        status: InitialStatus::Pending,
        ..Default::default()
    }
}

fn cash_of<S: LedgerStore>(svc: &Service<S>, ledger: &Ledger) -> Account {
    svc.system_account(ledger, SystemAccount::Cash, usd()).unwrap()
}

fn revenue_of<S: LedgerStore>(svc: &Service<S>, ledger: &Ledger) -> Account {
    svc.system_account(ledger, SystemAccount::WithdrawalFees, usd())
        .unwrap()
}

pub fn deposit_credits_the_wallet_and_debits_cash<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "alice");
    let t = deposit(&svc, &l, w.id, "1000");
    assert_eq!(t.status(), TransactionStatus::Posted);
    assert_eq!(t.metadata()["transaction_type"], "deposit");
    assert_eq!(posted(&svc, w.id), "1000.00");
    let cash = cash_of(&svc, &l);
    assert_eq!(cash.code.as_deref(), Some("cash:USD"));
    assert_eq!(posted(&svc, cash.id), "1000.00");
    assert_eq!(svc.get_account(w.id).unwrap().version, 1);
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn withdrawal_books_the_two_percent_fee_to_revenue<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "alice");
    deposit(&svc, &l, w.id, "1000.00");
    let t = svc.withdraw(withdrawal_op(&l, w.id, "100.00")).unwrap();
    assert_eq!(t.entries().len(), 3);
    assert_eq!(t.metadata()["transaction_type"], "withdrawal");
    assert_eq!(posted(&svc, w.id), "900.00");
    assert_eq!(posted(&svc, cash_of(&svc, &l).id), "902.00");
    let revenue = revenue_of(&svc, &l);
    assert_eq!(revenue.code.as_deref(), Some("revenue:withdrawal_fees:USD"));
    assert_eq!(posted(&svc, revenue.id), "2.00");
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn withdrawal_of_one_cent_has_no_fee_entry<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "alice");
    deposit(&svc, &l, w.id, "1.00");
    let t = svc.withdraw(withdrawal_op(&l, w.id, "0.01")).unwrap();
    assert_eq!(t.entries().len(), 2, "a zero fee produces no revenue entry");
    assert_eq!(posted(&svc, w.id), "0.99");
    assert_eq!(posted(&svc, cash_of(&svc, &l).id), "0.99");
}

pub fn withdrawal_rounds_a_half_cent_fee_up<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "alice");
    deposit(&svc, &l, w.id, "1.00");
    svc.withdraw(withdrawal_op(&l, w.id, "0.25")).unwrap();
    assert_eq!(posted(&svc, revenue_of(&svc, &l).id), "0.01");
    assert_eq!(posted(&svc, cash_of(&svc, &l).id), "0.76");
}

pub fn transfer_moves_money_between_wallets<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "main"), wallet(&svc, &l, "card"));
    deposit(&svc, &l, a.id, "900.00");
    let t = svc.transfer(transfer_op(&l, a.id, b.id, "200.00")).unwrap();
    assert_eq!(t.metadata()["transaction_type"], "transfer");
    assert_eq!(posted(&svc, a.id), "700.00");
    assert_eq!(posted(&svc, b.id), "200.00");
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn transfer_to_self_is_refused<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let a = wallet(&svc, &l, "main");
    deposit(&svc, &l, a.id, "10.00");
    let err = svc.transfer(transfer_op(&l, a.id, a.id, "1.00")).unwrap_err();
    assert!(matches!(err, LedgerError::Validation { .. }), "{err:?}");
}

pub fn currency_mismatch_is_refused<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let a = wallet(&svc, &l, "usd");
    let e = account(&svc, &l, "eur", AccountKind::Liability, Currency::parse("EUR").unwrap());
    deposit(&svc, &l, a.id, "10.00");
    let err = svc.transfer(transfer_op(&l, a.id, e.id, "1.00")).unwrap_err();
    assert!(matches!(err, LedgerError::CurrencyMismatch { .. }), "{err:?}");
    let mut op = deposit_op(&l, a.id, "1.00");
    op.amount = ledger_domain::money::Amount::parse("1.00", Currency::parse("EUR").unwrap()).unwrap();
    assert!(matches!(svc.deposit(op), Err(LedgerError::CurrencyMismatch { .. })));
    assert_eq!(posted(&svc, a.id), "10.00");
}

pub fn insufficient_funds_writes_nothing<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a"), wallet(&svc, &l, "b"));
    deposit(&svc, &l, a.id, "50.00");
    let before = all_transactions(svc.store(), l.id).len();
    let err = svc.transfer(transfer_op(&l, a.id, b.id, "50.01")).unwrap_err();
    assert!(
        matches!(err, LedgerError::InsufficientFunds { account_id } if account_id == a.id),
        "{err:?}"
    );
    let err = svc.withdraw(withdrawal_op(&l, a.id, "60.00")).unwrap_err();
    assert!(matches!(err, LedgerError::InsufficientFunds { .. }));
    assert_eq!(all_transactions(svc.store(), l.id).len(), before);
    assert_eq!(posted(&svc, a.id), "50.00");
    assert_eq!(posted(&svc, b.id), "0.00");
    assert_eq!(svc.get_account(a.id).unwrap().version, 1);
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn overdraft_limit_allows_exactly_the_limit<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let credit_line = svc
        .create_account(NewAccount {
            ledger_id: l.id,
            name: "credit line".into(),
            code: Some("credit-line".into()),
            kind: AccountKind::Liability,
            normal_balance: None,
            currency: usd(),
            identity_id: None,
            overdraft_limit: Some(OverdraftLimit::Limited(dec("100"))),
            metadata: Default::default(),
        })
        .unwrap();
    assert_eq!(credit_line.overdraft_limit, Some(dec("100.00")));
    let other = wallet(&svc, &l, "other");
    svc.transfer(transfer_op(&l, credit_line.id, other.id, "100.00"))
        .unwrap();
    assert_eq!(posted(&svc, credit_line.id), "-100.00");
    let err = svc
        .transfer(transfer_op(&l, credit_line.id, other.id, "0.01"))
        .unwrap_err();
    assert!(matches!(err, LedgerError::InsufficientFunds { .. }));
}

pub fn pending_deposit_counts_in_pending_but_not_posted_or_available<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "ach");
    let mut op = deposit_op(&l, w.id, "500.00");
    op.options = pending();
    let t = svc.deposit(op).unwrap();
    assert_eq!(t.status(), TransactionStatus::Pending);
    assert_eq!(t.posted_at(), None);
    let b = svc.get_account(w.id).unwrap().balances();
    assert_eq!(b.pending.amount, dec("500.00"));
    assert_eq!(b.posted.amount, dec("0"));
    assert_eq!(b.available.amount, dec("0"));
    let posted_t = svc.post_transaction(t.id()).unwrap();
    assert_eq!(posted_t.status(), TransactionStatus::Posted);
    assert!(posted_t.posted_at().is_some());
    let b = svc.get_account(w.id).unwrap().balances();
    assert_eq!(
        (
            b.posted.amount.clone(),
            b.pending.amount.clone(),
            b.available.amount.clone()
        ),
        (dec("500"), dec("500"), dec("500"))
    );
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn pending_withdrawal_holds_available_funds<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    deposit(&svc, &l, w.id, "100.00");
    let mut op = withdrawal_op(&l, w.id, "80.00");
    op.options = pending();
    svc.withdraw(op).unwrap();
    let b = svc.get_account(w.id).unwrap().balances();
    assert_eq!(b.posted.amount, dec("100"));
    assert_eq!(b.available.amount, dec("20"));
    let err = svc.withdraw(withdrawal_op(&l, w.id, "30.00")).unwrap_err();
    assert!(
        matches!(err, LedgerError::InsufficientFunds { .. }),
        "the hold must count"
    );
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn archiving_a_hold_releases_it<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    deposit(&svc, &l, w.id, "100.00");
    let mut op = withdrawal_op(&l, w.id, "80.00");
    op.options = pending();
    let hold = svc.withdraw(op).unwrap();
    let archived = svc.archive_transaction(hold.id()).unwrap();
    assert_eq!(archived.status(), TransactionStatus::Archived);
    let b = svc.get_account(w.id).unwrap().balances();
    assert_eq!(
        (
            b.posted.amount.clone(),
            b.pending.amount.clone(),
            b.available.amount.clone()
        ),
        (dec("100"), dec("100"), dec("100"))
    );
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn a_posted_transaction_cannot_be_posted_or_archived_again<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let t = deposit(&svc, &l, w.id, "10.00");
    assert!(matches!(
        svc.post_transaction(t.id()),
        Err(LedgerError::InvalidTransition { .. })
    ));
    assert!(matches!(
        svc.archive_transaction(t.id()),
        Err(LedgerError::InvalidTransition { .. })
    ));
    let mut op = deposit_op(&l, w.id, "5.00");
    op.options = pending();
    let p = svc.deposit(op).unwrap();
    svc.post_transaction(p.id()).unwrap();
    assert!(matches!(
        svc.post_transaction(p.id()),
        Err(LedgerError::InvalidTransition { .. })
    ));
    assert_eq!(posted(&svc, w.id), "15.00");
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn an_archived_transaction_cannot_be_posted<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let mut op = deposit_op(&l, w.id, "5.00");
    op.options = pending();
    let p = svc.deposit(op).unwrap();
    svc.archive_transaction(p.id()).unwrap();
    assert!(matches!(
        svc.post_transaction(p.id()),
        Err(LedgerError::InvalidTransition { .. })
    ));
    assert!(matches!(
        svc.reverse_transaction(p.id(), None),
        Err(LedgerError::NotReversible { .. })
    ));
    assert_eq!(svc.get_account(w.id).unwrap().balances().pending.amount, dec("0"));
    let missing = ledger_domain::TransactionId(uuid::Uuid::now_v7());
    assert!(matches!(
        svc.post_transaction(missing),
        Err(LedgerError::NotFound { .. })
    ));
}

pub fn reversal_restores_every_balance_and_links_both_ways<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    deposit(&svc, &l, w.id, "100.00");
    let snapshot = |svc: &Service<F::Store>| {
        crate::invariants::all_accounts(svc.store(), l.id)
            .into_iter()
            .map(|a| (a.id, a.balances()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let before = snapshot(&svc);
    let t = svc.withdraw(withdrawal_op(&l, w.id, "100.00")).unwrap();
    let r = svc.reverse_transaction(t.id(), None).unwrap();
    assert_eq!(r.reverses_id(), Some(t.id()));
    assert_eq!(r.status(), TransactionStatus::Posted);
    for (orig, rev) in t.entries().iter().zip(r.entries()) {
        assert_eq!(orig.direction.opposite(), rev.direction);
        assert_eq!(orig.amount, rev.amount);
    }
    assert_eq!(svc.get_transaction(t.id()).unwrap().reversed_by_id(), Some(r.id()));
    let after = snapshot(&svc);
    for (id, b) in &before {
        assert_eq!(after[id].posted.amount, b.posted.amount, "account {id}");
        assert_eq!(after[id].available.amount, b.available.amount, "account {id}");
    }
    // the fee revenue account was created by the withdrawal: back to zero
    assert_eq!(posted(&svc, revenue_of(&svc, &l).id), "0.00");
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn a_transaction_is_reversed_at_most_once<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let t = deposit(&svc, &l, w.id, "10.00");
    let r = svc.reverse_transaction(t.id(), None).unwrap();
    assert!(matches!(
        svc.reverse_transaction(t.id(), None),
        Err(LedgerError::AlreadyReversed { .. })
    ));
    // concurrent second reversals: exactly zero more succeed
    let t2 = deposit(&svc, &l, w.id, "10.00").id();
    let svc = Arc::new(svc);
    let wins: usize = (0..4)
        .map(|_| {
            let svc = Arc::clone(&svc);
            thread::spawn(move || svc.reverse_transaction(t2, None).is_ok())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| usize::from(h.join().unwrap()))
        .sum();
    assert_eq!(wins, 1);
    // reversing the reversal is allowed (it is a posted transaction) and nets to zero
    svc.reverse_transaction(r.id(), None).unwrap();
    assert_eq!(posted(&svc, w.id), "10.00");
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn reversal_that_would_overdraw_is_refused<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a"), wallet(&svc, &l, "b"));
    let d = deposit(&svc, &l, a.id, "10.00");
    svc.transfer(transfer_op(&l, a.id, b.id, "10.00")).unwrap();
    let err = svc.reverse_transaction(d.id(), None).unwrap_err();
    assert!(matches!(err, LedgerError::InsufficientFunds { .. }), "{err:?}");
    assert_eq!(svc.get_transaction(d.id()).unwrap().reversed_by_id(), None);
}

pub fn duplicate_external_id_is_a_conflict_until_archived<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let mut op = deposit_op(&l, w.id, "10.00");
    op.options.external_id = Some("ach-1".into());
    op.options.status = InitialStatus::Pending;
    let first = svc.deposit(op.clone()).unwrap();
    assert!(matches!(svc.deposit(op.clone()), Err(LedgerError::ExternalIdTaken(_))));
    // another ledger may use the same external id
    let l2 = ledger(&svc);
    let w2 = wallet(&svc, &l2, "w");
    let mut op2 = deposit_op(&l2, w2.id, "1.00");
    op2.options.external_id = Some("ach-1".into());
    svc.deposit(op2).unwrap();
    svc.archive_transaction(first.id()).unwrap();
    svc.deposit(op).unwrap();
    assert_eq!(all_transactions(svc.store(), l.id).len(), 2);
}

pub fn unbalanced_and_short_transactions_never_exist<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (
        wallet(&svc, &l, "a"),
        account(&svc, &l, "cash", AccountKind::Asset, usd()),
    );
    let line = |id, direction, amount: &str| EntryDraft {
        account_id: id,
        direction,
        amount: dec(amount),
        currency: None,
    };
    let draft = |entries| TransactionDraft {
        entries,
        ..Default::default()
    };
    let err = svc
        .create_transaction(
            l.id,
            draft(vec![
                line(b.id, Direction::Debit, "10"),
                line(a.id, Direction::Credit, "9.99"),
            ]),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, LedgerError::Unbalanced { .. }), "{err:?}");
    let err = svc
        .create_transaction(l.id, draft(vec![line(b.id, Direction::Debit, "10")]), None)
        .unwrap_err();
    assert!(matches!(err, LedgerError::Validation { .. }));
    let err = svc
        .create_transaction(
            l.id,
            draft(vec![
                line(b.id, Direction::Debit, "0"),
                line(a.id, Direction::Credit, "0"),
            ]),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, LedgerError::Validation { .. }));
    let err = svc
        .create_transaction(
            l.id,
            draft(vec![
                line(b.id, Direction::Debit, "1.001"),
                line(a.id, Direction::Credit, "1.001"),
            ]),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, LedgerError::Validation { .. }));
    let missing = ledger_domain::AccountId(uuid::Uuid::now_v7());
    let err = svc
        .create_transaction(
            l.id,
            draft(vec![
                line(b.id, Direction::Debit, "1"),
                line(missing, Direction::Credit, "1"),
            ]),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, LedgerError::NotFound { .. }));
    assert!(all_transactions(svc.store(), l.id).is_empty());
    let ok = svc
        .create_transaction(
            l.id,
            draft(vec![
                line(b.id, Direction::Debit, "10"),
                line(a.id, Direction::Credit, "7.50"),
                line(a.id, Direction::Credit, "2.50"),
            ]),
            None,
        )
        .unwrap();
    assert_eq!(ok.entries().len(), 3);
    assert_eq!(posted(&svc, a.id), "10.00");
}

pub fn entries_on_another_ledgers_accounts_are_refused<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let (l1, l2) = (ledger(&svc), ledger(&svc));
    let a = account(&svc, &l1, "cash", AccountKind::Asset, usd());
    let b = wallet(&svc, &l2, "w");
    let draft = TransactionDraft {
        entries: vec![
            EntryDraft {
                account_id: a.id,
                direction: Direction::Debit,
                amount: dec("1"),
                currency: None,
            },
            EntryDraft {
                account_id: b.id,
                direction: Direction::Credit,
                amount: dec("1"),
                currency: None,
            },
        ],
        ..Default::default()
    };
    assert!(matches!(
        svc.create_transaction(l1.id, draft, None),
        Err(LedgerError::CrossLedger)
    ));
    let w1 = wallet(&svc, &l1, "w1");
    deposit(&svc, &l1, w1.id, "1");
    let err = svc.transfer(transfer_op(&l1, w1.id, b.id, "1")).unwrap_err();
    assert!(matches!(err, LedgerError::Validation { .. }), "{err:?}");
}

pub fn multi_currency_transaction_balances_per_currency<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let eur = Currency::parse("EUR").unwrap();
    let (cu, wu) = (
        account(&svc, &l, "cash usd", AccountKind::Asset, usd()),
        wallet(&svc, &l, "usd"),
    );
    let (ce, we) = (
        account(&svc, &l, "cash eur", AccountKind::Asset, eur),
        account(&svc, &l, "eur", AccountKind::Liability, eur),
    );
    let line = |id, direction, amount: &str, currency| EntryDraft {
        account_id: id,
        direction,
        amount: dec(amount),
        currency: Some(currency),
    };
    let unbalanced = TransactionDraft {
        entries: vec![
            line(cu.id, Direction::Debit, "10", usd()),
            line(we.id, Direction::Credit, "10", eur),
        ],
        ..Default::default()
    };
    assert!(matches!(
        svc.create_transaction(l.id, unbalanced, None),
        Err(LedgerError::Unbalanced { .. })
    ));
    let wrong_currency = TransactionDraft {
        entries: vec![
            line(cu.id, Direction::Debit, "10", eur),
            line(wu.id, Direction::Credit, "10", usd()),
        ],
        ..Default::default()
    };
    assert!(matches!(
        svc.create_transaction(l.id, wrong_currency, None),
        Err(LedgerError::CurrencyMismatch { .. })
    ));
    let ok = TransactionDraft {
        entries: vec![
            line(cu.id, Direction::Debit, "10", usd()),
            line(wu.id, Direction::Credit, "10", usd()),
            line(ce.id, Direction::Debit, "9", eur),
            line(we.id, Direction::Credit, "9", eur),
        ],
        ..Default::default()
    };
    svc.create_transaction(l.id, ok, None).unwrap();
    assert_eq!(posted(&svc, we.id), "9.00");
}

pub fn system_accounts_are_created_once_per_currency<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    deposit(&svc, &l, w.id, "10");
    deposit(&svc, &l, w.id, "10");
    let e = account(&svc, &l, "eur", AccountKind::Liability, Currency::parse("EUR").unwrap());
    let mut op = deposit_op(&l, e.id, "5");
    op.amount = ledger_domain::money::Amount::parse("5", Currency::parse("EUR").unwrap()).unwrap();
    svc.deposit(op).unwrap();
    let codes: Vec<String> = crate::invariants::all_accounts(svc.store(), l.id)
        .into_iter()
        .filter_map(|a| a.code)
        .collect();
    assert_eq!(codes.iter().filter(|c| *c == "cash:USD").count(), 1);
    assert_eq!(codes.iter().filter(|c| *c == "cash:EUR").count(), 1);
    let cash = cash_of(&svc, &l);
    assert_eq!(
        (cash.kind, cash.normal_balance, cash.overdraft_limit.clone()),
        (AccountKind::Asset, NormalBalance::Debit, None)
    );
    let revenue = revenue_of(&svc, &l);
    assert_eq!(
        (revenue.kind, revenue.normal_balance),
        (AccountKind::Revenue, NormalBalance::Credit)
    );
}

pub fn account_codes_are_unique_per_ledger<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let (l1, l2) = (ledger(&svc), ledger(&svc));
    let new = |l: &Ledger| NewAccount {
        ledger_id: l.id,
        name: "reserve".into(),
        code: Some("bank:reserve".into()),
        kind: AccountKind::Asset,
        normal_balance: None,
        currency: usd(),
        identity_id: None,
        overdraft_limit: None,
        metadata: Default::default(),
    };
    svc.create_account(new(&l1)).unwrap();
    assert!(matches!(svc.create_account(new(&l1)), Err(LedgerError::CodeTaken(_))));
    svc.create_account(new(&l2)).unwrap();
    let mut reserved = new(&l1);
    reserved.code = Some("cash:USD".into());
    assert!(matches!(
        svc.create_account(reserved),
        Err(LedgerError::Validation { .. })
    ));
}

pub fn category_balance_aggregates_members_sign_adjusted<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a"), wallet(&svc, &l, "b"));
    deposit(&svc, &l, a.id, "100");
    deposit(&svc, &l, b.id, "50");
    svc.withdraw(withdrawal_op(&l, b.id, "10")).unwrap();
    let new = |name: &str, normal| NewCategory {
        ledger_id: l.id,
        name: name.into(),
        description: None,
        currency: usd(),
        normal_balance: normal,
        metadata: Default::default(),
    };
    let users = svc
        .create_category(new("User balances", NormalBalance::Credit))
        .unwrap();
    svc.add_category_member(users.id, CategoryMember::Account(a.id))
        .unwrap();
    svc.add_category_member(users.id, CategoryMember::Account(b.id))
        .unwrap();
    svc.add_category_member(users.id, CategoryMember::Account(b.id))
        .unwrap();
    let (_, balances) = svc.category_balances(users.id).unwrap();
    assert_eq!(balances.posted.amount, dec("140.00"));
    // a debit-normal parent holding the user category and cash: cash − users
    let net = svc.create_category(new("Net", NormalBalance::Debit)).unwrap();
    svc.add_category_member(net.id, CategoryMember::Category(users.id))
        .unwrap();
    svc.add_category_member(net.id, CategoryMember::Account(cash_of(&svc, &l).id))
        .unwrap();
    let (_, balances) = svc.category_balances(net.id).unwrap();
    assert_eq!(
        balances.posted.amount,
        dec("0.20"),
        "cash 140.20 − users 140.00 (fee revenue is not a member)"
    );
    let eur_wallet = account(&svc, &l, "eur", AccountKind::Liability, Currency::parse("EUR").unwrap());
    assert!(matches!(
        svc.add_category_member(users.id, CategoryMember::Account(eur_wallet.id)),
        Err(LedgerError::CurrencyMismatch { .. })
    ));
    assert_eq!(svc.category_members(users.id).unwrap().len(), 2);
}

pub fn category_cycles_are_refused<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let new = |name: &str| NewCategory {
        ledger_id: l.id,
        name: name.into(),
        description: None,
        currency: usd(),
        normal_balance: NormalBalance::Credit,
        metadata: Default::default(),
    };
    let (a, b, c) = (
        svc.create_category(new("a")).unwrap(),
        svc.create_category(new("b")).unwrap(),
        svc.create_category(new("c")).unwrap(),
    );
    svc.add_category_member(a.id, CategoryMember::Category(b.id)).unwrap();
    svc.add_category_member(b.id, CategoryMember::Category(c.id)).unwrap();
    for (parent, child) in [(c.id, a.id), (a.id, a.id), (c.id, b.id)] {
        let err = svc
            .add_category_member(parent, CategoryMember::Category(child))
            .unwrap_err();
        assert!(matches!(err, LedgerError::Validation { .. }), "{err:?}");
    }
    svc.add_category_member(a.id, CategoryMember::Category(c.id)).unwrap();
}

pub fn backdated_transaction_changes_as_of_balance_only_after_its_effective_time<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let now = Utc::now();
    let ten_days_ago = ledger_domain::ports::truncate_to_micros(now - Duration::days(10));
    let mut op = deposit_op(&l, w.id, "30.00");
    op.options.effective_at = Some(ten_days_ago);
    svc.deposit(op).unwrap();
    deposit(&svc, &l, w.id, "5.00");
    let amount_at = |t| svc.balances_as_of(w.id, t).unwrap().1.posted.amount;
    assert_eq!(amount_at(now - Duration::days(11)), dec("0"));
    assert_eq!(amount_at(ten_days_ago), dec("30.00"), "inclusive at its effective time");
    assert_eq!(amount_at(now - Duration::days(1)), dec("30.00"));
    assert_eq!(amount_at(now + Duration::seconds(5)), dec("35.00"));
    assert_eq!(posted(&svc, w.id), "35.00");
}

/// As-of balances against a replay of the stored entries, at every instant
/// that matters: postings spread over several days (at midnight, just before
/// it, several on one day), pending, posted and archived ones; each balance as
/// of each instant equals the sum of the entries effective by then under their
/// current status (`BalanceCounters::apply`, the domain's one definition).
pub fn as_of_balances_equal_a_replay_of_the_entries_at_every_instant<F: StoreFactory>(f: &F) {
    use chrono::{DurationRound, TimeZone};
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let midnight = Utc::now().duration_trunc(Duration::days(1)).unwrap() - Duration::days(6);
    let at = |days: i64, micros: i64| midnight + Duration::days(days) + Duration::microseconds(micros);
    let mut pending = Vec::new();
    for (i, (when, amount, hold)) in [
        (at(0, 0), "10.00", false),
        (at(0, 1), "1.00", true),
        (at(1, -1), "2.00", false),
        (at(1, 0), "3.00", true),
        (at(1, 3_600_000_000), "4.00", false),
        (at(3, 7), "5.00", true),
        (at(5, 0), "6.00", false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut op = deposit_op(&l, w.id, amount);
        op.options.effective_at = Some(when);
        if hold {
            op.options.status = InitialStatus::Pending;
        }
        let t = svc.deposit(op).unwrap();
        if hold {
            pending.push((i, t.id()));
        }
        // a back-dated withdrawal too, on a day already holding entries
        if i == 4 {
            let mut op = withdrawal_op(&l, w.id, "1.50");
            op.options.effective_at = Some(at(0, 2));
            svc.withdraw(op).unwrap();
        }
    }
    // one hold posted, one archived, one left pending
    svc.post_transaction(pending[0].1).unwrap();
    svc.archive_transaction(pending[1].1).unwrap();
    let stored = all_transactions(svc.store(), l.id);
    let replay = |t: chrono::DateTime<Utc>| {
        let mut c = BalanceCounters::default();
        for tx in stored.iter().filter(|tx| tx.effective_at() <= t) {
            for e in tx.entries().iter().filter(|e| e.account_id == w.id) {
                c.apply(tx.status(), e.direction, &e.amount, true);
            }
        }
        c.balances(w.normal_balance)
    };
    let mut probes = vec![Utc.timestamp_opt(0, 0).unwrap(), Utc::now() + Duration::days(1)];
    for tx in &stored {
        for d in [-1, 0, 1] {
            probes.push(tx.effective_at() + Duration::microseconds(d));
        }
    }
    for day in 0..7 {
        for d in [-1, 0, 1] {
            probes.push(at(day, d));
        }
    }
    for t in probes {
        let (_, balances) = svc.balances_as_of(w.id, t).unwrap();
        assert_eq!(balances, replay(t), "as of {t}");
    }
}

pub fn statement_pages_carry_a_running_balance<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (w, other) = (wallet(&svc, &l, "w"), wallet(&svc, &l, "o"));
    for amount in ["10", "20", "30"] {
        deposit(&svc, &l, w.id, amount);
    }
    svc.transfer(transfer_op(&l, w.id, other.id, "15")).unwrap();
    let first = svc.statement(w.id, None, 2).unwrap();
    let running: Vec<String> = first.lines.iter().map(|l| l.running_balance.to_string()).collect();
    assert_eq!(running, ["10.00", "30.00"]);
    let next: StatementCursor = first.next.clone().unwrap();
    let second = svc.statement(w.id, Some(next), 2).unwrap();
    let running: Vec<String> = second.lines.iter().map(|l| l.running_balance.to_string()).collect();
    assert_eq!(running, ["60.00", "45.00"]);
    assert_eq!(second.lines[1].entry.direction, Direction::Debit);
    assert!(second.next.is_none());
}

pub fn transactions_filter_by_metadata_status_and_account<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a"), wallet(&svc, &l, "b"));
    let mut op = deposit_op(&l, a.id, "10");
    op.options.metadata.insert("user".into(), "a".into());
    svc.deposit(op).unwrap();
    let mut op = deposit_op(&l, b.id, "10");
    op.options.metadata.insert("user".into(), "b".into());
    op.options.status = InitialStatus::Pending;
    svc.deposit(op).unwrap();
    let list = |filter: TransactionFilter| {
        svc.list_transactions(TransactionFilter {
            ledger_id: Some(l.id),
            ..filter
        })
        .unwrap()
    };
    let only_a = list(TransactionFilter {
        metadata: vec![("user".into(), "a".into())],
        ..Default::default()
    });
    assert_eq!(only_a.len(), 1);
    assert_eq!(only_a[0].entries()[1].account_id, a.id);
    assert_eq!(
        list(TransactionFilter {
            status: Some(TransactionStatus::Pending),
            ..Default::default()
        })
        .len(),
        1
    );
    assert_eq!(
        list(TransactionFilter {
            account_id: Some(b.id),
            ..Default::default()
        })
        .len(),
        1
    );
    assert_eq!(
        list(TransactionFilter {
            metadata: vec![("transaction_type".into(), "deposit".into())],
            ..Default::default()
        })
        .len(),
        2
    );
    let future = Utc::now() + Duration::hours(1);
    assert_eq!(
        list(TransactionFilter {
            effective_from: Some(future),
            ..Default::default()
        })
        .len(),
        0
    );
    assert_eq!(
        list(TransactionFilter {
            effective_to: Some(future),
            ..Default::default()
        })
        .len(),
        2
    );
    let page1 = list(TransactionFilter {
        page: ledger_domain::ports::PageRequest { limit: 1, after: None },
        ..Default::default()
    });
    let page2 = list(TransactionFilter {
        page: ledger_domain::ports::PageRequest {
            limit: 1,
            after: Some(page1[0].id().0),
        },
        ..Default::default()
    });
    assert_eq!(page2.len(), 1);
    assert_ne!(page1[0].id(), page2[0].id());
}

/// Threads × transfers over a few wallets, same wallets on both sides.
pub fn concurrent_transfers_never_overdraw<F: StoreFactory>(f: &F) {
    let svc = Arc::new(service(f.store()));
    let l = ledger(&svc);
    let wallets: Vec<Account> = (0..4).map(|i| wallet(&svc, &l, &format!("w{i}"))).collect();
    for w in &wallets {
        deposit(&svc, &l, w.id, "100.00");
    }
    let ids: Vec<_> = wallets.iter().map(|w| w.id).collect();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let (svc, l, ids) = (Arc::clone(&svc), l.clone(), ids.clone());
            thread::spawn(move || {
                let mut ok = 0usize;
                for i in 0..40usize {
                    let from = ids[(t + i) % ids.len()];
                    let to = ids[(t + i + 1 + i % 2) % ids.len()];
                    let r = if i % 5 == 0 {
                        svc.withdraw(withdrawal_op(&l, from, "7.77"))
                    } else {
                        svc.transfer(transfer_op(&l, from, to, "33.33"))
                    };
                    match r {
                        Ok(_) => ok += 1,
                        Err(LedgerError::InsufficientFunds { .. }) => {}
                        Err(e) => panic!("unexpected error {e:?}"),
                    }
                }
                ok
            })
        })
        .collect();
    let acknowledged: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let stored = all_transactions(svc.store(), l.id).len();
    assert_eq!(
        stored,
        acknowledged + wallets.len(),
        "every acknowledged posting stored exactly once"
    );
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

pub fn concurrent_system_account_creation_yields_one_account<F: StoreFactory>(f: &F) {
    let svc = Arc::new(service(f.store()));
    let l = ledger(&svc);
    let ids: HashSet<_> = (0..6)
        .map(|_| {
            let (svc, l) = (Arc::clone(&svc), l.clone());
            thread::spawn(move || svc.system_account(&l, SystemAccount::Cash, usd()).unwrap().id)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
}

pub fn random_operation_sequences_keep_every_invariant<F: StoreFactory>(f: &F) {
    crate::properties::sequential(f);
}

pub fn random_operations_from_several_threads_keep_every_invariant<F: StoreFactory>(f: &F) {
    crate::properties::concurrent(f);
}

pub fn idempotency_records_complete_with_the_posting<F: StoreFactory>(f: &F)
where
    F::Store: ledger_domain::access::IdempotencyStore + ledger_domain::access::ApiKeyStore,
{
    use ledger_domain::access::{ApiKeyStore, Claim, IdempotencyMark, IdempotencyStore, StoredBody, StoredResponse};
    let store = f.store();
    let key = test_key();
    store.insert_api_key(&key).unwrap();
    let svc = service(store.clone());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let mark = IdempotencyMark {
        api_key_id: key.id,
        key: "k-1".into(),
        token: uuid::Uuid::now_v7(),
        answer_status: 201,
    };
    let now = ledger_domain::ports::truncate_to_micros(Utc::now());
    assert_eq!(store.claim(&mark, "hash-a", now).unwrap(), Claim::Fresh);
    assert!(matches!(
        store.claim(&mark, "hash-a", now).unwrap(),
        Claim::InFlight { lease_until } if lease_until == now + ledger_domain::access::CLAIM_LEASE
    ));
    assert_eq!(store.claim(&mark, "hash-b", now).unwrap(), Claim::Mismatch);
    let mut op = deposit_op(&l, w.id, "10.00");
    op.options.idempotency = Some(mark.clone());
    let t = svc.deposit(op).unwrap();
    match store.claim(&mark, "hash-a", now).unwrap() {
        Claim::Completed(StoredResponse {
            status: 201,
            body: StoredBody::Transaction(v),
        }) => {
            let replayed: ledger_domain::Transaction = serde_json::from_value(v).unwrap();
            assert_eq!(replayed, t);
        }
        other => panic!("expected the stored transaction, got {other:?}"),
    }
    // a released claim can be taken again; a rendered response is kept as is
    let other = IdempotencyMark {
        api_key_id: mark.api_key_id,
        key: "k-2".into(),
        token: uuid::Uuid::now_v7(),
        answer_status: 201,
    };
    assert_eq!(store.claim(&other, "h", now).unwrap(), Claim::Fresh);
    store.release(&other).unwrap();
    assert_eq!(store.claim(&other, "h", now).unwrap(), Claim::Fresh);
    let rendered = StoredResponse {
        status: 422,
        body: StoredBody::Rendered(serde_json::json!({"type": "insufficient_funds"})),
    };
    store.complete(&other, &rendered).unwrap();
    assert_eq!(store.claim(&other, "h", now).unwrap(), Claim::Completed(rendered));
}

/// The server died between claiming a key and posting: the claim is never
/// answered. A retry within the lease waits; after it, the retry takes the
/// claim over and posts exactly once, and the dead claimant's posting, should it
/// still arrive, stores nothing.
pub fn a_dead_claim_is_taken_over_by_a_retry_that_posts_once<F: StoreFactory>(f: &F)
where
    F::Store: ledger_domain::access::IdempotencyStore + ledger_domain::access::ApiKeyStore,
{
    use ledger_domain::access::{ApiKeyStore, CLAIM_LEASE, Claim, IdempotencyMark, IdempotencyStore};
    let store = f.store();
    let key = test_key();
    store.insert_api_key(&key).unwrap();
    let svc = service(store.clone());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let mark = |token| IdempotencyMark {
        api_key_id: key.id,
        key: "pay-1".into(),
        token,
        answer_status: 201,
    };
    let t0 = ledger_domain::ports::truncate_to_micros(Utc::now());
    let dead = mark(uuid::Uuid::now_v7());
    assert_eq!(store.claim(&dead, "h", t0).unwrap(), Claim::Fresh);
    // ... the claimant is killed here; its retry arrives:
    let retry = mark(uuid::Uuid::now_v7());
    assert!(matches!(
        store.claim(&retry, "h", t0 + CLAIM_LEASE).unwrap(),
        Claim::InFlight { .. }
    ));
    let later = t0 + CLAIM_LEASE + chrono::TimeDelta::milliseconds(1);
    assert_eq!(store.claim(&retry, "h", later).unwrap(), Claim::Fresh);
    // the dead claimant's posting cannot land any more
    let mut late = deposit_op(&l, w.id, "10.00");
    late.options.idempotency = Some(dead.clone());
    assert!(matches!(svc.deposit(late), Err(LedgerError::IdempotencyClaimLost)));
    assert!(matches!(
        store.complete(
            &dead,
            &ledger_domain::access::transaction_snapshot(&deposit(&svc, &l, w.id, "1.00"), &dead).unwrap()
        ),
        Err(LedgerError::IdempotencyClaimLost)
    ));
    store.release(&dead).unwrap(); // a no-op: not its claim
    let mut op = deposit_op(&l, w.id, "10.00");
    op.options.idempotency = Some(retry.clone());
    let t = svc.deposit(op.clone()).unwrap();
    // once completed, the key answers the stored posting, whoever asks
    assert!(matches!(
        store.claim(&mark(uuid::Uuid::now_v7()), "h", later).unwrap(),
        Claim::Completed(_)
    ));
    // and a second posting under the completed claim stores nothing
    assert!(matches!(svc.deposit(op), Err(LedgerError::IdempotencyClaimLost)));
    let stored: Vec<_> = svc
        .list_transactions(ledger_domain::ports::TransactionFilter {
            ledger_id: Some(l.id),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .filter(|x| x.entries().iter().any(|e| e.amount == dec("10.00")))
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id(), t.id());
    assert_eq!(posted(&svc, w.id), "11.00");
}

pub fn api_keys_are_found_by_hash_listed_and_revoked_once<F: StoreFactory>(f: &F)
where
    F::Store: ledger_domain::access::ApiKeyStore,
{
    use ledger_domain::access::ApiKeyStore;
    let store = f.store();
    let before = store.count_api_keys().unwrap();
    let key = test_key();
    store.insert_api_key(&key).unwrap();
    assert_eq!(store.find_api_key(&key.key_hash).unwrap(), Some(key.clone()));
    assert_eq!(store.find_api_key("nope").unwrap(), None);
    assert_eq!(store.count_api_keys().unwrap(), before + 1);

    // listed in id order, in pages; revoked once (the first time stays)
    let second = test_key();
    store.insert_api_key(&second).unwrap();
    let all = store
        .list_api_keys(&ledger_domain::ports::PageRequest {
            limit: 1000,
            after: None,
        })
        .unwrap();
    let ids: Vec<_> = all.iter().map(|k| k.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert!(all.contains(&key) && all.contains(&second));
    let after_first = store
        .list_api_keys(&ledger_domain::ports::PageRequest {
            limit: 1,
            after: Some(key.id),
        })
        .unwrap();
    assert_eq!(after_first, vec![second.clone()]);
    let at = ledger_domain::ports::truncate_to_micros(Utc::now());
    let revoked = store.revoke_api_key(key.id, at).unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at));
    let again = store
        .revoke_api_key(key.id, at + Duration::seconds(5))
        .unwrap()
        .unwrap();
    assert_eq!(again.revoked_at, Some(at), "the first revocation's time stays");
    assert_eq!(store.find_api_key(&key.key_hash).unwrap(), Some(revoked));
    assert_eq!(store.find_api_key(&second.key_hash).unwrap(), Some(second));
    assert_eq!(store.revoke_api_key(uuid::Uuid::now_v7(), at).unwrap(), None);
}

fn test_key() -> ledger_domain::access::ApiKey {
    use ledger_domain::access::{ApiKey, Scope};
    ApiKey {
        id: uuid::Uuid::now_v7(),
        name: "ci".into(),
        prefix: "wlk_abcd".into(),
        key_hash: format!("hash-{}", uuid::Uuid::now_v7()),
        scope: Scope::Write,
        created_at: ledger_domain::ports::truncate_to_micros(Utc::now()),
        revoked_at: None,
    }
}

/// Every account of the ledger, read through a fresh query.
fn accounts_by_id<S: LedgerStore>(svc: &Service<S>, ledger: &Ledger) -> std::collections::BTreeMap<AccountId, Account> {
    crate::invariants::all_accounts(svc.store(), ledger.id)
        .into_iter()
        .map(|a| (a.id, a))
        .collect()
}

/// After a write: the transaction read back equals what the write answered,
/// field by field, and every account of the ledger equals its state before the
/// write plus exactly that write's effect (counters and version); untouched
/// accounts are unchanged.
fn assert_reads_back<S: LedgerStore>(
    svc: &Service<S>,
    ledger: &Ledger,
    before: &std::collections::BTreeMap<AccountId, Account>,
    previous: Option<&Transaction>,
    written: &Transaction,
) {
    assert_eq!(
        &svc.get_transaction(written.id()).unwrap(),
        written,
        "transaction read back"
    );
    let deltas = ledger_domain::posting::counter_deltas(previous, written);
    let after = accounts_by_id(svc, ledger);
    for (id, now) in &after {
        let mut expected = match before.get(id) {
            Some(a) => a.clone(),
            // a system account created by this write, at zero before it
            None => Account {
                counters: Default::default(),
                version: 0,
                ..now.clone()
            },
        };
        if let Some(delta) = deltas.get(id) {
            expected.counters.add(delta);
            expected.version += 1;
        }
        assert_eq!(now, &expected, "account {} read back after {}", now.name, written.id());
        assert_eq!(svc.get_account(*id).unwrap(), expected, "single read of {}", now.name);
    }
    for id in deltas.keys() {
        assert!(after.contains_key(id), "touched account {id} missing");
    }
}

/// Reads back after every kind of write: record (posted and pending), post,
/// archive, reverse, and each wallet operation — including a debit-normal
/// account with a finite overdraft limit, taken exactly to its limit and then
/// refused by one cent with nothing written.
pub fn every_write_reads_back_as_answered<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w1 = wallet(&svc, &l, "w1");
    let w2 = wallet(&svc, &l, "w2");
    let reserve = svc
        .create_account(NewAccount {
            ledger_id: l.id,
            name: "Reserve".into(),
            code: Some("bank:reserve".into()),
            kind: AccountKind::Asset,
            normal_balance: None,
            currency: usd(),
            identity_id: None,
            overdraft_limit: Some(OverdraftLimit::Limited(dec("50.00"))),
            metadata: ledger_domain::Metadata::from_iter([("bank".to_owned(), serde_json::json!("acme"))]),
        })
        .unwrap();
    assert_eq!(reserve.normal_balance, NormalBalance::Debit);
    assert_eq!(
        svc.get_account(reserve.id).unwrap(),
        reserve,
        "account read back as created"
    );
    let line = |id, direction, amount: &str| EntryDraft {
        account_id: id,
        direction,
        amount: dec(amount),
        currency: None,
    };
    let step = |write: &dyn Fn() -> Result<Transaction, LedgerError>, previous: Option<&Transaction>| {
        let before = accounts_by_id(&svc, &l);
        let written = write().unwrap_or_else(|e| {
            let names: Vec<_> = before.values().map(|a| (a.id, a.name.clone(), a.balances())).collect();
            panic!("{e:?} with {names:#?}")
        });
        assert_reads_back(&svc, &l, &before, previous, &written);
        written
    };

    let mut op = deposit_op(&l, w1.id, "100.00");
    op.options.description = Some("top-up".into());
    op.options.external_id = Some("dep-1".into());
    op.options.effective_at = Some(ledger_domain::ports::truncate_to_micros(Utc::now() - Duration::days(3)));
    op.options.metadata.insert("user".into(), serde_json::json!("u1"));
    step(&|| svc.deposit(op.clone()), None);
    let transfer = step(&|| svc.transfer(transfer_op(&l, w1.id, w2.id, "30.00")), None);
    step(&|| svc.withdraw(withdrawal_op(&l, w2.id, "10.00")), None);

    // the debit-normal reserve: crediting it lowers its available balance,
    // which may reach −50.00 and no further
    let to_limit = TransactionDraft {
        entries: vec![
            line(w1.id, Direction::Debit, "50.00"),
            line(reserve.id, Direction::Credit, "50.00"),
        ],
        description: Some("sweep".into()),
        ..Default::default()
    };
    step(&|| svc.create_transaction(l.id, to_limit.clone(), None), None);
    assert_eq!(
        svc.get_account(reserve.id).unwrap().balances().available.amount,
        dec("-50.00")
    );
    let before = accounts_by_id(&svc, &l);
    for status in [InitialStatus::Posted, InitialStatus::Pending] {
        let one_more = TransactionDraft {
            entries: vec![
                line(w1.id, Direction::Debit, "0.01"),
                line(reserve.id, Direction::Credit, "0.01"),
            ],
            status,
            ..Default::default()
        };
        assert!(matches!(
            svc.create_transaction(l.id, one_more, None),
            Err(LedgerError::InsufficientFunds { account_id }) if account_id == reserve.id
        ));
        assert_eq!(accounts_by_id(&svc, &l), before, "a refused posting writes nothing");
    }
    // debiting it raises its available balance again
    let back_in = TransactionDraft {
        entries: vec![
            line(reserve.id, Direction::Debit, "20.00"),
            line(w1.id, Direction::Credit, "20.00"),
        ],
        ..Default::default()
    };
    step(&|| svc.create_transaction(l.id, back_in.clone(), None), None);

    // a hold, then posted; another hold, then archived
    let mut hold_op = withdrawal_op(&l, w1.id, "20.00");
    hold_op.options = pending();
    let hold = step(&|| svc.withdraw(hold_op.clone()), None);
    step(&|| svc.post_transaction(hold.id()), Some(&hold));
    let mut hold_op = transfer_op(&l, w2.id, w1.id, "5.00");
    hold_op.options = pending();
    let hold = step(&|| svc.transfer(hold_op.clone()), None);
    step(&|| svc.archive_transaction(hold.id()), Some(&hold));

    // a reversal: read back with its link, and the original with the other link
    step(&|| svc.deposit(deposit_op(&l, w2.id, "20.00")), None);
    let reversal = step(&|| svc.reverse_transaction(transfer.id(), None), None);
    assert_eq!(reversal.reverses_id(), Some(transfer.id()));
    let original = svc.get_transaction(transfer.id()).unwrap();
    assert_eq!(original, transfer.mark_reversed_by(&reversal).unwrap());
    assert_eq!(original.reversed_by_id(), Some(reversal.id()));
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

/// The wallet operations act on wallets only; anything else is refused with
/// `NotAWallet` naming the field, and nothing is written.
pub fn wallet_operations_refuse_accounts_that_are_not_wallets<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    deposit(&svc, &l, w.id, "100.00");
    withdraw_all_fees(&svc, &l, w.id);
    let cash = cash_of(&svc, &l);
    let revenue = revenue_of(&svc, &l);
    let equity = account(&svc, &l, "owner", AccountKind::Equity, usd());
    let contra = svc
        .create_account(NewAccount {
            ledger_id: l.id,
            name: "contra liability".into(),
            code: None,
            kind: AccountKind::Liability,
            normal_balance: Some(NormalBalance::Debit),
            currency: usd(),
            identity_id: None,
            overdraft_limit: None,
            metadata: Default::default(),
        })
        .unwrap();
    let before = accounts_by_id(&svc, &l);
    let count = all_transactions(svc.store(), l.id).len();
    let refused = |r: Result<Transaction, LedgerError>, field: &str| match r {
        Err(LedgerError::NotAWallet { field: f, .. }) => assert_eq!(f, field),
        other => panic!("expected NotAWallet on {field}, got {other:?}"),
    };
    for not_wallet in [cash.id, revenue.id, equity.id, contra.id] {
        refused(
            svc.transfer(transfer_op(&l, not_wallet, w.id, "1.00")),
            "from_wallet_id",
        );
        refused(svc.transfer(transfer_op(&l, w.id, not_wallet, "1.00")), "to_wallet_id");
        refused(svc.withdraw(withdrawal_op(&l, not_wallet, "1.00")), "wallet_id");
        refused(svc.deposit(deposit_op(&l, not_wallet, "1.00")), "wallet_id");
    }
    // a cash account must be an asset
    let mut op = deposit_op(&l, w.id, "1.00");
    op.cash_account_id = Some(equity.id);
    assert!(matches!(svc.deposit(op), Err(LedgerError::Validation { .. })));
    assert_eq!(accounts_by_id(&svc, &l), before);
    assert_eq!(all_transactions(svc.store(), l.id).len(), count);
}

fn withdraw_all_fees<S: LedgerStore>(svc: &Service<S>, l: &Ledger, w: AccountId) {
    // creates revenue:withdrawal_fees:USD
    svc.withdraw(withdrawal_op(l, w, "10.00")).unwrap();
}

fn available<S: LedgerStore>(svc: &Service<S>, id: AccountId) -> BigDecimal {
    svc.get_account(id).unwrap().balances().available.amount
}

/// `overdraft_allowed` lets the named accounts of one posting pass their limit;
/// the next posting without it is refused again, and an account outside the
/// transaction cannot be named.
pub fn allow_overdraft_belongs_to_one_posting_only<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a"), wallet(&svc, &l, "b"));
    let line = |id, direction, amount: &str| EntryDraft {
        account_id: id,
        direction,
        amount: dec(amount),
        currency: None,
    };
    let draft = |allowed: Vec<AccountId>| TransactionDraft {
        entries: vec![
            line(a.id, Direction::Debit, "30.00"),
            line(b.id, Direction::Credit, "30.00"),
        ],
        overdraft_allowed: allowed.into_iter().collect(),
        ..Default::default()
    };
    assert!(matches!(
        svc.create_transaction(l.id, draft(vec![]), None),
        Err(LedgerError::InsufficientFunds { .. })
    ));
    // allowing the other account does not help
    assert!(matches!(
        svc.create_transaction(l.id, draft(vec![b.id]), None),
        Err(LedgerError::InsufficientFunds { .. })
    ));
    let t = svc.create_transaction(l.id, draft(vec![a.id]), None).unwrap();
    assert_eq!(svc.get_transaction(t.id()).unwrap(), t);
    assert_eq!(posted(&svc, a.id), "-30.00");
    assert_eq!(
        svc.get_account(a.id).unwrap().overdraft_limit,
        Some(dec("0")),
        "the limit itself is unchanged"
    );
    // the permission was this posting's only
    let mut op = transfer_op(&l, a.id, b.id, "0.01");
    assert!(matches!(
        svc.transfer(op.clone()),
        Err(LedgerError::InsufficientFunds { .. })
    ));
    op.options.overdraft_allowed = true;
    svc.transfer(op).unwrap();
    assert_eq!(posted(&svc, a.id), "-30.01");
    let stranger = wallet(&svc, &l, "c");
    assert!(matches!(
        svc.create_transaction(l.id, draft(vec![stranger.id]), None),
        Err(LedgerError::Validation { .. })
    ));
    // (a is below its limit by permission: the limit invariant does not apply)
    assert_eq!(posted(&svc, b.id), "30.01");
}

/// A hold posted in parts: balances exact after every step, each step read
/// back, the remainder posted or released, nothing posted twice.
pub fn a_pending_transaction_posts_in_parts<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a"), wallet(&svc, &l, "b"));
    deposit(&svc, &l, a.id, "100.00");
    let mut op = transfer_op(&l, a.id, b.id, "60.00");
    op.options = pending();
    op.options.external_id = Some("hold-1".into());
    let hold = svc.transfer(op).unwrap();
    assert_eq!(available(&svc, a.id), dec("40.00"));
    let part = |amount: &str| {
        vec![
            (a.id, Direction::Debit, dec(amount)),
            (b.id, Direction::Credit, dec(amount)),
        ]
    };

    let before = accounts_by_id(&svc, &l);
    let first = svc
        .partial_post_transaction(hold.id(), part("25.00"), ledger_domain::Rest::Hold, None)
        .unwrap();
    assert_eq!(first.status(), TransactionStatus::Posted);
    assert_eq!(first.partial_of(), Some(hold.id()));
    assert_eq!(svc.get_transaction(first.id()).unwrap(), first);
    assert_eq!(
        svc.get_transaction(hold.id()).unwrap().status(),
        TransactionStatus::Archived
    );
    let rest = svc.current_hold(hold.id()).unwrap().unwrap();
    assert_eq!(
        (rest.status(), rest.partial_of()),
        (TransactionStatus::Pending, Some(hold.id()))
    );
    assert_eq!(rest.entries()[0].amount, dec("35.00"));
    let after = accounts_by_id(&svc, &l);
    assert_eq!(after[&a.id].balances().posted.amount, dec("75.00"));
    assert_eq!(
        after[&a.id].balances().available.amount,
        dec("40.00"),
        "still held: 35.00"
    );
    assert_eq!(after[&b.id].balances().posted.amount, dec("25.00"));
    assert_eq!(after[&b.id].balances().pending.amount, dec("60.00"));
    // three stored changes touch it: the hold archived, the part posted, the rest held
    assert_eq!(after[&a.id].version, before[&a.id].version + 3);
    // the original's reference still finds it
    assert_eq!(
        svc.find_transaction_by_external_id(l.id, "hold-1")
            .unwrap()
            .unwrap()
            .id(),
        hold.id()
    );

    // the original is no longer pending; more than is held is refused
    assert!(matches!(
        svc.partial_post_transaction(hold.id(), part("1.00"), ledger_domain::Rest::Hold, None),
        Err(LedgerError::InvalidTransition { .. })
    ));
    let snapshot = accounts_by_id(&svc, &l);
    assert!(matches!(
        svc.partial_post_transaction(rest.id(), part("35.01"), ledger_domain::Rest::Hold, None),
        Err(LedgerError::Validation { .. })
    ));
    assert!(matches!(
        svc.partial_post_transaction(
            rest.id(),
            vec![
                (a.id, Direction::Debit, dec("5.00")),
                (b.id, Direction::Credit, dec("4.00"))
            ],
            ledger_domain::Rest::Hold,
            None
        ),
        Err(LedgerError::Unbalanced { .. })
    ));
    assert!(matches!(
        svc.partial_post_transaction(
            rest.id(),
            vec![
                (b.id, Direction::Debit, dec("5.00")),
                (a.id, Direction::Credit, dec("5.00"))
            ],
            ledger_domain::Rest::Hold,
            None
        ),
        Err(LedgerError::Validation { .. })
    ));
    assert_eq!(accounts_by_id(&svc, &l), snapshot, "refusals write nothing");

    let second = svc
        .partial_post_transaction(rest.id(), part("10.00"), ledger_domain::Rest::Hold, None)
        .unwrap();
    assert_eq!(second.partial_of(), Some(hold.id()), "the chain keeps its root");
    let last = svc.current_hold(hold.id()).unwrap().unwrap();
    assert_eq!(last.entries()[0].amount, dec("25.00"));
    // release the rest
    svc.archive_transaction(last.id()).unwrap();
    assert!(svc.current_hold(hold.id()).unwrap().is_none());
    assert_eq!(posted(&svc, a.id), "65.00");
    assert_eq!(available(&svc, a.id), dec("65.00"));
    assert_eq!(posted(&svc, b.id), "35.00");
    assert_eq!(svc.get_account(b.id).unwrap().balances().pending.amount, dec("35.00"));
    let parts = svc
        .list_transactions(TransactionFilter {
            partial_of: Some(hold.id()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(parts.len(), 4, "two posted parts, two remainders");

    // posting everything that is held in one part leaves no remainder
    let mut op = transfer_op(&l, a.id, b.id, "5.00");
    op.options = pending();
    let whole = svc.transfer(op).unwrap();
    svc.partial_post_transaction(whole.id(), part("5.00"), ledger_domain::Rest::Hold, None)
        .unwrap();
    assert!(svc.current_hold(whole.id()).unwrap().is_none());
    assert_eq!(posted(&svc, a.id), "60.00");

    // Modern Treasury's partial post: post a part, release the rest
    let mut op = transfer_op(&l, a.id, b.id, "20.00");
    op.options = pending();
    let held = svc.transfer(op).unwrap();
    assert_eq!(available(&svc, a.id), dec("40.00"));
    let part_posted = svc
        .partial_post_transaction(held.id(), part("8.00"), ledger_domain::Rest::Release, None)
        .unwrap();
    assert_eq!(part_posted.partial_of(), Some(held.id()));
    assert!(
        svc.current_hold(held.id()).unwrap().is_none(),
        "nothing is held any more"
    );
    assert_eq!(posted(&svc, a.id), "52.00");
    assert_eq!(available(&svc, a.id), dec("52.00"));
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

/// Accounts by code and transactions by external id are direct lookups.
pub fn accounts_and_transactions_are_found_by_code_and_external_id<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let (l, other) = (ledger(&svc), ledger(&svc));
    let w = wallet(&svc, &l, "w");
    let t = deposit(&svc, &l, w.id, "5.00");
    let cash = svc.find_account_by_code(l.id, "cash:USD").unwrap().unwrap();
    assert_eq!(cash, svc.get_account(cash.id).unwrap());
    assert_eq!(posted(&svc, cash.id), "5.00");
    assert!(svc.find_account_by_code(other.id, "cash:USD").unwrap().is_none());
    assert!(svc.find_account_by_code(l.id, "nope").unwrap().is_none());
    assert!(svc.find_transaction_by_external_id(l.id, "x").unwrap().is_none());
    let mut op = deposit_op(&l, w.id, "1.00");
    op.options.external_id = Some("ref-1".into());
    op.options.status = InitialStatus::Pending;
    let first = svc.deposit(op.clone()).unwrap();
    assert_eq!(
        svc.find_transaction_by_external_id(l.id, "ref-1").unwrap(),
        Some(first.clone())
    );
    let archived = svc.archive_transaction(first.id()).unwrap();
    assert_eq!(
        svc.find_transaction_by_external_id(l.id, "ref-1").unwrap(),
        Some(archived)
    );
    let second = svc.deposit(op).unwrap();
    assert_eq!(
        svc.find_transaction_by_external_id(l.id, "ref-1").unwrap(),
        Some(second)
    );
    assert!(
        svc.find_transaction_by_external_id(other.id, "ref-1")
            .unwrap()
            .is_none()
    );
    let _ = t;
}

/// Groups inside a book, and books and groups opened at fixed ids by
/// concurrent first uses: exactly one of each.
pub fn groups_and_fixed_id_books_are_created_once<F: StoreFactory>(f: &F) {
    let svc = Arc::new(service(f.store()));
    let book = ledger_domain::LedgerId(uuid::Uuid::now_v7());
    let group = ledger_domain::GroupId(uuid::Uuid::now_v7());
    let made: Vec<_> = (0..4)
        .map(|_| {
            let svc = Arc::clone(&svc);
            thread::spawn(move || {
                let l = svc
                    .ensure_ledger(
                        book,
                        ledger_domain::NewLedger {
                            name: "tenant".into(),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                let g = svc
                    .create_group(l.id, Some(group), "General Ledger", Default::default())
                    .unwrap();
                (l, g)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert!(made.iter().all(|(l, g)| *l == made[0].0 && *g == made[0].1));
    assert_eq!(svc.get_ledger(book).unwrap(), made[0].0);
    let other = svc
        .create_group(book, None, "Customer Wallets", Default::default())
        .unwrap();
    assert_eq!(svc.get_group(other.id).unwrap(), other);
    let listed = svc
        .list_groups(book, ledger_domain::ports::PageRequest { limit: 10, after: None })
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&other) && listed.contains(&made[0].1));
    assert!(matches!(
        svc.get_group(ledger_domain::GroupId(uuid::Uuid::now_v7())),
        Err(LedgerError::NotFound { .. })
    ));
    assert!(matches!(
        svc.create_group(book, None, "", Default::default()),
        Err(LedgerError::Validation { .. })
    ));
}

/// Conditions checked atomically with a posting: an account's lock version
/// (optimistic concurrency: of many postings that read the same version,
/// exactly one lands) and bounds on its balances after the posting; a failed
/// condition writes nothing.
pub fn postings_with_conditions_land_only_when_they_hold<F: StoreFactory>(f: &F) {
    use ledger_domain::posting::{AccountCondition, BalanceBound, BalanceKind, BoundOp};
    let svc = Arc::new(service(f.store()));
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    deposit(&svc, &l, w.id, "100.00");
    let cash = cash_of(&svc, &l); // a house account
    let draft = |amount: &str, conditions: Vec<(AccountId, AccountCondition)>| TransactionDraft {
        entries: vec![
            EntryDraft {
                account_id: w.id,
                direction: Direction::Debit,
                amount: dec(amount),
                currency: None,
            },
            EntryDraft {
                account_id: cash.id,
                direction: Direction::Credit,
                amount: dec(amount),
                currency: None,
            },
        ],
        conditions: conditions.into_iter().collect(),
        ..Default::default()
    };
    let version = |id| svc.get_account(id).unwrap().version;
    let at = |v| AccountCondition {
        lock_version: Some(v),
        bounds: vec![],
    };
    let bound = |balance, op, value: &str| AccountCondition {
        lock_version: None,
        bounds: vec![BalanceBound {
            balance,
            op,
            value: dec(value),
        }],
    };

    // lock versions: the current one lands, a stale one is refused
    let (vw, vc) = (version(w.id), version(cash.id));
    svc.create_transaction(l.id, draft("1.00", vec![(w.id, at(vw)), (cash.id, at(vc))]), None)
        .unwrap();
    assert_eq!((version(w.id), version(cash.id)), (vw + 1, vc + 1));
    let before = accounts_by_id(&svc, &l);
    for stale in [vec![(w.id, at(vw))], vec![(cash.id, at(vc))]] {
        assert!(matches!(
            svc.create_transaction(l.id, draft("1.00", stale), None),
            Err(LedgerError::ConditionFailed { .. })
        ));
    }
    // bounds on the balance after the posting
    assert!(matches!(
        svc.create_transaction(
            l.id,
            draft("10.00", vec![(w.id, bound(BalanceKind::Posted, BoundOp::Gte, "90.00"))]),
            None
        ),
        Err(LedgerError::ConditionFailed { .. })
    ));
    assert!(matches!(
        svc.create_transaction(
            l.id,
            draft(
                "1.00",
                vec![(cash.id, bound(BalanceKind::Available, BoundOp::Gt, "98.00"))]
            ),
            None
        ),
        Err(LedgerError::ConditionFailed { .. })
    ));
    assert_eq!(accounts_by_id(&svc, &l), before, "failed conditions write nothing");
    for (kind, op, value) in [
        (BalanceKind::Posted, BoundOp::Eq, "89.00"),
        (BalanceKind::Pending, BoundOp::Lt, "89.01"),
        (BalanceKind::Available, BoundOp::Lte, "89.00"),
    ] {
        let t = svc.create_transaction(l.id, draft("10.00", vec![(w.id, bound(kind, op, value))]), None);
        let t = t.unwrap_or_else(|e| panic!("{kind:?} {op:?} {value}: {e:?}"));
        svc.reverse_transaction(t.id(), None).unwrap();
    }
    // an account outside the transaction cannot carry a condition
    let other = wallet(&svc, &l, "other");
    assert!(matches!(
        svc.create_transaction(l.id, draft("1.00", vec![(other.id, at(0))]), None),
        Err(LedgerError::Validation { .. })
    ));

    // many postings computed from the same read: exactly one lands
    let v = version(w.id);
    let wins: usize = (0..6)
        .map(|_| {
            let (svc, d) = (Arc::clone(&svc), draft("1.00", vec![(w.id, at(v))]));
            let l = l.id;
            thread::spawn(move || svc.create_transaction(l, d, None).is_ok())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| usize::from(h.join().unwrap()))
        .sum();
    assert_eq!(wins, 1);
    assert_eq!(posted(&svc, w.id), "98.00");
    check_wallet_ledger(svc.store(), l.id).unwrap();
}

/// A pending transaction takes new metadata; a final one does not; a category
/// member can be taken out again and the aggregate follows.
pub fn pending_metadata_changes_and_category_members_come_and_go<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a"), wallet(&svc, &l, "b"));
    deposit(&svc, &l, a.id, "10.00");
    deposit(&svc, &l, b.id, "5.00");
    let mut op = deposit_op(&l, a.id, "1.00");
    op.options = pending();
    let held = svc.deposit(op).unwrap();
    let mut metadata = held.metadata().clone();
    metadata.insert("ach".into(), serde_json::json!("cleared-soon"));
    let annotated = svc.annotate_transaction(held.id(), metadata.clone()).unwrap();
    assert_eq!(annotated.metadata(), &metadata);
    assert_eq!(svc.get_transaction(held.id()).unwrap(), annotated, "read back");
    let posted_now = svc.post_transaction(held.id()).unwrap();
    assert_eq!(posted_now.metadata(), &metadata, "posting keeps it");
    assert!(matches!(
        svc.annotate_transaction(held.id(), Default::default()),
        Err(LedgerError::Validation { .. })
    ));
    assert_eq!(
        svc.get_transaction(held.id()).unwrap().metadata(),
        &metadata,
        "a final one is unchanged"
    );

    let c = svc
        .create_category(NewCategory {
            ledger_id: l.id,
            name: "Users".into(),
            description: None,
            currency: usd(),
            normal_balance: NormalBalance::Credit,
            metadata: Default::default(),
        })
        .unwrap();
    svc.add_category_member(c.id, CategoryMember::Account(a.id)).unwrap();
    svc.add_category_member(c.id, CategoryMember::Account(b.id)).unwrap();
    assert_eq!(svc.category_balances(c.id).unwrap().1.posted.amount, dec("16.00"));
    svc.remove_category_member(c.id, CategoryMember::Account(a.id)).unwrap();
    assert_eq!(svc.category_members(c.id).unwrap(), vec![CategoryMember::Account(b.id)]);
    assert_eq!(svc.category_balances(c.id).unwrap().1.posted.amount, dec("5.00"));
    svc.remove_category_member(c.id, CategoryMember::Account(a.id)).unwrap(); // not a member: no-op
    let missing = ledger_domain::CategoryId(uuid::Uuid::now_v7());
    assert!(matches!(
        svc.remove_category_member(missing, CategoryMember::Account(b.id)),
        Err(LedgerError::NotFound { .. })
    ));
}

/// A ledger's name, description and metadata change; its fee rate and what it
/// holds do not, and postings go on.
pub fn a_ledger_is_renamed_and_retagged<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    deposit(&svc, &l, w.id, "3.00");
    let metadata = ledger_domain::Metadata::from_iter([("team".to_owned(), serde_json::json!("payments"))]);
    let updated = svc
        .update_ledger(
            l.id,
            Some("Renamed".into()),
            Some(Some("the book".into())),
            Some(metadata.clone()),
        )
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.description.as_deref()),
        ("Renamed", Some("the book"))
    );
    assert_eq!(updated.metadata, metadata);
    assert_eq!(updated.withdrawal_fee_rate, l.withdrawal_fee_rate);
    assert_eq!(svc.get_ledger(l.id).unwrap(), updated, "read back");
    svc.withdraw(withdrawal_op(&l, w.id, "1.00")).unwrap();
    assert_eq!(posted(&svc, w.id), "2.00");
    assert!(matches!(
        svc.update_ledger(l.id, Some(" ".into()), None, None),
        Err(LedgerError::Validation { .. })
    ));
    assert!(matches!(
        svc.update_ledger(ledger_domain::LedgerId(uuid::Uuid::now_v7()), None, None, None),
        Err(LedgerError::NotFound { .. })
    ));
}

/// A statement keeps the balances it was made with; a later back-dated
/// posting inside its period changes a new statement, not the kept one.
pub fn statements_are_kept_as_generated<F: StoreFactory>(f: &F) {
    let svc = service(f.store());
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let now = ledger_domain::ports::truncate_to_micros(Utc::now());
    let mut op = deposit_op(&l, w.id, "10.00");
    op.options.effective_at = Some(now - Duration::days(10));
    svc.deposit(op).unwrap();
    let (from, to) = (now - Duration::days(5), now + Duration::days(1));
    let made = svc
        .create_account_statement(w.id, from, to, Some("week".into()), Default::default())
        .unwrap();
    assert_eq!(made.starting.balances(made.normal_balance).posted.amount, dec("10.00"));
    assert_eq!(made.ending.balances(made.normal_balance).posted.amount, dec("10.00"));
    let mut op = deposit_op(&l, w.id, "5.00");
    op.options.effective_at = Some(now - Duration::days(2));
    svc.deposit(op).unwrap();
    assert_eq!(svc.get_account_statement(made.id).unwrap(), made, "kept as generated");
    let again = svc
        .create_account_statement(w.id, from, to, None, Default::default())
        .unwrap();
    assert_eq!(again.ending.balances(again.normal_balance).posted.amount, dec("15.00"));
    assert!(again.account_version > made.account_version);
    assert!(matches!(
        svc.create_account_statement(w.id, to, from, None, Default::default()),
        Err(LedgerError::Validation { .. })
    ));
}
