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
use crate::fast;
use crate::journal::{self, HOUSE_SHARDS};
use crate::rows::{
    AccountRow, CategoryRow, EntryRow, GroupRow, IdentityRow, LedgerRow, Totals, TransactionRow, to_transaction,
};
use crate::schema::{
    account_balances, account_groups, account_statements, accounts, categories, category_members, entries, identities,
    ledgers, transactions,
};
use crate::{PgPool, PgPooled};
use ledger_domain::access::IdempotencyMark;

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
        Self {
            pool,
            caches: Arc::new(Caches::default()),
        }
    }

    /// One posting, one statement; a detected deadlock is retried.
    fn record(
        &self,
        transaction: &Transaction,
        mark: Option<&IdempotencyMark>,
        overdraft_allowed: &std::collections::BTreeSet<AccountId>,
        conditions: &std::collections::BTreeMap<AccountId, ledger_domain::posting::AccountCondition>,
    ) -> Result<(), LedgerError> {
        let heads = self.account_heads(&transaction.account_ids())?;
        let posting = fast::prepare(transaction, mark, &heads, overdraft_allowed)?;
        if !conditions.is_empty() {
            return self.tx(|conn| journal::conditional_record(conn, &posting, transaction, conditions, &heads));
        }
        let mut conn = self.conn()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match fast::execute(&mut conn, &posting) {
                Ok(()) => return Ok(()),
                Err(e) if fast::is_retryable(&e) && attempt < 5 => continue,
                Err(e) => return Err(fast::domain_error(e, transaction)),
            }
        }
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
        let shards = if account.overdraft_limit.is_some() {
            1
        } else {
            HOUSE_SHARDS
        };
        let rows: Vec<_> = (0..shards)
            .map(|s| {
                (
                    account_balances::account_id.eq(account.id.0),
                    account_balances::shard.eq(s),
                )
            })
            .collect();
        diesel::insert_into(account_balances::table)
            .values(rows)
            .execute(conn)?;
        Ok(())
    }

    /// Sums of the counter shards of `ids` (a static query, kept prepared).
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
    fn ping(&self) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        sql_query("SELECT 1").execute(&mut conn).map_err(from_diesel)?;
        Ok(())
    }
}

impl BookStore for PostgresLedgerStore {
    fn insert_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::insert_into(ledgers::table)
            .values(LedgerRow::try_from(ledger)?)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn insert_group(&self, group: &AccountGroup) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::insert_into(account_groups::table)
            .values(GroupRow::try_from(group)?)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn get_group(&self, id: GroupId) -> Result<Option<AccountGroup>, LedgerError> {
        let mut conn = self.conn()?;
        account_groups::table
            .find(id.0)
            .select(GroupRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
            .map(AccountGroup::try_from)
            .transpose()
    }

    fn list_groups(&self, ledger_id: LedgerId, page: &PageRequest) -> Result<Vec<AccountGroup>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = account_groups::table
            .filter(account_groups::ledger_id.eq(ledger_id.0))
            .select(GroupRow::as_select())
            .order(account_groups::id)
            .limit(limit(page))
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(account_groups::id.gt(after));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(AccountGroup::try_from)
            .collect()
    }

    fn get_ledger(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError> {
        let mut conn = self.conn()?;
        let ledger = ledgers::table
            .find(id.0)
            .select(LedgerRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
            .map(Ledger::try_from)
            .transpose()?;
        if let Some(l) = &ledger {
            remember(&self.caches.ledgers, id, l.clone());
        }
        Ok(ledger)
    }

    /// From the cache (its fixed fields never change), else from the table.
    fn ledger_head(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError> {
        if let Some(l) = self.caches.ledgers.read().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(Some(l));
        }
        self.get_ledger(id)
    }

    fn update_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        let row = LedgerRow::try_from(ledger)?;
        let updated = diesel::update(ledgers::table.find(ledger.id.0))
            .set((
                ledgers::name.eq(row.name),
                ledgers::description.eq(row.description),
                ledgers::metadata.eq(row.metadata),
            ))
            .execute(&mut conn)
            .map_err(from_diesel)?;
        if updated == 0 {
            return Err(LedgerError::not_found("ledger", ledger.id));
        }
        remember(&self.caches.ledgers, ledger.id, ledger.clone());
        Ok(())
    }

    fn list_ledgers(&self, page: &PageRequest) -> Result<Vec<Ledger>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = ledgers::table
            .select(LedgerRow::as_select())
            .order(ledgers::id)
            .limit(limit(page))
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(ledgers::id.gt(after));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(Ledger::try_from)
            .collect()
    }

    fn insert_identity(&self, identity: &Identity) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::insert_into(identities::table)
            .values(IdentityRow::try_from(identity)?)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn get_identity(&self, id: IdentityId) -> Result<Option<Identity>, LedgerError> {
        let mut conn = self.conn()?;
        identities::table
            .find(id.0)
            .select(IdentityRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
            .map(Identity::try_from)
            .transpose()
    }

    fn list_identities(&self, f: &IdentityFilter) -> Result<Vec<Identity>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = identities::table
            .select(IdentityRow::as_select())
            .order(identities::id)
            .limit(limit(&f.page))
            .into_boxed();
        if let Some(after) = f.page.after {
            q = q.filter(identities::id.gt(after));
        }
        if let Some(l) = f.ledger_id {
            q = q.filter(identities::ledger_id.eq(l.0));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(Identity::try_from)
            .collect()
    }
}

/// An account statement as stored.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = account_statements, check_for_backend(diesel::pg::Pg))]
struct AccountStatementRow {
    id: Uuid,
    account_id: Uuid,
    ledger_id: Uuid,
    effective_from: DateTime<Utc>,
    effective_to: DateTime<Utc>,
    starting: Value,
    ending: Value,
    account_version: i64,
    description: Option<String>,
    metadata: Value,
    created_at: DateTime<Utc>,
}

impl AccountStore for PostgresLedgerStore {
    fn insert_account_statement(&self, s: &ledger_domain::account::AccountStatement) -> Result<(), LedgerError> {
        let json = |c: &BalanceCounters| serde_json::to_value(c).map_err(|e| LedgerError::Unknown(e.into()));
        let row = AccountStatementRow {
            id: s.id.0,
            account_id: s.account_id.0,
            ledger_id: s.ledger_id.0,
            effective_from: s.effective_from,
            effective_to: s.effective_to,
            starting: json(&s.starting)?,
            ending: json(&s.ending)?,
            account_version: s.account_version,
            description: s.description.clone(),
            metadata: crate::rows::metadata_value(&s.metadata)?,
            created_at: s.created_at,
        };
        let mut conn = self.conn()?;
        diesel::insert_into(account_statements::table)
            .values(row)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn get_account_statement(
        &self,
        id: ledger_domain::StatementId,
    ) -> Result<Option<ledger_domain::account::AccountStatement>, LedgerError> {
        let mut conn = self.conn()?;
        let Some(r) = account_statements::table
            .find(id.0)
            .select(AccountStatementRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
        else {
            return Ok(None);
        };
        let account = self
            .account_heads(&[AccountId(r.account_id)])?
            .remove(&AccountId(r.account_id))
            .ok_or_else(|| corrupt("statement account", &r.account_id.to_string()))?;
        let counters = |v: Value| -> Result<BalanceCounters, LedgerError> {
            serde_json::from_value(v).map_err(|e| LedgerError::Unknown(e.into()))
        };
        Ok(Some(ledger_domain::account::AccountStatement {
            id,
            account_id: AccountId(r.account_id),
            ledger_id: LedgerId(r.ledger_id),
            effective_from: r.effective_from,
            effective_to: r.effective_to,
            starting: counters(r.starting)?,
            ending: counters(r.ending)?,
            normal_balance: account.normal_balance,
            currency: account.currency,
            account_version: r.account_version,
            description: r.description,
            metadata: crate::rows::metadata_from(r.metadata)?,
            created_at: r.created_at,
        }))
    }

    fn insert_account(&self, account: &Account) -> Result<(), LedgerError> {
        self.tx(|conn| Self::insert_account_in(conn, account))
    }

    fn ensure_account(&self, account: &Account) -> Result<Account, LedgerError> {
        let code = account
            .code
            .clone()
            .ok_or_else(|| LedgerError::validation("code", "a system account needs a code"))?;
        let key = (account.ledger_id, code.clone());
        let cached = self.caches.codes.read().ok().and_then(|m| m.get(&key).copied());
        if let Some(id) = cached
            && let Some(found) = self.account_heads(&[id])?.remove(&id)
        {
            return Ok(found);
        }
        let found = self.ensure_account_uncached(account, &code)?;
        remember(&self.caches.codes, key, found.id);
        remember(&self.caches.heads, found.id, head(&found));
        Ok(found)
    }

    fn account_heads(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, Account>, LedgerError> {
        let mut found: HashMap<AccountId, Account> = HashMap::new();
        if let Ok(m) = self.caches.heads.read() {
            found.extend(ids.iter().filter_map(|id| m.get(id).map(|a| (*id, a.clone()))));
        }
        let missing: Vec<Uuid> = ids.iter().filter(|id| !found.contains_key(id)).map(|id| id.0).collect();
        if !missing.is_empty() {
            let mut conn = self.conn()?;
            let rows: Vec<AccountRow> = accounts::table
                .filter(accounts::id.eq_any(&missing))
                .select(AccountRow::as_select())
                .load(&mut conn)
                .map_err(from_diesel)?;
            for row in rows {
                let account = row.into_account(None)?;
                remember(&self.caches.heads, account.id, account.clone());
                found.insert(account.id, account);
            }
        }
        Ok(found)
    }

    fn get_account(&self, id: AccountId) -> Result<Option<Account>, LedgerError> {
        Ok(self.get_accounts(&[id])?.remove(&id))
    }

    fn get_accounts(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, Account>, LedgerError> {
        // Fixed fields from the head cache; only the counters are read (one
        // prepared statement). No transaction: the counters are one statement.
        let heads = self.account_heads(ids)?;
        let raw: Vec<Uuid> = heads.keys().map(|i| i.0).collect();
        let mut conn = self.conn()?;
        let mut totals = Self::totals(&mut conn, &raw)?;
        Ok(heads
            .into_iter()
            .map(|(id, account)| (id, crate::rows::with_counters(account, totals.remove(&id.0))))
            .collect())
    }

    fn find_account_by_code(&self, ledger_id: LedgerId, code: &str) -> Result<Option<Account>, LedgerError> {
        self.tx(|conn| {
            let row: Option<AccountRow> = accounts::table
                .filter(accounts::ledger_id.eq(ledger_id.0))
                .filter(accounts::code.eq(code))
                .select(AccountRow::as_select())
                .first(conn)
                .optional()?;
            Ok(Self::with_totals(conn, row.into_iter().collect())?.pop())
        })
    }

    fn list_accounts(&self, f: &AccountFilter) -> Result<Vec<Account>, LedgerError> {
        self.tx(|conn| {
            let mut q = accounts::table
                .select(AccountRow::as_select())
                .order(accounts::id)
                .limit(limit(&f.page))
                .into_boxed();
            if let Some(after) = f.page.after {
                q = q.filter(accounts::id.gt(after));
            }
            if let Some(l) = f.ledger_id {
                q = q.filter(accounts::ledger_id.eq(l.0));
            }
            if let Some(i) = f.identity_id {
                q = q.filter(accounts::identity_id.eq(i.0));
            }
            if let Some(k) = f.kind {
                q = q.filter(accounts::kind.eq(k.as_str()));
            }
            if let Some(c) = f.currency {
                q = q.filter(accounts::currency.eq(c.code()));
            }
            if !f.metadata.is_empty() {
                q = q.filter(accounts::metadata.contains(containment(&f.metadata)));
            }
            let rows = q.load(conn)?;
            Self::with_totals(conn, rows)
        })
    }

    /// Current counters minus the entries effective after `at`, read in one
    /// snapshot: cheap for recent as-of times (only later entries are read),
    /// with the covering index `entries_account_effective`.
    fn counters_as_of(&self, id: AccountId, at: DateTime<Utc>) -> Result<BalanceCounters, LedgerError> {
        let mut pooled = self.conn()?;
        let conn: &mut PgConnection = &mut pooled;
        conn.build_transaction()
            .repeatable_read()
            .read_only()
            .run(|conn| -> Result<BalanceCounters, TxError> {
                // Starting parallel workers costs more than the usual short
                // range of later entries.
                sql_query("SET LOCAL max_parallel_workers_per_gather = 0").execute(conn)?;
                let rows = accounts::table
                    .filter(accounts::id.eq(id.0))
                    .select(AccountRow::as_select())
                    .load(conn)?;
                let mut counters = Self::with_totals(conn, rows)?
                    .pop()
                    .map(|a| a.counters)
                    .unwrap_or_default();
                // Entries effective after `at`: their sums by direction come from an
                // index-only range scan (no join: almost every entry is posted);
                // the few entries of pending or archived transactions are found
                // through the partial index of non-posted transactions.
                let all_later: Vec<DirectionSum> = sql_query(
                    "SELECT direction, 'posted' AS status, sum(amount) AS total FROM entries \
                     WHERE account_id = $1 AND effective_at > $2 GROUP BY direction",
                )
                .bind::<SqlUuid, _>(id.0)
                .bind::<Timestamptz, _>(at)
                .load(conn)?;
                let not_posted: Vec<DirectionSum> = sql_query(
                    "SELECT e.direction, t.status, sum(e.amount) AS total \
                     FROM transactions t JOIN entries e ON e.transaction_id = t.id \
                     WHERE t.status <> 'posted' AND e.account_id = $1 AND e.effective_at > $2 \
                     GROUP BY e.direction, t.status",
                )
                .bind::<SqlUuid, _>(id.0)
                .bind::<Timestamptz, _>(at)
                .load(conn)?;
                // every later entry is removed as if posted, then the non-posted
                // ones are put back as posted and removed under their own status
                apply_sums(&mut counters, &all_later, None, false)?;
                apply_sums(&mut counters, &not_posted, Some(TransactionStatus::Posted), true)?;
                apply_sums(&mut counters, &not_posted, None, false)?;
                Ok(counters)
            })
            .map_err(LedgerError::from)
    }

    fn statement(
        &self,
        id: AccountId,
        after: Option<&StatementCursor>,
        limit_rows: usize,
    ) -> Result<(BalanceCounters, Vec<StatementEntry>), LedgerError> {
        let limit_rows = i64::try_from(limit_rows).unwrap_or(100);
        let (at, tx, line, has_cursor) = match after {
            Some(c) => (c.effective_at, c.transaction_id.0, c.line, true),
            None => (DateTime::<Utc>::UNIX_EPOCH, Uuid::nil(), 0, false),
        };
        self.tx(|conn| {
            let opening: Vec<DirectionSum> = sql_query(
                "SELECT e.direction, t.status, sum(e.amount) AS total \
                 FROM entries e JOIN transactions t ON t.id = e.transaction_id \
                 WHERE $5 AND e.account_id = $1 AND t.status = 'posted' \
                   AND (e.effective_at, e.transaction_id, e.line) <= ($2, $3, $4) \
                 GROUP BY e.direction, t.status",
            )
            .bind::<SqlUuid, _>(id.0)
            .bind::<Timestamptz, _>(at)
            .bind::<SqlUuid, _>(tx)
            .bind::<Int4, _>(line)
            .bind::<Bool, _>(has_cursor)
            .load(conn)?;
            let rows: Vec<StatementRow> = sql_query(
                "SELECT e.transaction_id, e.line, e.direction, e.amount, e.effective_at, t.description \
                 FROM entries e JOIN transactions t ON t.id = e.transaction_id \
                 WHERE e.account_id = $1 AND t.status = 'posted' \
                   AND (NOT $5 OR (e.effective_at, e.transaction_id, e.line) > ($2, $3, $4)) \
                 ORDER BY e.effective_at, e.transaction_id, e.line LIMIT $6",
            )
            .bind::<SqlUuid, _>(id.0)
            .bind::<Timestamptz, _>(at)
            .bind::<SqlUuid, _>(tx)
            .bind::<Int4, _>(line)
            .bind::<Bool, _>(has_cursor)
            .bind::<BigInt, _>(limit_rows)
            .load(conn)?;
            let entries = rows
                .into_iter()
                .map(|r| {
                    Ok(StatementEntry {
                        transaction_id: TransactionId(r.transaction_id),
                        line: r.line,
                        direction: Direction::parse(&r.direction).ok_or_else(|| corrupt("direction", &r.direction))?,
                        amount: r.amount,
                        effective_at: r.effective_at,
                        description: r.description,
                    })
                })
                .collect::<Result<Vec<_>, LedgerError>>()?;
            Ok((counters_from(&opening)?, entries))
        })
    }
}

impl JournalStore for PostgresLedgerStore {
    fn write(&self, write: JournalWrite) -> Result<Transaction, LedgerError> {
        match write {
            JournalWrite::Record {
                transaction,
                idempotency,
                overdraft_allowed,
                conditions,
            } => {
                self.record(&transaction, idempotency.as_ref(), &overdraft_allowed, &conditions)?;
                Ok(transaction)
            }
            JournalWrite::PartialPost { split, idempotency } => {
                let heads = self.account_heads(&split.archived.account_ids())?;
                self.tx(|conn| journal::partial_post(conn, &split, idempotency.as_ref(), &heads))?;
                Ok(split.posted)
            }
            JournalWrite::Annotate {
                transaction_id,
                metadata,
            } => self.tx(|conn| {
                let current = journal::load(conn, transaction_id, true)?
                    .ok_or(LedgerError::not_found("transaction", transaction_id))?;
                let next = current.annotated(metadata)?;
                diesel::update(transactions::table.filter(transactions::id.eq(transaction_id.0)))
                    .set(transactions::metadata.eq(crate::rows::metadata_value(next.metadata())?))
                    .execute(conn)?;
                Ok(next)
            }),
            JournalWrite::Transition { transaction_id, to, at } => {
                self.tx(|conn| journal::transition(conn, transaction_id, to, at))
            }
            JournalWrite::Reverse { reversal, idempotency } => {
                let heads = self.account_heads(&reversal.account_ids())?;
                self.tx(|conn| journal::reverse(conn, &reversal, idempotency.as_ref(), &heads))?;
                Ok(reversal)
            }
        }
    }

    fn get_transaction(&self, id: TransactionId) -> Result<Option<Transaction>, LedgerError> {
        let mut conn = self.conn()?;
        journal::load(&mut conn, id, false).map_err(LedgerError::from)
    }

    fn list_transactions(&self, f: &TransactionFilter) -> Result<Vec<Transaction>, LedgerError> {
        self.tx(|conn| {
            let mut q = transactions::table
                .select(TransactionRow::as_select())
                .order(transactions::id)
                .limit(limit(&f.page))
                .into_boxed();
            if let Some(after) = f.page.after {
                q = q.filter(transactions::id.gt(after));
            }
            if let Some(l) = f.ledger_id {
                q = q.filter(transactions::ledger_id.eq(l.0));
            }
            if let Some(a) = f.account_id {
                q = q.filter(
                    transactions::id.eq_any(
                        entries::table
                            .filter(entries::account_id.eq(a.0))
                            .select(entries::transaction_id),
                    ),
                );
            }
            if let Some(s) = f.status {
                q = q.filter(transactions::status.eq(s.as_str()));
            }
            if let Some(from) = f.effective_from {
                q = q.filter(transactions::effective_at.ge(from));
            }
            if let Some(to) = f.effective_to {
                q = q.filter(transactions::effective_at.lt(to));
            }
            if !f.metadata.is_empty() {
                q = q.filter(transactions::metadata.contains(containment(&f.metadata)));
            }
            if let Some(p) = f.partial_of {
                q = q.filter(transactions::partial_of.eq(p.0));
            }
            let rows = q.load(conn)?;
            Self::transactions_with_entries(conn, rows)
        })
    }

    fn find_transaction_by_external_id(
        &self,
        ledger_id: LedgerId,
        external_id: &str,
    ) -> Result<Option<Transaction>, LedgerError> {
        self.tx(|conn| {
            // the pending or posted one first (unique), else the latest archived
            let row: Option<TransactionRow> = transactions::table
                .filter(transactions::ledger_id.eq(ledger_id.0))
                .filter(transactions::external_id.eq(external_id))
                .order((
                    diesel::dsl::sql::<diesel::sql_types::Bool>("status = 'archived'"),
                    transactions::id.desc(),
                ))
                .select(TransactionRow::as_select())
                .first(conn)
                .optional()?;
            Ok(Self::transactions_with_entries(conn, row.into_iter().collect())?.pop())
        })
    }
}

impl CategoryStore for PostgresLedgerStore {
    fn insert_category(&self, category: &Category) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::insert_into(categories::table)
            .values(CategoryRow::try_from(category)?)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn get_category(&self, id: CategoryId) -> Result<Option<Category>, LedgerError> {
        let mut conn = self.conn()?;
        categories::table
            .find(id.0)
            .select(CategoryRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?
            .map(Category::try_from)
            .transpose()
    }

    fn list_categories(&self, ledger_id: LedgerId, page: &PageRequest) -> Result<Vec<Category>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = categories::table
            .filter(categories::ledger_id.eq(ledger_id.0))
            .select(CategoryRow::as_select())
            .order(categories::id)
            .limit(limit(page))
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(categories::id.gt(after));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(Category::try_from)
            .collect()
    }

    fn remove_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError> {
        self.tx(|conn| {
            categories::table
                .find(category.0)
                .select(categories::id)
                .first::<Uuid>(conn)
                .optional()?
                .ok_or(LedgerError::not_found("category", category))?;
            let rows = category_members::table.filter(category_members::category_id.eq(category.0));
            match member {
                CategoryMember::Account(a) => {
                    diesel::delete(rows.filter(category_members::member_account_id.eq(a.0))).execute(conn)?
                }
                CategoryMember::Category(c) => {
                    diesel::delete(rows.filter(category_members::member_category_id.eq(c.0))).execute(conn)?
                }
            };
            Ok(())
        })
    }

    fn add_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError> {
        self.tx(|conn| {
            let ledger_id: Uuid = categories::table
                .find(category.0)
                .select(categories::ledger_id)
                .first(conn)
                .optional()?
                .ok_or(LedgerError::not_found("category", category))?;
            // One writer of a ledger's category graph at a time, so the cycle check
            // sees every edge (postings never take this lock).
            sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
                .bind::<Text, _>(ledger_id.to_string())
                .execute(conn)?;
            let (account, child) = match member {
                CategoryMember::Account(a) => (Some(a.0), None),
                CategoryMember::Category(c) => (None, Some(c.0)),
            };
            if let Some(child) = child {
                let edges: Vec<(Uuid, Option<Uuid>)> = category_members::table
                    .inner_join(categories::table.on(categories::id.eq(category_members::category_id)))
                    .filter(categories::ledger_id.eq(ledger_id))
                    .filter(category_members::member_category_id.is_not_null())
                    .select((category_members::category_id, category_members::member_category_id))
                    .load(conn)?;
                let subs = |id: CategoryId| -> Vec<CategoryId> {
                    edges
                        .iter()
                        .filter(|(parent, _)| *parent == id.0)
                        .filter_map(|(_, c)| c.map(CategoryId))
                        .collect()
                };
                if creates_cycle(category, CategoryId(child), subs) {
                    return Err(LedgerError::validation("member", "adding this category would create a cycle").into());
                }
            }
            diesel::insert_into(category_members::table)
                .values((
                    category_members::category_id.eq(category.0),
                    category_members::member_account_id.eq(account),
                    category_members::member_category_id.eq(child),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok(())
        })
    }

    fn category_members(&self, category: CategoryId) -> Result<Vec<CategoryMember>, LedgerError> {
        let mut conn = self.conn()?;
        let rows: Vec<(Option<Uuid>, Option<Uuid>)> = category_members::table
            .filter(category_members::category_id.eq(category.0))
            .order(category_members::position)
            .select((
                category_members::member_account_id,
                category_members::member_category_id,
            ))
            .load(&mut conn)
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(|r| match r {
                (Some(a), None) => Ok(CategoryMember::Account(AccountId(a))),
                (None, Some(c)) => Ok(CategoryMember::Category(CategoryId(c))),
                _ => Err(corrupt("category member", "both or neither")),
            })
            .collect()
    }

    fn category_accounts(&self, category: CategoryId) -> Result<Vec<Account>, LedgerError> {
        let ids: Vec<IdRow> = {
            let mut conn = self.conn()?;
            sql_query(
                "WITH RECURSIVE tree(id) AS ( \
                    SELECT $1::uuid \
                    UNION SELECT m.member_category_id FROM category_members m JOIN tree ON m.category_id = tree.id \
                          WHERE m.member_category_id IS NOT NULL) \
                 SELECT DISTINCT member_account_id AS id FROM category_members \
                 WHERE category_id IN (SELECT id FROM tree) AND member_account_id IS NOT NULL",
            )
            .bind::<SqlUuid, _>(category.0)
            .load(&mut conn)
            .map_err(from_diesel)?
        };
        let ids: Vec<AccountId> = ids.into_iter().map(|r| AccountId(r.id)).collect();
        Ok(self.get_accounts(&ids)?.into_values().collect())
    }
}
