//! Rules the database enforces by itself, one test per rule (in the spirit of
//! crates.io's `schema_details.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text};
use ledger_contract::{deposit, deposit_op, ledger, service, wallet};
use ledger_domain::InitialStatus;
use ledger_postgres::testing::TestDatabase;

#[derive(QueryableByName, Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[derive(QueryableByName, Debug)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn columns_without(conn: &mut PgConnection, pattern: &str, constraint_type: &str) -> Vec<Column> {
    sql_query(format!(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
         WHERE c.table_schema = 'public' AND c.column_name LIKE '{pattern}' \
           AND c.column_name <> 'external_id' AND c.table_name NOT LIKE '\\_\\_%' \
           AND NOT EXISTS ( \
             SELECT 1 FROM information_schema.key_column_usage k \
             JOIN information_schema.table_constraints t ON t.constraint_name = k.constraint_name AND t.table_name = k.table_name \
             WHERE k.table_name = c.table_name AND k.column_name = c.column_name AND t.constraint_type = '{constraint_type}')"
    ))
    .load(conn)
    .unwrap()
}

#[test]
fn every_id_column_has_a_foreign_key() {
    let db = TestDatabase::create();
    let mut conn = db.pool(1).get().unwrap();
    let missing = columns_without(&mut conn, "%\\_id", "FOREIGN KEY");
    assert!(missing.is_empty(), "columns without a foreign key: {missing:?}");
}

#[test]
fn every_amount_column_is_checked_positive() {
    let db = TestDatabase::create();
    let mut conn = db.pool(1).get().unwrap();
    let unchecked: Vec<Count> = sql_query(
        "SELECT count(*) AS n FROM information_schema.columns c \
         WHERE c.table_schema = 'public' AND c.column_name = 'amount' AND NOT EXISTS ( \
           SELECT 1 FROM pg_constraint p JOIN pg_class r ON r.oid = p.conrelid \
           WHERE r.relname = c.table_name AND p.contype = 'c' AND pg_get_constraintdef(p.oid) LIKE '%amount > %0%')",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(unchecked[0].n, 0);
    let amounts: Vec<Count> = sql_query(
        "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'amount' AND data_type = 'numeric'",
    )
    .load(&mut conn)
    .unwrap();
    assert!(amounts[0].n >= 1, "amounts are NUMERIC");
}

fn setup() -> (TestDatabase, ledger_domain::Transaction, ledger_domain::Transaction) {
    let db = TestDatabase::create();
    let svc = service(db.store(2));
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let posted = deposit(&svc, &l, w.id, "10.00");
    let mut op = deposit_op(&l, w.id, "5.00");
    op.options.status = InitialStatus::Pending;
    let pending = svc.deposit(op).unwrap();
    (db, posted, pending)
}

fn fails(conn: &mut PgConnection, sql: &str) -> String {
    match sql_query(sql).execute(conn) {
        Ok(n) => panic!("`{sql}` succeeded ({n} rows)"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn entries_of_a_posted_transaction_cannot_be_updated_or_deleted() {
    let (db, posted, _) = setup();
    let mut conn = db.pool(1).get().unwrap();
    let id = posted.id();
    let e = fails(
        &mut conn,
        &format!("UPDATE entries SET amount = 1 WHERE transaction_id = '{id}'"),
    );
    assert!(e.contains("cannot be changed"), "{e}");
    let e = fails(&mut conn, &format!("DELETE FROM entries WHERE transaction_id = '{id}'"));
    assert!(e.contains("cannot be changed"), "{e}");
}

#[test]
fn entries_of_an_archived_transaction_cannot_be_deleted() {
    let (db, _, pending) = setup();
    let svc = service(db.store(1));
    svc.archive_transaction(pending.id()).unwrap();
    let mut conn = db.pool(1).get().unwrap();
    fails(
        &mut conn,
        &format!("DELETE FROM entries WHERE transaction_id = '{}'", pending.id()),
    );
}

#[test]
fn a_final_transaction_cannot_change_status_or_be_deleted() {
    let (db, posted, _) = setup();
    let mut conn = db.pool(1).get().unwrap();
    let id = posted.id();
    fails(
        &mut conn,
        &format!("UPDATE transactions SET status = 'archived' WHERE id = '{id}'"),
    );
    fails(
        &mut conn,
        &format!("UPDATE transactions SET description = 'x' WHERE id = '{id}'"),
    );
    fails(&mut conn, &format!("DELETE FROM transactions WHERE id = '{id}'"));
}

#[test]
fn amounts_must_be_positive_in_the_database() {
    let (db, _, pending) = setup();
    let mut conn = db.pool(1).get().unwrap();
    // even on a pending transaction, whose entries the trigger lets through
    let e = fails(
        &mut conn,
        &format!(
            "UPDATE entries SET amount = 0 WHERE transaction_id = '{}'",
            pending.id()
        ),
    );
    assert!(e.contains("check") || e.contains("cannot be changed"), "{e}");
    let e = fails(
        &mut conn,
        &format!(
            "INSERT INTO entries (transaction_id, line, account_id, direction, amount, currency, effective_at) \
             SELECT transaction_id, 99, account_id, direction, -1, currency, effective_at FROM entries WHERE transaction_id = '{}' LIMIT 1",
            pending.id()
        ),
    );
    assert!(e.contains("check constraint"), "{e}");
}

#[test]
fn external_ids_are_unique_per_ledger_among_pending_and_posted() {
    let (db, posted, _) = setup();
    let mut conn = db.pool(1).get().unwrap();
    sql_query(format!(
        "UPDATE transactions SET external_id = 'x' WHERE id = '{}'",
        posted.id()
    ))
    .execute(&mut conn)
    .unwrap_err(); // final: immutable
    let svc = service(db.store(1));
    let l = ledger(&svc);
    let w = wallet(&svc, &l, "w");
    let mut op = deposit_op(&l, w.id, "1.00");
    op.options.external_id = Some("dup".into());
    let first = svc.deposit(op.clone()).unwrap();
    let e = fails(
        &mut conn,
        &format!(
            "INSERT INTO transactions (id, ledger_id, status, metadata, effective_at, external_id, created_at, posted_at) \
             VALUES (gen_random_uuid(), '{}', 'posted', '{{}}', now(), 'dup', now(), now())",
            first.ledger_id()
        ),
    );
    assert!(e.contains("transactions_ledger_external_id_key"), "{e}");
}

#[test]
fn account_codes_are_unique_per_ledger_in_the_database() {
    let (db, posted, _) = setup();
    let mut conn = db.pool(1).get().unwrap();
    let e = fails(
        &mut conn,
        &format!(
            "INSERT INTO accounts (id, ledger_id, name, code, kind, normal_balance, currency, metadata, created_at) \
             VALUES (gen_random_uuid(), '{}', 'again', 'cash:USD', 'asset', 'debit', 'USD', '{{}}', now())",
            posted.ledger_id()
        ),
    );
    assert!(e.contains("accounts_ledger_code_key"), "{e}");
}

#[test]
fn migrations_started_twice_at_once_apply_once() {
    let db = TestDatabase::create();
    // A fresh, empty database (not from the template).
    let server = ledger_postgres::testing::server_url();
    let name = format!("wl_race_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::establish(&format!("{server}/postgres")).unwrap();
    sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let url = format!("{server}/{name}");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                ledger_postgres::run_migrations(&mut conn).unwrap().len()
            })
        })
        .collect();
    let applied: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(applied.iter().filter(|n| **n > 0).count(), 1, "{applied:?}");
    sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .unwrap();
    drop(db);
}
