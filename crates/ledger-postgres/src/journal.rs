//! The posting path: one database transaction per journal write.
//!
//! Lock order: every write locks the counter rows it changes with one
//! `SELECT … ORDER BY account_id FOR UPDATE`, one row per account (shard 0 of an
//! account with a limit, the write's shard of a house account without one), so
//! any two writes lock in the same global order and cannot deadlock.

use std::collections::{BTreeMap, HashMap};

use bigdecimal::BigDecimal;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Int2, Nullable, Numeric, Text, Uuid as SqlUuid};
use diesel::{RunQueryDsl, sql_query};
use ledger_domain::access::IdempotencyMark;
use ledger_domain::account::BalanceCounters;
use ledger_domain::posting::{check_limit, counter_deltas};
use ledger_domain::{Account, AccountId, LedgerError, NormalBalance, Transaction, TransactionId, TransactionStatus};
use uuid::Uuid;

use crate::error::{TxError, corrupt};
use crate::rows::{EntryRow, TransactionRow, to_transaction};
use crate::schema::{entries, transactions};

/// Counter shards of an account without an overdraft limit.
pub(crate) const HOUSE_SHARDS: i16 = 16;

/// The shard a write uses for house accounts: from the random bits of its
/// transaction id (UUID v7 ends in random bits), so concurrent writes spread.
pub(crate) fn shard_for(id: TransactionId) -> i16 {
    let low = id.0.as_u128() & 0xffff;
    i16::try_from(low % u128::from(HOUSE_SHARDS.unsigned_abs())).unwrap_or(0)
}

/// The four counters of a counter row, as a locking query returns them.
#[derive(Debug, QueryableByName)]
struct CounterColumns {
    #[diesel(sql_type = Numeric)]
    posted_debits: BigDecimal,
    #[diesel(sql_type = Numeric)]
    posted_credits: BigDecimal,
    #[diesel(sql_type = Numeric)]
    pending_debits: BigDecimal,
    #[diesel(sql_type = Numeric)]
    pending_credits: BigDecimal,
}

impl From<&CounterColumns> for BalanceCounters {
    fn from(c: &CounterColumns) -> Self {
        BalanceCounters {
            posted_debits: c.posted_debits.clone(),
            posted_credits: c.posted_credits.clone(),
            pending_debits: c.pending_debits.clone(),
            pending_credits: c.pending_credits.clone(),
        }
    }
}

#[derive(Debug, QueryableByName)]
struct LockedCounter {
    #[diesel(sql_type = SqlUuid)]
    account_id: Uuid,
    #[diesel(sql_type = Int2)]
    shard: i16,
    #[diesel(sql_type = Text)]
    normal_balance: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    overdraft_limit: Option<BigDecimal>,
    #[diesel(embed)]
    counters: CounterColumns,
}

/// Locks the counter rows `before → after` changes, checks the limits of the
/// accounts whose available balance drops, and applies the deltas.
fn settle(conn: &mut PgConnection, before: Option<&Transaction>, after: &Transaction) -> Result<(), TxError> {
    let deltas: BTreeMap<AccountId, BalanceCounters> = counter_deltas(before, after);
    let ids: Vec<Uuid> = deltas.keys().map(|a| a.0).collect();
    let locked: Vec<LockedCounter> = sql_query(include_str!("sql/lock_counters.sql"))
        .bind::<Array<SqlUuid>, _>(&ids)
        .bind::<Int2, _>(shard_for(after.id()))
        .load(conn)?;
    if locked.len() != deltas.len() {
        return Err(LedgerError::Unknown(anyhow::anyhow!(
            "counter rows missing: {} of {} accounts",
            locked.len(),
            deltas.len()
        ))
        .into());
    }
    let mut shards = Vec::with_capacity(locked.len());
    let (mut pd, mut pc, mut qd, mut qc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in &locked {
        let id = AccountId(row.account_id);
        let delta = deltas
            .get(&id)
            .ok_or_else(|| LedgerError::Unknown(anyhow::anyhow!("locked an account the write does not touch")))?;
        if let Some(limit) = &row.overdraft_limit {
            let normal = NormalBalance::parse(&row.normal_balance)
                .ok_or_else(|| corrupt("normal balance", &row.normal_balance))?;
            check_limit(id, normal, Some(&-limit), &(&row.counters).into(), delta)?;
        }
        shards.push(row.shard);
        pd.push(delta.posted_debits.clone());
        pc.push(delta.posted_credits.clone());
        qd.push(delta.pending_debits.clone());
        qc.push(delta.pending_credits.clone());
    }
    let locked_ids: Vec<Uuid> = locked.iter().map(|r| r.account_id).collect();
    sql_query(include_str!("sql/apply_counters.sql"))
        .bind::<Array<SqlUuid>, _>(&locked_ids)
        .bind::<Array<Int2>, _>(&shards)
        .bind::<Array<Numeric>, _>(&pd)
        .bind::<Array<Numeric>, _>(&pc)
        .bind::<Array<Numeric>, _>(&qd)
        .bind::<Array<Numeric>, _>(&qc)
        .execute(conn)?;
    Ok(())
}

pub(crate) fn load(conn: &mut PgConnection, id: TransactionId, lock: bool) -> Result<Option<Transaction>, TxError> {
    let query = transactions::table
        .filter(transactions::id.eq(id.0))
        .select(TransactionRow::as_select());
    let row: Option<TransactionRow> = if lock {
        query.for_update().first(conn).optional()?
    } else {
        query.first(conn).optional()?
    };
    let Some(row) = row else { return Ok(None) };
    let lines: Vec<EntryRow> = entries::table
        .filter(entries::transaction_id.eq(id.0))
        .order(entries::line)
        .select(EntryRow::as_select())
        .load(conn)?;
    Ok(Some(to_transaction(row, lines)?))
}

pub(crate) fn transition(
    conn: &mut PgConnection,
    id: TransactionId,
    to: TransactionStatus,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Transaction, TxError> {
    let current = load(conn, id, true)?.ok_or(LedgerError::not_found("transaction", id))?;
    let next = current.transition(to, at)?;
    settle(conn, Some(&current), &next)?;
    diesel::update(transactions::table.filter(transactions::id.eq(id.0)))
        .set((
            transactions::status.eq(next.status().as_str()),
            transactions::posted_at.eq(next.posted_at()),
        ))
        .execute(conn)?;
    Ok(next)
}

/// Stores `reversal` with the one-statement posting (see [`crate::fast`]) inside
/// a transaction that holds the original's row lock, then links the original.
pub(crate) fn reverse(
    conn: &mut PgConnection,
    reversal: &Transaction,
    mark: Option<&IdempotencyMark>,
    heads: &HashMap<AccountId, Account>,
) -> Result<(), TxError> {
    let original_id = reversal
        .reverses_id()
        .ok_or_else(|| LedgerError::Unknown(anyhow::anyhow!("a reversal must name what it reverses")))?;
    let original = load(conn, original_id, true)?.ok_or(LedgerError::not_found("transaction", original_id))?;
    // Re-checked under the row lock: at most one reversal wins.
    original.mark_reversed_by(reversal)?;
    let posting = crate::fast::prepare(reversal, mark, heads, &Default::default())?;
    crate::fast::execute(conn, &posting).map_err(|e| TxError::Domain(crate::fast::domain_error(e, reversal)))?;
    diesel::update(transactions::table.filter(transactions::id.eq(original_id.0)))
        .set(transactions::reversed_by_id.eq(reversal.id().0))
        .execute(conn)?;
    Ok(())
}

/// Archives the pending transaction and stores its posted part and remainder,
/// inside the caller's database transaction, under the pending row's lock.
pub(crate) fn partial_post(
    conn: &mut PgConnection,
    split: &ledger_domain::PartialPost,
    mark: Option<&IdempotencyMark>,
    heads: &HashMap<AccountId, Account>,
) -> Result<(), TxError> {
    let id = split.archived.id();
    let current = load(conn, id, true)?.ok_or(LedgerError::not_found("transaction", id))?;
    // re-checked under the lock: it is still the pending transaction that was split
    current.transition(TransactionStatus::Archived, split.archived.created_at())?;
    settle(conn, Some(&current), &split.archived)?;
    diesel::update(transactions::table.filter(transactions::id.eq(id.0)))
        .set(transactions::status.eq(TransactionStatus::Archived.as_str()))
        .execute(conn)?;
    let none = Default::default();
    if let Some(remainder) = &split.remainder {
        let posting = crate::fast::prepare(remainder, None, heads, &none)?;
        crate::fast::execute(conn, &posting).map_err(|e| TxError::Domain(crate::fast::domain_error(e, remainder)))?;
    }
    let posting = crate::fast::prepare(&split.posted, mark, heads, &none)?;
    crate::fast::execute(conn, &posting).map_err(|e| TxError::Domain(crate::fast::domain_error(e, &split.posted)))?;
    Ok(())
}

#[derive(Debug, QueryableByName)]
struct ConditionRow {
    #[diesel(sql_type = SqlUuid)]
    account_id: Uuid,
    #[diesel(embed)]
    counters: CounterColumns,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
}

/// A posting with conditions, inside the caller's database transaction: lock
/// (in the global order) what it changes and what its conditions read, check
/// the conditions on the locked counters, then run the posting statement.
pub(crate) fn conditional_record(
    conn: &mut PgConnection,
    posting: &crate::fast::PostingQuery,
    transaction: &Transaction,
    conditions: &BTreeMap<AccountId, ledger_domain::posting::AccountCondition>,
    heads: &HashMap<AccountId, Account>,
) -> Result<(), TxError> {
    let ids: Vec<Uuid> = conditions.keys().map(|a| a.0).collect();
    let (rows, shards) = posting.counter_rows();
    let locked: Vec<ConditionRow> = sql_query(include_str!("sql/lock_for_conditions.sql"))
        .bind::<Array<SqlUuid>, _>(&ids)
        .bind::<Array<SqlUuid>, _>(rows)
        .bind::<Array<Int2>, _>(shards)
        .load(conn)?;
    let deltas = counter_deltas(None, transaction);
    for (id, condition) in conditions {
        let mut current = BalanceCounters::default();
        let mut version = 0i64;
        for row in locked.iter().filter(|r| r.account_id == id.0) {
            current.add(&(&row.counters).into());
            version = version.saturating_add(row.version);
        }
        let normal = heads
            .get(id)
            .map(|a| a.normal_balance)
            .ok_or(LedgerError::not_found("account", *id))?;
        let delta = deltas.get(id).cloned().unwrap_or_default();
        ledger_domain::posting::check_condition(*id, normal, version, &current, &delta, condition)?;
    }
    crate::fast::execute(conn, posting).map_err(|e| TxError::Domain(crate::fast::domain_error(e, transaction)))?;
    Ok(())
}
