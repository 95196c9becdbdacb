//! The one-statement posting: how `JournalWrite::Record` reaches PostgreSQL.
//!
//! A new transaction is stored by a single autocommitted statement whose CTEs
//! update the counter rows (each limited account's update carries its limit
//! check in its `WHERE`, which PostgreSQL re-evaluates on the newest row
//! version after waiting for a concurrent writer), insert the transaction and
//! its entries, and complete the idempotency record. If any limited account
//! refuses, `ledger_refuse` raises and the whole statement rolls back. One
//! round trip per posting, no explicit BEGIN/COMMIT.
//!
//! The rules come from the domain: `counter_deltas` (which counters move) and
//! `lowers_available` (which accounts must be checked); the SQL expression of
//! the available balance is the domain's table for each normal balance, and the
//! contract suite holds this adapter to the same answers as the in-memory one.

use std::collections::HashMap;

use bigdecimal::BigDecimal;
use diesel::pg::PgConnection;
use diesel::sql_types::{Array, Int2, Int4, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{RunQueryDsl, sql_query};
use ledger_domain::access::{IdempotencyMark, StoredBody, transaction_snapshot};
use ledger_domain::posting::{counter_deltas, lowers_available};
use ledger_domain::{Account, AccountId, LedgerError, NormalBalance, Transaction};
use uuid::Uuid;

use crate::journal::shard_for;
use crate::rows::metadata_value;

const POSTING: &str = "\
WITH d AS MATERIALIZED ( \
    SELECT * FROM unnest($15::uuid[], $16::int2[], $17::numeric[], $18::numeric[], $19::numeric[], $20::numeric[], \
                         $21::numeric[], $22::text[]) AS d(account_id, shard, pd, pc, qd, qc, floor, normal) \
    ORDER BY account_id), \
upd AS ( \
    UPDATE account_balances b SET \
        posted_debits = b.posted_debits + d.pd, posted_credits = b.posted_credits + d.pc, \
        pending_debits = b.pending_debits + d.qd, pending_credits = b.pending_credits + d.qc, \
        version = b.version + 1 \
    FROM d WHERE b.account_id = d.account_id AND b.shard = d.shard \
      AND (d.floor IS NULL OR CASE WHEN d.normal = 'credit' \
            THEN (b.posted_credits + d.pc) - (b.posted_debits + d.pd) - (b.pending_debits + d.qd) \
            ELSE (b.posted_debits + d.pd) - (b.posted_credits + d.pc) - (b.pending_credits + d.qc) END >= d.floor) \
    RETURNING b.account_id), \
t AS ( \
    INSERT INTO transactions (id, ledger_id, status, description, metadata, effective_at, external_id, created_at, posted_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)), \
e AS ( \
    INSERT INTO entries (transaction_id, line, account_id, direction, amount, currency, effective_at) \
    SELECT $1, x.line, x.account_id, x.direction, x.amount, x.currency, $6 \
    FROM unnest($10::int4[], $11::uuid[], $12::text[], $13::numeric[], $14::text[]) AS x(line, account_id, direction, amount, currency)), \
i AS ( \
    UPDATE idempotency_keys SET response_status = 201, response_kind = 'transaction', response_body = $25 \
    WHERE $23::uuid IS NOT NULL AND api_key_id = $23 AND key = $24) \
SELECT d.account_id FROM d \
WHERE d.account_id NOT IN (SELECT account_id FROM upd) \
  AND ledger_refuse(d.account_id, CASE WHEN d.floor IS NULL THEN 'missing_counters' ELSE 'insufficient_funds' END)";

#[derive(diesel::QueryableByName)]
struct Refused {
    #[diesel(sql_type = SqlUuid)]
    #[allow(dead_code)]
    account_id: Uuid,
}

/// Stores a new transaction in one statement. `heads` holds the static fields
/// of every account the transaction touches.
pub(crate) fn record(
    conn: &mut PgConnection,
    transaction: &Transaction,
    mark: Option<&IdempotencyMark>,
    heads: &HashMap<AccountId, Account>,
) -> Result<(), diesel::result::Error> {
    let shard = shard_for(transaction.id());
    let mut ids = Vec::new();
    let mut shards = Vec::new();
    let (mut pd, mut pc, mut qd, mut qc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut floors: Vec<Option<BigDecimal>> = Vec::new();
    let mut normals = Vec::new();
    for (id, delta) in counter_deltas(None, transaction) {
        let head = heads.get(&id);
        let limit = head.and_then(|a| a.overdraft_limit.clone());
        let normal = head.map(|a| a.normal_balance).unwrap_or(NormalBalance::Credit);
        ids.push(id.0);
        shards.push(if limit.is_some() { 0 } else { shard });
        floors.push(limit.filter(|_| lowers_available(normal, &delta)).map(|l| -l));
        normals.push(normal.as_str().to_owned());
        pd.push(delta.posted_debits);
        pc.push(delta.posted_credits);
        qd.push(delta.pending_debits);
        qc.push(delta.pending_credits);
    }
    let entries = transaction.entries();
    let lines: Vec<i32> = (0..entries.len()).filter_map(|i| i32::try_from(i).ok()).collect();
    let snapshot = match mark.map(|_| transaction_snapshot(transaction)) {
        Some(Ok(s)) => match s.body {
            StoredBody::Transaction(v) | StoredBody::Rendered(v) => Some(v),
        },
        _ => None,
    };
    let _refused: Vec<Refused> = sql_query(POSTING)
        .bind::<SqlUuid, _>(transaction.id().0)
        .bind::<SqlUuid, _>(transaction.ledger_id().0)
        .bind::<Text, _>(transaction.status().as_str())
        .bind::<Nullable<Text>, _>(transaction.description())
        .bind::<Jsonb, _>(metadata_value(transaction.metadata()))
        .bind::<Timestamptz, _>(transaction.effective_at())
        .bind::<Nullable<Text>, _>(transaction.external_id())
        .bind::<Timestamptz, _>(transaction.created_at())
        .bind::<Nullable<Timestamptz>, _>(transaction.posted_at())
        .bind::<Array<Int4>, _>(lines)
        .bind::<Array<SqlUuid>, _>(entries.iter().map(|e| e.account_id.0).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(entries.iter().map(|e| e.direction.as_str()).collect::<Vec<_>>())
        .bind::<Array<Numeric>, _>(entries.iter().map(|e| e.amount.clone()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(entries.iter().map(|e| e.currency.code()).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<Int2>, _>(shards)
        .bind::<Array<Numeric>, _>(pd)
        .bind::<Array<Numeric>, _>(pc)
        .bind::<Array<Numeric>, _>(qd)
        .bind::<Array<Numeric>, _>(qc)
        .bind::<Array<Nullable<Numeric>>, _>(floors)
        .bind::<Array<Text>, _>(normals)
        .bind::<Nullable<SqlUuid>, _>(mark.map(|m| m.api_key_id))
        .bind::<Nullable<Text>, _>(mark.map(|m| m.key.clone()))
        .bind::<Nullable<Jsonb>, _>(snapshot)
        .load(conn)?;
    Ok(())
}

/// The domain error behind a `ledger_refuse` exception, if it is one.
pub(crate) fn refusal(e: &diesel::result::Error) -> Option<LedgerError> {
    let diesel::result::Error::DatabaseError(_, info) = e else {
        return None;
    };
    let rest = info.message().strip_prefix("ledger_refused:")?;
    let (reason, account) = rest.split_once(':')?;
    let account = AccountId(Uuid::parse_str(account.trim()).ok()?);
    Some(match reason {
        "insufficient_funds" => LedgerError::InsufficientFunds { account_id: account },
        _ => LedgerError::Unknown(anyhow::anyhow!("counter rows of account {account} are missing")),
    })
}

/// Deadlocks cannot arise between postings that lock in account order, but
/// the planner does not promise the order of a join's updates; a detected
/// deadlock is simply retried.
pub(crate) fn is_retryable(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info) if info.message().contains("deadlock detected"))
}
