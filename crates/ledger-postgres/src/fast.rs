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

use std::collections::{BTreeSet, HashMap};

use bigdecimal::BigDecimal;
use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Int2, Int4, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{QueryResult, RunQueryDsl};
use ledger_domain::access::{IdempotencyMark, StoredBody, transaction_snapshot};
use ledger_domain::posting::{counter_deltas, lowers_available};
use ledger_domain::{Account, AccountId, LedgerError, NormalBalance, Transaction};
use uuid::Uuid;

use crate::journal::shard_for;
use crate::rows::metadata_value;

/// The statement after the bound parameters (see [`PostingQuery`]), which bind
/// each value once into the `p` row.
pub(crate) const POSTING_BODY: &str = include_str!("sql/posting.sql");

/// The posting statement as a diesel query whose SQL text never changes, so
/// diesel keeps it prepared per connection (a `sql_query` is re-planned on
/// every call).
pub(crate) struct PostingQuery {
    tx: Uuid,
    ledger: Uuid,
    status: &'static str,
    description: Option<String>,
    metadata: serde_json::Value,
    effective_at: chrono::DateTime<chrono::Utc>,
    external_id: Option<String>,
    reverses: Option<Uuid>,
    partial_of: Option<Uuid>,
    created_at: chrono::DateTime<chrono::Utc>,
    posted_at: Option<chrono::DateTime<chrono::Utc>>,
    lines: Vec<i32>,
    e_accounts: Vec<Uuid>,
    e_directions: Vec<&'static str>,
    e_amounts: Vec<BigDecimal>,
    e_currencies: Vec<&'static str>,
    d_accounts: Vec<Uuid>,
    d_shards: Vec<i16>,
    pd: Vec<BigDecimal>,
    pc: Vec<BigDecimal>,
    qd: Vec<BigDecimal>,
    qc: Vec<BigDecimal>,
    floors: Vec<Option<BigDecimal>>,
    normals: Vec<&'static str>,
    idem_key_id: Option<Uuid>,
    idem_key: Option<String>,
    idem_token: Option<Uuid>,
    idem_status: Option<i32>,
    snapshot: Option<serde_json::Value>,
}

impl QueryId for PostingQuery {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for PostingQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH p AS MATERIALIZED (SELECT ");
        macro_rules! param {
            ($st:ty, $value:expr, $cast:literal, $alias:literal, $sep:literal) => {
                out.push_bind_param::<$st, _>($value)?;
                out.push_sql(concat!("::", $cast, " AS ", $alias, $sep));
            };
        }
        param!(SqlUuid, &self.tx, "uuid", "tx", ", ");
        param!(SqlUuid, &self.ledger, "uuid", "ledger", ", ");
        param!(Text, &self.status, "text", "status", ", ");
        param!(Nullable<Text>, &self.description, "text", "description", ", ");
        param!(Jsonb, &self.metadata, "jsonb", "metadata", ", ");
        param!(Timestamptz, &self.effective_at, "timestamptz", "effective_at", ", ");
        param!(Nullable<Text>, &self.external_id, "text", "external_id", ", ");
        param!(Nullable<SqlUuid>, &self.reverses, "uuid", "reverses", ", ");
        param!(Nullable<SqlUuid>, &self.partial_of, "uuid", "partial_of", ", ");
        param!(Timestamptz, &self.created_at, "timestamptz", "created_at", ", ");
        param!(Nullable<Timestamptz>, &self.posted_at, "timestamptz", "posted_at", ", ");
        param!(Array<Int4>, &self.lines, "int4[]", "lines", ", ");
        param!(Array<SqlUuid>, &self.e_accounts, "uuid[]", "e_accounts", ", ");
        param!(Array<Text>, &self.e_directions, "text[]", "e_directions", ", ");
        param!(Array<Numeric>, &self.e_amounts, "numeric[]", "e_amounts", ", ");
        param!(Array<Text>, &self.e_currencies, "text[]", "e_currencies", ", ");
        param!(Array<SqlUuid>, &self.d_accounts, "uuid[]", "d_accounts", ", ");
        param!(Array<Int2>, &self.d_shards, "int2[]", "d_shards", ", ");
        param!(Array<Numeric>, &self.pd, "numeric[]", "pd", ", ");
        param!(Array<Numeric>, &self.pc, "numeric[]", "pc", ", ");
        param!(Array<Numeric>, &self.qd, "numeric[]", "qd", ", ");
        param!(Array<Numeric>, &self.qc, "numeric[]", "qc", ", ");
        param!(Array<Nullable<Numeric>>, &self.floors, "numeric[]", "floors", ", ");
        param!(Array<Text>, &self.normals, "text[]", "normals", ", ");
        param!(Nullable<SqlUuid>, &self.idem_key_id, "uuid", "idem_key_id", ", ");
        param!(Nullable<Text>, &self.idem_key, "text", "idem_key", ", ");
        param!(Nullable<SqlUuid>, &self.idem_token, "uuid", "idem_token", ", ");
        param!(Nullable<Int4>, &self.idem_status, "int4", "idem_status", ", ");
        param!(Nullable<Jsonb>, &self.snapshot, "jsonb", "snapshot", "), ");
        out.push_sql(POSTING_BODY);
        Ok(())
    }
}

impl PostingQuery {
    /// The counter rows the posting changes: `(account, shard)`.
    pub(crate) fn counter_rows(&self) -> (&[Uuid], &[i16]) {
        (&self.d_accounts, &self.d_shards)
    }
}

impl RunQueryDsl<PgConnection> for PostingQuery {}
impl RunQueryDsl<PgConnection> for &PostingQuery {}

/// Stores a new transaction in one statement. `heads` holds the static fields
/// of every account the transaction touches.
pub(crate) fn prepare(
    transaction: &Transaction,
    mark: Option<&IdempotencyMark>,
    heads: &HashMap<AccountId, Account>,
    overdraft_allowed: &BTreeSet<AccountId>,
) -> Result<PostingQuery, LedgerError> {
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
        // no floor: unlimited, not lowered, or allowed past it by this posting
        floors.push(
            limit
                .filter(|_| lowers_available(normal, &delta) && !overdraft_allowed.contains(&id))
                .map(|l| -l),
        );
        normals.push(normal.as_str());
        pd.push(delta.posted_debits);
        pc.push(delta.posted_credits);
        qd.push(delta.pending_debits);
        qc.push(delta.pending_credits);
    }
    let entries = transaction.entries();
    let snapshot = match mark.map(|m| transaction_snapshot(transaction, m)) {
        Some(Ok(s)) => match s.body {
            StoredBody::Transaction(v) | StoredBody::Rendered(v) => Some(v),
        },
        _ => None,
    };
    Ok(PostingQuery {
        tx: transaction.id().0,
        ledger: transaction.ledger_id().0,
        status: transaction.status().as_str(),
        description: transaction.description().map(str::to_owned),
        metadata: metadata_value(transaction.metadata())?,
        effective_at: transaction.effective_at(),
        external_id: transaction.external_id().map(str::to_owned),
        reverses: transaction.reverses_id().map(|id| id.0),
        partial_of: transaction.partial_of().map(|id| id.0),
        created_at: transaction.created_at(),
        posted_at: transaction.posted_at(),
        lines: (0..entries.len()).filter_map(|i| i32::try_from(i).ok()).collect(),
        e_accounts: entries.iter().map(|e| e.account_id.0).collect(),
        e_directions: entries.iter().map(|e| e.direction.as_str()).collect(),
        e_amounts: entries.iter().map(|e| e.amount.clone()).collect(),
        e_currencies: entries.iter().map(|e| e.currency.code()).collect(),
        d_accounts: ids,
        d_shards: shards,
        pd,
        pc,
        qd,
        qc,
        floors,
        normals,
        idem_key_id: mark.map(|m| m.api_key_id),
        idem_key: mark.map(|m| m.key.clone()),
        idem_token: mark.map(|m| m.token),
        idem_status: mark.map(|m| i32::from(m.answer_status)),
        snapshot,
    })
}

/// Runs a prepared posting (autocommitted, or inside the caller's transaction).
pub(crate) fn execute(conn: &mut PgConnection, posting: &PostingQuery) -> Result<(), diesel::result::Error> {
    posting.execute(conn).map(|_| ())
}

/// A failed posting statement as a domain error: a limit refusal, a taken
/// `external_id`, or whatever the database said.
pub(crate) fn domain_error(e: diesel::result::Error, transaction: &Transaction) -> LedgerError {
    if let Some(refused) = refusal(&e) {
        return refused;
    }
    if let (diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info), Some(ext)) =
        (&e, transaction.external_id())
        && info.constraint_name() == Some("transactions_ledger_external_id_key")
    {
        return LedgerError::duplicate_external_id(ext);
    }
    crate::error::from_diesel(e)
}

/// The domain error behind a `ledger_refuse` exception, if it is one.
fn refusal(e: &diesel::result::Error) -> Option<LedgerError> {
    let diesel::result::Error::DatabaseError(_, info) = e else {
        return None;
    };
    let rest = info.message().strip_prefix("ledger_refused:")?;
    let (reason, account) = rest.split_once(':')?;
    if reason == "idempotency_claim_lost" {
        return Some(LedgerError::IdempotencyClaimLost);
    }
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
