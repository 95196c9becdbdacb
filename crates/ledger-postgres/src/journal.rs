//! Status changes, reversals and partial posts: one database transaction
//! each, under the row lock of the transaction they change. The postings they
//! store go through [`crate::posting`] like any other, and every counter row
//! is locked in the one global order (`lock_accounts.sql`).

use std::collections::BTreeSet;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use ledger_domain::access::IdempotencyMark;
use ledger_domain::posting::counter_deltas;
use ledger_domain::{LedgerError, Transaction, TransactionId, TransactionStatus};

use crate::error::TxError;
use crate::pipeline::store_within;
use crate::posting::{self, Posting, Writes};
use crate::rows::{EntryRow, TransactionRow, to_transaction};
use crate::schema::{entries, transactions};

/// Moves the counters from what `before` holds to what `after` holds: locks
/// the rows, checks the limits of the accounts whose available balance drops,
/// writes the deltas.
fn restate(conn: &mut PgConnection, before: &Transaction, after: &Transaction) -> Result<(), TxError> {
    let deltas = counter_deltas(Some(before), after);
    let mut locked = posting::lock(conn, &deltas.keys().copied().collect())?;
    posting::check(&locked, &deltas, &BTreeSet::new())?;
    let mut writes = Writes::default();
    posting::settle(&mut locked, &deltas, after.effective_at().date_naive(), &mut writes);
    writes.execute(conn)
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
    restate(conn, &current, &next)?;
    diesel::update(transactions::table.filter(transactions::id.eq(id.0)))
        .set((
            transactions::status.eq(next.status().as_str()),
            transactions::posted_at.eq(next.posted_at()),
        ))
        .execute(conn)?;
    Ok(next)
}

/// Stores `reversal` under the original's row lock, then links the original.
pub(crate) fn reverse(
    conn: &mut PgConnection,
    reversal: &Transaction,
    mark: Option<&IdempotencyMark>,
) -> Result<Transaction, TxError> {
    let original_id = reversal
        .reverses_id()
        .ok_or_else(|| LedgerError::Unknown(anyhow::anyhow!("a reversal must name what it reverses")))?;
    let original = load(conn, original_id, true)?.ok_or(LedgerError::not_found("transaction", original_id))?;
    // Re-checked under the row lock: at most one reversal wins.
    original.mark_reversed_by(reversal)?;
    let stored = one(store_within(conn, &[Posting::plain(reversal.clone(), mark.cloned())])?)?;
    diesel::update(transactions::table.filter(transactions::id.eq(original_id.0)))
        .set(transactions::reversed_by_id.eq(reversal.id().0))
        .execute(conn)?;
    Ok(stored)
}

/// Archives the pending transaction and stores its posted part and remainder,
/// under the pending row's lock.
pub(crate) fn partial_post(
    conn: &mut PgConnection,
    split: &ledger_domain::PartialPost,
    mark: Option<&IdempotencyMark>,
) -> Result<Transaction, TxError> {
    let id = split.archived.id();
    let current = load(conn, id, true)?.ok_or(LedgerError::not_found("transaction", id))?;
    // re-checked under the lock: it is still the pending transaction that was split
    current.transition(TransactionStatus::Archived, split.archived.created_at())?;
    restate(conn, &current, &split.archived)?;
    diesel::update(transactions::table.filter(transactions::id.eq(id.0)))
        .set(transactions::status.eq(TransactionStatus::Archived.as_str()))
        .execute(conn)?;
    let mut postings: Vec<Posting> = split
        .remainder
        .iter()
        .map(|r| Posting::plain(r.clone(), None))
        .collect();
    postings.push(Posting::plain(split.posted.clone(), mark.cloned()));
    // the posted part is the last one
    let stored = store_within(conn, &postings)?;
    Ok(stored
        .into_iter()
        .last()
        .ok_or_else(|| LedgerError::Unknown(anyhow::anyhow!("nothing stored")))?)
}

fn one(mut stored: Vec<Transaction>) -> Result<Transaction, TxError> {
    Ok(stored
        .pop()
        .ok_or_else(|| LedgerError::Unknown(anyhow::anyhow!("nothing stored")))?)
}
