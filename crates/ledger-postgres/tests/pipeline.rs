//! Group commit (`pipeline.rs`, `posting.rs`): postings submitted together are
//! stored as one batch — one database transaction — and each caller gets its
//! own answer. A store that waits long for a full batch makes the grouping
//! deterministic here: `max_batch` postings from as many threads form exactly
//! one batch.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ledger_contract::{deposit, ledger, posted, service, transfer_op, wallet, withdrawal_op};
use ledger_domain::ports::{JournalStore, PageRequest, TransactionFilter};
use ledger_domain::{LedgerError, Transaction};
use ledger_postgres::PipelineConfig;
use ledger_postgres::testing::TestDatabase;

fn batching(max_batch: usize) -> PipelineConfig {
    PipelineConfig {
        workers: 1,
        max_batch,
        // long enough for every thread below to submit; a full batch goes at once
        linger: Duration::from_secs(5),
    }
}

/// Runs `n` calls of `f` on as many threads at once; their results in thread order.
fn together<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let f = Arc::clone(&f);
            std::thread::spawn(move || f(i))
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn a_batch_is_one_commit_whose_postings_each_see_the_ones_before_and_get_their_own_answer() {
    let db = TestDatabase::create();
    let store = db.store_with(8, batching(4));
    let svc = Arc::new(service(store));
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a").id, wallet(&svc, &l, "b").id);
    // setting up goes one posting at a time (the batch waits for a full one: 5 s
    // each would be slow), so fund with a batch of 4 deposits
    let funded = together(4, {
        let (svc, l) = (Arc::clone(&svc), l.clone());
        move |i| deposit(&svc, &l, if i == 0 { a } else { b }, "2.50")
    });
    assert_eq!(funded.len(), 4);
    assert_eq!(posted(&svc, a), "2.50");
    let batches_before = svc.store().pipeline_stats().batches.load(Ordering::Relaxed);
    assert_eq!(batches_before, 1, "the four deposits were one batch");

    // a holds 2.50: four transfers of 1.00 in one batch: exactly two fit, and
    // only if each one's check sees the ones before it
    let answers = together(4, {
        let (svc, l) = (Arc::clone(&svc), l.clone());
        move |_| svc.transfer(transfer_op(&l, a, b, "1.00"))
    });
    assert_eq!(
        svc.store().pipeline_stats().batches.load(Ordering::Relaxed),
        batches_before + 1
    );
    let ok: Vec<&Transaction> = answers.iter().filter_map(|r| r.as_ref().ok()).collect();
    let refused: Vec<&LedgerError> = answers.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(ok.len(), 2, "{answers:?}");
    assert!(
        refused
            .iter()
            .all(|e| matches!(e, LedgerError::InsufficientFunds { account_id } if *account_id == a)),
        "{refused:?}"
    );
    assert_eq!(posted(&svc, a), "0.50");
    assert_eq!(posted(&svc, b), "9.50");

    // read back through fresh queries: exactly what each caller was answered,
    // with the account versions the batch gave each entry
    for t in &ok {
        assert_eq!(&&svc.get_transaction(t.id()).unwrap(), t);
    }
    let mut a_versions: Vec<i64> = ok
        .iter()
        .map(|t| {
            t.entries()
                .iter()
                .find(|e| e.account_id == a)
                .unwrap()
                .account_version
                .unwrap()
        })
        .collect();
    a_versions.sort_unstable();
    // a: opened (0), deposited (1), then the two accepted transfers
    assert_eq!(a_versions, vec![2, 3]);
    assert_eq!(svc.get_account(a).unwrap().version, 3);
    let stored = svc
        .store()
        .list_transactions(&TransactionFilter {
            account_id: Some(a),
            page: PageRequest {
                limit: 100,
                after: None,
            },
            ..TransactionFilter::default()
        })
        .unwrap();
    assert_eq!(
        stored.len(),
        3,
        "the deposit and the two accepted transfers, nothing of the refused ones"
    );
}

#[test]
fn a_taken_external_id_refuses_only_its_own_posting_in_the_batch() {
    let db = TestDatabase::create();
    let svc = Arc::new(service(db.store_with(8, batching(3))));
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w").id;
    let answers = together(3, {
        let (svc, l) = (Arc::clone(&svc), l.clone());
        move |i| {
            let mut op = ledger_contract::deposit_op(&l, w, "1.00");
            // two of the three ask for the same external id
            op.options.external_id = Some(if i == 2 { "other".into() } else { "same".into() });
            svc.deposit(op)
        }
    });
    let ok = answers.iter().filter(|r| r.is_ok()).count();
    let taken = answers
        .iter()
        .filter(|r| matches!(r, Err(LedgerError::ExternalIdTaken(id)) if id == "same"))
        .count();
    assert_eq!((ok, taken), (2, 1), "{answers:?}");
    assert_eq!(posted(&svc, w), "2.00");
    assert_eq!(svc.store().pipeline_stats().batches.load(Ordering::Relaxed), 1);

    // and against one committed earlier: refused alone, the others stored
    let answers = together(3, {
        let (svc, l) = (Arc::clone(&svc), l.clone());
        move |i| {
            let mut op = withdrawal_op(&l, w, "0.10");
            op.options.external_id = Some(if i == 0 { "same".to_owned() } else { format!("fresh{i}") });
            svc.withdraw(op)
        }
    });
    assert!(
        matches!(&answers[0], Err(LedgerError::ExternalIdTaken(id)) if id == "same"),
        "{answers:?}"
    );
    assert!(answers[1].is_ok() && answers[2].is_ok(), "{answers:?}");
    assert_eq!(posted(&svc, w), "1.80");
}

#[test]
fn every_entry_records_the_account_version_its_posting_left() {
    let db = TestDatabase::create();
    let svc = service(db.store(4));
    let l = ledger(&svc);
    let (a, b) = (wallet(&svc, &l, "a").id, wallet(&svc, &l, "b").id);
    deposit(&svc, &l, a, "10.00");
    for _ in 0..5 {
        let t = svc.transfer(transfer_op(&l, a, b, "1.00")).unwrap();
        let version_a = svc.get_account(a).unwrap().version;
        let version_b = svc.get_account(b).unwrap().version;
        let read = svc.get_transaction(t.id()).unwrap();
        assert_eq!(read, t);
        for e in read.entries() {
            let expected = if e.account_id == a { version_a } else { version_b };
            assert_eq!(e.account_version, Some(expected), "{e:?}");
        }
    }
    assert_eq!(svc.get_account(a).unwrap().version, 6);
}
