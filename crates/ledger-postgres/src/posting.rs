//! Postings on PostgreSQL, a batch at a time: how `JournalWrite::Record` (and
//! the postings inside a reversal or a partial post) reach the database.
//!
//! [`apply`] stores a batch of new transactions inside the caller's database
//! transaction with the same few statements whatever the batch's size:
//! 1. lock the counter row of every account the batch changes or a condition
//!    reads, in account order (`lock_accounts.sql`, the one global order);
//! 2. when the batch needs them: which external ids are taken, and which
//!    idempotency claims are still held (locked);
//! 3. decide each posting in arrival order, here, with the domain's rules
//!    (`check_condition`, `check_limit`), against the counters as the
//!    postings before it in the batch left them; a refused posting is
//!    answered with its own error and changes nothing;
//! 4. write the accepted ones with one statement (`write_batch.sql`):
//!    transactions, entries with the account versions they produced, each
//!    counter row once, the per-day checkpoints, and the idempotency answers.
//!
//! The available-balance rule is therefore the domain's, here as in the
//! in-memory adapter: no SQL restates it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use bigdecimal::BigDecimal;
use chrono::NaiveDate;
use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Int4, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use ledger_domain::access::{IdempotencyMark, StoredBody, transaction_snapshot};
use ledger_domain::account::BalanceCounters;
use ledger_domain::posting::{AccountCondition, check_condition, check_limit, counter_deltas};
use ledger_domain::{AccountId, LedgerError, NormalBalance, Transaction};
use uuid::Uuid;

use crate::error::{TxError, corrupt};
use crate::prepared::Prepared;
use crate::rows::metadata_value;

/// A new transaction to store, with what the write port says about it.
#[derive(Debug, Clone)]
pub(crate) struct Posting {
    pub transaction: Transaction,
    pub mark: Option<IdempotencyMark>,
    pub overdraft_allowed: BTreeSet<AccountId>,
    pub conditions: BTreeMap<AccountId, AccountCondition>,
}

impl Posting {
    pub(crate) fn plain(transaction: Transaction, mark: Option<IdempotencyMark>) -> Self {
        Self {
            transaction,
            mark,
            overdraft_allowed: BTreeSet::new(),
            conditions: BTreeMap::new(),
        }
    }
}

/// The four counters of a counter row, as a locking query returns them.
#[derive(Debug, QueryableByName)]
pub(crate) struct CounterColumns {
    #[diesel(sql_type = Numeric)]
    posted_debits: BigDecimal,
    #[diesel(sql_type = Numeric)]
    posted_credits: BigDecimal,
    #[diesel(sql_type = Numeric)]
    pending_debits: BigDecimal,
    #[diesel(sql_type = Numeric)]
    pending_credits: BigDecimal,
}

#[derive(Debug, QueryableByName)]
struct LockedRow {
    #[diesel(sql_type = SqlUuid)]
    account_id: Uuid,
    #[diesel(sql_type = Text)]
    normal_balance: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    overdraft_limit: Option<BigDecimal>,
    #[diesel(embed)]
    counters: CounterColumns,
    #[diesel(sql_type = BigInt)]
    version: i64,
}

/// A locked account as a write sees it: its rules, and its counters and
/// version as the writes before it (in the same batch) left them.
#[derive(Debug, Clone)]
pub(crate) struct Locked {
    pub normal: NormalBalance,
    pub floor: Option<BigDecimal>,
    pub counters: BalanceCounters,
    pub version: i64,
}

/// Locks the counter rows of `ids` in account order.
pub(crate) fn lock(conn: &mut PgConnection, ids: &BTreeSet<AccountId>) -> Result<HashMap<AccountId, Locked>, TxError> {
    let ids: Vec<Uuid> = ids.iter().map(|a| a.0).collect();
    let rows: Vec<LockedRow> = Prepared::new(include_str!("sql/lock_accounts.sql"))
        .bind::<Array<SqlUuid>, _>(&ids)
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let normal =
                NormalBalance::parse(&r.normal_balance).ok_or_else(|| corrupt("normal balance", &r.normal_balance))?;
            let c = r.counters;
            Ok((
                AccountId(r.account_id),
                Locked {
                    normal,
                    floor: r.overdraft_limit.map(|l| -l),
                    counters: BalanceCounters {
                        posted_debits: c.posted_debits,
                        posted_credits: c.posted_credits,
                        pending_debits: c.pending_debits,
                        pending_credits: c.pending_credits,
                    },
                    version: r.version,
                },
            ))
        })
        .collect()
}

fn missing(id: AccountId) -> LedgerError {
    LedgerError::Unknown(anyhow::anyhow!("the counter row of account {id} is missing"))
}

/// Checks the limit of every account in `deltas` (but those `allowed` past
/// it) against `locked`; returns each account's version after the write.
pub(crate) fn check(
    locked: &HashMap<AccountId, Locked>,
    deltas: &BTreeMap<AccountId, BalanceCounters>,
    allowed: &BTreeSet<AccountId>,
) -> Result<BTreeMap<AccountId, i64>, LedgerError> {
    let mut versions = BTreeMap::new();
    for (id, delta) in deltas {
        let a = locked.get(id).ok_or_else(|| missing(*id))?;
        if !allowed.contains(id) {
            check_limit(*id, a.normal, a.floor.as_ref(), &a.counters, delta)?;
        }
        versions.insert(*id, a.version.saturating_add(1));
    }
    Ok(versions)
}

/// Applies checked deltas to `locked` and records them in `writes`, with
/// the effective day of the transaction they come from (for the checkpoints).
pub(crate) fn settle(
    locked: &mut HashMap<AccountId, Locked>,
    deltas: &BTreeMap<AccountId, BalanceCounters>,
    day: NaiveDate,
    writes: &mut Writes,
) {
    for (id, delta) in deltas {
        if let Some(a) = locked.get_mut(id) {
            a.counters.add(delta);
            a.version = a.version.saturating_add(1);
            writes.counter(*id, day, delta);
        }
    }
}

/// Stores the postings it accepts, in order, inside the caller's database
/// transaction; answers each one. An `Err` is the database failing (nothing
/// of the batch may be committed then).
pub(crate) fn apply(
    conn: &mut PgConnection,
    postings: &[Posting],
) -> Result<Vec<Result<Transaction, LedgerError>>, TxError> {
    let mut ids = BTreeSet::new();
    for p in postings {
        ids.extend(p.transaction.account_ids());
        ids.extend(p.conditions.keys().copied());
    }
    let mut locked = lock(conn, &ids)?;
    let taken = taken_external_ids(conn, postings)?;
    let held = held_claims(conn, postings)?;
    let mut seen = HashSet::new();
    let mut writes = Writes::default();
    let answers = postings
        .iter()
        .map(|p| decide(p, &mut locked, &taken, &held, &mut seen, &mut writes))
        .collect();
    writes.execute(conn)?;
    Ok(answers)
}

/// One posting, against the batch's locked accounts.
fn decide(
    p: &Posting,
    locked: &mut HashMap<AccountId, Locked>,
    taken: &HashSet<(Uuid, String)>,
    held: &HashSet<(Uuid, String)>,
    seen: &mut HashSet<(Uuid, String)>,
    writes: &mut Writes,
) -> Result<Transaction, LedgerError> {
    let t = &p.transaction;
    if let Some(m) = &p.mark
        && !held.contains(&(m.api_key_id, m.key.clone()))
    {
        return Err(LedgerError::IdempotencyClaimLost);
    }
    let deltas = counter_deltas(None, t);
    for (id, condition) in &p.conditions {
        let a = locked.get(id).ok_or(LedgerError::not_found("account", *id))?;
        let delta = deltas.get(id).cloned().unwrap_or_default();
        check_condition(*id, a.normal, a.version, &a.counters, &delta, condition)?;
    }
    let external = t.external_id().map(|e| (t.ledger_id().0, e.to_owned()));
    if let Some(key) = &external
        && (taken.contains(key) || seen.contains(key))
    {
        return Err(LedgerError::duplicate_external_id(&key.1));
    }
    let versions = check(locked, &deltas, &p.overdraft_allowed)?;
    let stored = t.clone().with_account_versions(&versions);
    writes.posting(&stored, p.mark.as_ref())?;
    settle(locked, &deltas, t.effective_at().date_naive(), writes);
    if let Some(key) = external {
        seen.insert(key);
    }
    Ok(stored)
}

#[derive(Debug, QueryableByName)]
struct ExternalIdRow {
    #[diesel(sql_type = SqlUuid)]
    ledger_id: Uuid,
    #[diesel(sql_type = Text)]
    external_id: String,
}

fn taken_external_ids(conn: &mut PgConnection, postings: &[Posting]) -> Result<HashSet<(Uuid, String)>, TxError> {
    let (ledgers, ids): (Vec<Uuid>, Vec<String>) = postings
        .iter()
        .filter_map(|p| {
            p.transaction
                .external_id()
                .map(|e| (p.transaction.ledger_id().0, e.to_owned()))
        })
        .unzip();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<ExternalIdRow> = Prepared::new(include_str!("sql/taken_external_ids.sql"))
        .bind::<Array<SqlUuid>, _>(&ledgers)
        .bind::<Array<Text>, _>(&ids)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.ledger_id, r.external_id)).collect())
}

#[derive(Debug, QueryableByName)]
struct ClaimRow {
    #[diesel(sql_type = SqlUuid)]
    api_key_id: Uuid,
    #[diesel(sql_type = Text)]
    key: String,
}

fn held_claims(conn: &mut PgConnection, postings: &[Posting]) -> Result<HashSet<(Uuid, String)>, TxError> {
    let marks: Vec<&IdempotencyMark> = postings.iter().filter_map(|p| p.mark.as_ref()).collect();
    if marks.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<ClaimRow> = Prepared::new(include_str!("sql/held_claims.sql"))
        .bind::<Array<SqlUuid>, _>(marks.iter().map(|m| m.api_key_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(marks.iter().map(|m| m.key.clone()).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(marks.iter().map(|m| m.token).collect::<Vec<_>>())
        .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.api_key_id, r.key)).collect())
}

/// The columns `write_batch.sql` writes, one vector per column.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    t_id: Vec<Uuid>,
    t_ledger: Vec<Uuid>,
    t_status: Vec<&'static str>,
    t_description: Vec<Option<String>>,
    t_metadata: Vec<serde_json::Value>,
    t_effective_at: Vec<chrono::DateTime<chrono::Utc>>,
    t_external_id: Vec<Option<String>>,
    t_reverses: Vec<Option<Uuid>>,
    t_partial_of: Vec<Option<Uuid>>,
    t_created_at: Vec<chrono::DateTime<chrono::Utc>>,
    t_posted_at: Vec<Option<chrono::DateTime<chrono::Utc>>>,
    e_tx: Vec<Uuid>,
    e_line: Vec<i32>,
    e_account: Vec<Uuid>,
    e_direction: Vec<&'static str>,
    e_amount: Vec<BigDecimal>,
    e_currency: Vec<&'static str>,
    e_effective_at: Vec<chrono::DateTime<chrono::Utc>>,
    e_version: Vec<Option<i64>>,
    /// per counter row: the summed delta and how many writes made it
    counters: BTreeMap<AccountId, (BalanceCounters, i64)>,
    /// the same deltas by effective day
    days: BTreeMap<(AccountId, NaiveDate), BalanceCounters>,
    i_key_id: Vec<Uuid>,
    i_key: Vec<String>,
    i_token: Vec<Uuid>,
    i_status: Vec<i32>,
    i_body: Vec<serde_json::Value>,
}

#[derive(Debug, QueryableByName)]
struct Written {
    #[diesel(sql_type = BigInt)]
    transactions: i64,
    #[diesel(sql_type = BigInt)]
    entries: i64,
    #[diesel(sql_type = BigInt)]
    counters: i64,
    #[diesel(sql_type = BigInt)]
    days: i64,
    #[diesel(sql_type = BigInt)]
    completions: i64,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Writes {
    pub(crate) fn counter(&mut self, id: AccountId, day: NaiveDate, delta: &BalanceCounters) {
        let (sum, n) = self.counters.entry(id).or_default();
        sum.add(delta);
        *n += 1;
        self.days.entry((id, day)).or_default().add(delta);
    }

    fn posting(&mut self, t: &Transaction, mark: Option<&IdempotencyMark>) -> Result<(), LedgerError> {
        let metadata = metadata_value(t.metadata())?;
        let answer = mark
            .map(|m| {
                transaction_snapshot(t, m).map(|s| match s.body {
                    StoredBody::Transaction(v) | StoredBody::Rendered(v) => (m, s.status, v),
                })
            })
            .transpose()?;
        self.t_id.push(t.id().0);
        self.t_ledger.push(t.ledger_id().0);
        self.t_status.push(t.status().as_str());
        self.t_description.push(t.description().map(str::to_owned));
        self.t_metadata.push(metadata);
        self.t_effective_at.push(t.effective_at());
        self.t_external_id.push(t.external_id().map(str::to_owned));
        self.t_reverses.push(t.reverses_id().map(|i| i.0));
        self.t_partial_of.push(t.partial_of().map(|i| i.0));
        self.t_created_at.push(t.created_at());
        self.t_posted_at.push(t.posted_at());
        for (line, e) in t.entries().iter().enumerate() {
            self.e_tx.push(t.id().0);
            self.e_line
                .push(i32::try_from(line).map_err(|_| LedgerError::validation("entries", "too many"))?);
            self.e_account.push(e.account_id.0);
            self.e_direction.push(e.direction.as_str());
            self.e_amount.push(e.amount.clone());
            self.e_currency.push(e.currency.code());
            self.e_effective_at.push(t.effective_at());
            self.e_version.push(e.account_version);
        }
        if let Some((m, status, body)) = answer {
            self.i_key_id.push(m.api_key_id);
            self.i_key.push(m.key.clone());
            self.i_token.push(m.token);
            self.i_status.push(i32::from(status));
            self.i_body.push(body);
        }
        Ok(())
    }

    /// Runs `write_batch.sql` and checks that every row it meant to write was
    /// written (a claim or counter row that vanished fails the whole batch).
    pub(crate) fn execute(self, conn: &mut PgConnection) -> Result<(), TxError> {
        if self.t_id.is_empty() && self.counters.is_empty() {
            return Ok(());
        }
        let mut c_account = Vec::with_capacity(self.counters.len());
        let (mut pd, mut pc, mut qd, mut qc, mut n) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, (d, times)) in &self.counters {
            c_account.push(id.0);
            pd.push(d.posted_debits.clone());
            pc.push(d.posted_credits.clone());
            qd.push(d.pending_debits.clone());
            qc.push(d.pending_credits.clone());
            n.push(*times);
        }
        let mut d_account = Vec::with_capacity(self.days.len());
        let mut d_day = Vec::with_capacity(self.days.len());
        let (mut dpd, mut dpc, mut dqd, mut dqc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ((id, day), d) in &self.days {
            d_account.push(id.0);
            d_day.push(*day);
            dpd.push(d.posted_debits.clone());
            dpc.push(d.posted_credits.clone());
            dqd.push(d.pending_debits.clone());
            dqc.push(d.pending_credits.clone());
        }
        let written: Written = Prepared::new(include_str!("sql/write_batch.sql"))
            .bind::<Array<SqlUuid>, _>(&self.t_id)
            .bind::<Array<SqlUuid>, _>(&self.t_ledger)
            .bind::<Array<Text>, _>(&self.t_status)
            .bind::<Array<Nullable<Text>>, _>(&self.t_description)
            .bind::<Array<Jsonb>, _>(&self.t_metadata)
            .bind::<Array<Timestamptz>, _>(&self.t_effective_at)
            .bind::<Array<Nullable<Text>>, _>(&self.t_external_id)
            .bind::<Array<Nullable<SqlUuid>>, _>(&self.t_reverses)
            .bind::<Array<Nullable<SqlUuid>>, _>(&self.t_partial_of)
            .bind::<Array<Timestamptz>, _>(&self.t_created_at)
            .bind::<Array<Nullable<Timestamptz>>, _>(&self.t_posted_at)
            .bind::<Array<SqlUuid>, _>(&self.e_tx)
            .bind::<Array<Int4>, _>(&self.e_line)
            .bind::<Array<SqlUuid>, _>(&self.e_account)
            .bind::<Array<Text>, _>(&self.e_direction)
            .bind::<Array<Numeric>, _>(&self.e_amount)
            .bind::<Array<Text>, _>(&self.e_currency)
            .bind::<Array<Timestamptz>, _>(&self.e_effective_at)
            .bind::<Array<Nullable<BigInt>>, _>(&self.e_version)
            .bind::<Array<SqlUuid>, _>(&c_account)
            .bind::<Array<Numeric>, _>(&pd)
            .bind::<Array<Numeric>, _>(&pc)
            .bind::<Array<Numeric>, _>(&qd)
            .bind::<Array<Numeric>, _>(&qc)
            .bind::<Array<BigInt>, _>(&n)
            .bind::<Array<SqlUuid>, _>(&self.i_key_id)
            .bind::<Array<Text>, _>(&self.i_key)
            .bind::<Array<SqlUuid>, _>(&self.i_token)
            .bind::<Array<Int4>, _>(&self.i_status)
            .bind::<Array<Jsonb>, _>(&self.i_body)
            .bind::<Array<SqlUuid>, _>(&d_account)
            .bind::<Array<Date>, _>(&d_day)
            .bind::<Array<Numeric>, _>(&dpd)
            .bind::<Array<Numeric>, _>(&dpc)
            .bind::<Array<Numeric>, _>(&dqd)
            .bind::<Array<Numeric>, _>(&dqc)
            .get_result(conn)?;
        let expected = (
            count(self.t_id.len()),
            count(self.e_tx.len()),
            count(c_account.len()),
            count(d_account.len()),
            count(self.i_key.len()),
        );
        let got = (
            written.transactions,
            written.entries,
            written.counters,
            written.days,
            written.completions,
        );
        if got != expected {
            return Err(LedgerError::Unknown(anyhow::anyhow!(
                "a batch wrote (transactions, entries, counters, days, idempotency answers) = {got:?}, not {expected:?}"
            ))
            .into());
        }
        Ok(())
    }
}

/// A failed batch of one as the posting's own error: a taken `external_id`
/// that a concurrent batch committed first, or whatever the database said.
pub(crate) fn domain_error(e: TxError, transaction: &Transaction) -> LedgerError {
    match e {
        TxError::Db(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info))
            if info.constraint_name() == Some("transactions_ledger_external_id_key") =>
        {
            LedgerError::duplicate_external_id(transaction.external_id().unwrap_or_default())
        }
        e => e.into(),
    }
}

/// A deadlock or serialization failure: the database rolled the batch back
/// and it may simply run again. Writes lock in one global order, so this is
/// not expected; it is retried all the same, and counted.
pub(crate) fn is_retryable(e: &TxError) -> bool {
    matches!(
        e,
        TxError::Db(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::SerializationFailure,
            _,
        ))
    ) || matches!(e, TxError::Db(diesel::result::Error::DatabaseError(_, info)) if info.message().contains("deadlock detected"))
}
