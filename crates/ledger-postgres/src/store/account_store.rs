//! Accounts, their balances now and as of a time, statements, on PostgreSQL.

use super::*;

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

    /// Current counters minus what is effective after `at`, read in one
    /// snapshot: the checkpoints (`account_day_sums`) of the days after `at`'s
    /// day, and the entries of `at`'s own day after it. Its cost depends on
    /// the number of days after `at` and the entries of one day, not on the
    /// length of the history.
    fn counters_as_of(&self, id: AccountId, at: DateTime<Utc>) -> Result<BalanceCounters, LedgerError> {
        use diesel::dsl::sum;
        let day = at.date_naive();
        let day_end = day
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let mut pooled = self.conn()?;
        let conn: &mut PgConnection = &mut pooled;
        conn.build_transaction()
            .repeatable_read()
            .read_only()
            .run(|conn| -> Result<BalanceCounters, TxError> {
                // Starting parallel workers costs more than these short ranges.
                sql_query("SET LOCAL max_parallel_workers_per_gather = 0").execute(conn)?;
                let rows = accounts::table
                    .filter(accounts::id.eq(id.0))
                    .select(AccountRow::as_select())
                    .load(conn)?;
                let mut counters = Self::with_totals(conn, rows)?
                    .pop()
                    .map(|a| a.counters)
                    .unwrap_or_default();
                let (pd, pc, qd, qc): (
                    Option<BigDecimal>,
                    Option<BigDecimal>,
                    Option<BigDecimal>,
                    Option<BigDecimal>,
                ) = account_day_sums::table
                    .filter(account_day_sums::account_id.eq(id.0))
                    .filter(account_day_sums::day.gt(day))
                    .select((
                        sum(account_day_sums::posted_debits),
                        sum(account_day_sums::posted_credits),
                        sum(account_day_sums::pending_debits),
                        sum(account_day_sums::pending_credits),
                    ))
                    .first(conn)?;
                counters.add(&BalanceCounters {
                    posted_debits: -pd.unwrap_or_default(),
                    posted_credits: -pc.unwrap_or_default(),
                    pending_debits: -qd.unwrap_or_default(),
                    pending_credits: -qc.unwrap_or_default(),
                });
                // Entries of `at`'s day after it: their sums by direction come
                // from an index-only range scan (no join: almost every entry is
                // posted); the few entries of pending or archived transactions
                // are found through the partial index of non-posted ones.
                let all_later: Vec<DirectionSum> = sql_query(
                    "SELECT direction, 'posted' AS status, sum(amount) AS total FROM entries \
                     WHERE account_id = $1 AND effective_at > $2 AND effective_at < $3 GROUP BY direction",
                )
                .bind::<SqlUuid, _>(id.0)
                .bind::<Timestamptz, _>(at)
                .bind::<Timestamptz, _>(day_end)
                .load(conn)?;
                let not_posted: Vec<DirectionSum> = sql_query(
                    "SELECT e.direction, t.status, sum(e.amount) AS total \
                     FROM transactions t JOIN entries e ON e.transaction_id = t.id \
                     WHERE t.status <> 'posted' AND e.account_id = $1 AND e.effective_at > $2 AND e.effective_at < $3 \
                     GROUP BY e.direction, t.status",
                )
                .bind::<SqlUuid, _>(id.0)
                .bind::<Timestamptz, _>(at)
                .bind::<Timestamptz, _>(day_end)
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
