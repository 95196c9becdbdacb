//! `LedgerStore` on PostgreSQL.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Int4, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{RunQueryDsl, sql_query};
use ledger_domain::category::creates_cycle;
use ledger_domain::ports::{
    AccountFilter, AccountStore, BookStore, CategoryStore, IdentityFilter, JournalStore, JournalWrite, LedgerStore,
    PageRequest, StatementCursor, StatementEntry, TransactionFilter,
};
use ledger_domain::{
    Account, AccountGroup, AccountId, BalanceCounters, Category, CategoryId, CategoryMember, Direction, GroupId,
    Identity, IdentityId, Ledger, LedgerError, LedgerId, Transaction, TransactionId, TransactionStatus,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{TxError, corrupt, from_diesel, pool_error};
use crate::journal;
use crate::pipeline::{Pipeline, PipelineConfig, PipelineStats};
use crate::posting::Posting;
use crate::rows::{
    AccountRow, CategoryRow, EntryRow, GroupRow, IdentityRow, LedgerRow, Totals, TransactionRow, to_transaction,
};
use crate::schema::{
    account_balances, account_day_sums, account_groups, account_statements, accounts, categories, category_members,
    entries, identities, ledgers, transactions,
};
use crate::{PgPool, PgPooled};

mod account_store;
mod book_store;
mod category_store;
mod journal_store;

/// Fixed fields that never change once written, kept in memory so a posting
/// costs no lookups: ledgers, account heads, and system-account codes.
#[derive(Default)]
struct Caches {
    ledgers: RwLock<HashMap<LedgerId, Ledger>>,
    heads: RwLock<HashMap<AccountId, Account>>,
    codes: RwLock<HashMap<(LedgerId, String), AccountId>>,
}

const CACHE_LIMIT: usize = 200_000;

fn remember<K: std::hash::Hash + Eq, V>(map: &RwLock<HashMap<K, V>>, key: K, value: V) {
    if let Ok(mut m) = map.write() {
        if m.len() >= CACHE_LIMIT {
            m.clear();
        }
        m.insert(key, value);
    }
}

/// An account without its (changing) counters.
fn head(account: &Account) -> Account {
    Account {
        counters: BalanceCounters::default(),
        version: 0,
        ..account.clone()
    }
}

/// The PostgreSQL store. Cloning shares the pool and the caches.
#[derive(Clone)]
pub struct PostgresLedgerStore {
    pool: PgPool,
    caches: Arc<Caches>,
    pipeline: Arc<Pipeline>,
}

impl std::fmt::Debug for PostgresLedgerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresLedgerStore").finish_non_exhaustive()
    }
}

fn limit(page: &PageRequest) -> i64 {
    i64::try_from(page.limit.clamp(1, 1000)).unwrap_or(100)
}

/// `{"k": "v", …}` for a `@>` containment filter on metadata.
fn containment(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<_, _>>(),
    )
}

impl PostgresLedgerStore {
    pub fn new(pool: PgPool) -> Self {
        Self::with_pipeline(pool, PipelineConfig::default())
    }

    /// A store whose postings are grouped as `config` says (see [`crate::pipeline`]).
    pub fn with_pipeline(pool: PgPool, config: PipelineConfig) -> Self {
        Self {
            pipeline: Arc::new(Pipeline::new(pool.clone(), config)),
            pool,
            caches: Arc::new(Caches::default()),
        }
    }

    /// What the posting pipeline has done so far.
    pub fn pipeline_stats(&self) -> &PipelineStats {
        self.pipeline.stats()
    }

    /// A new transaction, stored by the pipeline with whatever else is
    /// submitted meanwhile.
    fn record(&self, posting: Posting) -> Result<Transaction, LedgerError> {
        self.pipeline.submit(posting)
    }

    fn ensure_account_uncached(&self, account: &Account, code: &str) -> Result<Account, LedgerError> {
        let find = |conn: &mut PgConnection| -> Result<Option<Account>, TxError> {
            let row: Option<AccountRow> = accounts::table
                .filter(accounts::ledger_id.eq(account.ledger_id.0))
                .filter(accounts::code.eq(&code))
                .select(AccountRow::as_select())
                .first(conn)
                .optional()?;
            match row {
                Some(r) => Ok(Self::with_totals(conn, vec![r])?.pop()),
                None => Ok(None),
            }
        };
        if let Some(found) = self.tx(find)? {
            return Ok(found);
        }
        // Concurrent first uses: the unique (ledger_id, code) lets one insert win;
        // the others find the winner's account.
        match self.tx(|conn| Self::insert_account_in(conn, account)) {
            Ok(()) => Ok(account.clone()),
            Err(LedgerError::CodeTaken(_)) => self
                .tx(find)?
                .ok_or_else(|| LedgerError::Unknown(anyhow::anyhow!("system account {code} vanished"))),
            Err(e) => Err(e),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn conn(&self) -> Result<PgPooled, LedgerError> {
        self.pool.get().map_err(pool_error)
    }

    /// Runs `f` in one database transaction.
    pub(crate) fn tx<T>(&self, f: impl FnOnce(&mut PgConnection) -> Result<T, TxError>) -> Result<T, LedgerError> {
        let mut pooled = self.conn()?;
        let conn: &mut PgConnection = &mut pooled;
        conn.transaction(f).map_err(LedgerError::from)
    }

    fn insert_account_in(conn: &mut PgConnection, account: &Account) -> Result<(), TxError> {
        diesel::insert_into(accounts::table)
            .values(AccountRow::try_from(account)?)
            .execute(conn)?;
        // one counter row per account (see the group-commit migration)
        diesel::insert_into(account_balances::table)
            .values((
                account_balances::account_id.eq(account.id.0),
                account_balances::shard.eq(0),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// The counters of `ids`, summed over their rows (one per account since the
    /// group-commit migration; a static query, kept prepared).
    fn totals(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Totals>, TxError> {
        use diesel::dsl::sum;
        type Sums = (
            Uuid,
            Option<BigDecimal>,
            Option<BigDecimal>,
            Option<BigDecimal>,
            Option<BigDecimal>,
            Option<BigDecimal>,
        );
        let rows: Vec<Sums> = account_balances::table
            .filter(account_balances::account_id.eq_any(ids))
            .group_by(account_balances::account_id)
            .select((
                account_balances::account_id,
                sum(account_balances::posted_debits),
                sum(account_balances::posted_credits),
                sum(account_balances::pending_debits),
                sum(account_balances::pending_credits),
                sum(account_balances::version),
            ))
            .load(conn)?;
        let zero = BigDecimal::from(0);
        Ok(rows
            .into_iter()
            .map(|(id, pd, pc, qd, qc, v)| {
                let version = v.and_then(|v| bigdecimal::ToPrimitive::to_i64(&v)).unwrap_or(0);
                let counters = BalanceCounters {
                    posted_debits: pd.unwrap_or_else(|| zero.clone()),
                    posted_credits: pc.unwrap_or_else(|| zero.clone()),
                    pending_debits: qd.unwrap_or_else(|| zero.clone()),
                    pending_credits: qc.unwrap_or_else(|| zero.clone()),
                };
                (id, (counters, version))
            })
            .collect())
    }

    fn with_totals(conn: &mut PgConnection, rows: Vec<AccountRow>) -> Result<Vec<Account>, TxError> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut by_id = Self::totals(conn, &ids)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let t = by_id.remove(&r.id);
                r.into_account(t)
            })
            .collect::<Result<Vec<_>, LedgerError>>()?)
    }

    fn transactions_with_entries(
        conn: &mut PgConnection,
        rows: Vec<TransactionRow>,
    ) -> Result<Vec<Transaction>, TxError> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let lines: Vec<EntryRow> = entries::table
            .filter(entries::transaction_id.eq_any(&ids))
            .order((entries::transaction_id, entries::line))
            .select(EntryRow::as_select())
            .load(conn)?;
        let mut by_tx: HashMap<Uuid, Vec<EntryRow>> = HashMap::new();
        for l in lines {
            by_tx.entry(l.transaction_id).or_default().push(l);
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let lines = by_tx.remove(&r.id).unwrap_or_default();
                to_transaction(r, lines)
            })
            .collect::<Result<Vec<_>, LedgerError>>()?)
    }
}

#[derive(QueryableByName)]
struct DirectionSum {
    #[diesel(sql_type = Text)]
    direction: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Numeric)]
    total: BigDecimal,
}

fn counters_from(sums: &[DirectionSum]) -> Result<BalanceCounters, LedgerError> {
    let mut counters = BalanceCounters::default();
    apply_sums(&mut counters, sums, None, true)?;
    Ok(counters)
}

/// Adds (or removes) summed entries to counters, under their own status or `as_status`.
fn apply_sums(
    counters: &mut BalanceCounters,
    sums: &[DirectionSum],
    as_status: Option<TransactionStatus>,
    add: bool,
) -> Result<(), LedgerError> {
    for s in sums {
        let direction = Direction::parse(&s.direction).ok_or_else(|| corrupt("direction", &s.direction))?;
        let status = match as_status {
            Some(status) => status,
            None => TransactionStatus::parse(&s.status).ok_or_else(|| corrupt("status", &s.status))?,
        };
        counters.apply(status, direction, &s.total, add);
    }
    Ok(())
}

#[derive(QueryableByName)]
struct StatementRow {
    #[diesel(sql_type = SqlUuid)]
    transaction_id: Uuid,
    #[diesel(sql_type = Int4)]
    line: i32,
    #[diesel(sql_type = Text)]
    direction: String,
    #[diesel(sql_type = Numeric)]
    amount: BigDecimal,
    #[diesel(sql_type = Timestamptz)]
    effective_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    description: Option<String>,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

impl LedgerStore for PostgresLedgerStore {
    /// Answers within [`crate::PING_TIMEOUT`] plus a round trip, database up or not.
    fn ping(&self) -> Result<(), LedgerError> {
        let mut conn = self.pool.get_timeout(crate::PING_TIMEOUT).map_err(pool_error)?;
        sql_query("SELECT 1").execute(&mut conn).map_err(from_diesel)?;
        Ok(())
    }
}
