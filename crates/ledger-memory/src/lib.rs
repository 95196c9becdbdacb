//! In-memory adapter of the ledger ports.
//!
//! One mutex around the whole state makes every port method atomic, which is the
//! simplest correct reference for other adapters: whatever this adapter answers,
//! every other adapter must answer too (see the `ledger-contract` suite).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use ledger_domain::access::{
    ApiKey, ApiKeyStore, CLAIM_LEASE, Claim, IdempotencyMark, IdempotencyStore, StoredResponse, transaction_snapshot,
};
use ledger_domain::account::AccountStatement;
use ledger_domain::category::creates_cycle;
use ledger_domain::ports::{
    AccountFilter, AccountStore, BookStore, CategoryStore, IdentityFilter, JournalStore, JournalWrite, LedgerStore,
    PageRequest, StatementCursor, StatementEntry, TransactionFilter,
};
use ledger_domain::posting::{AccountCondition, check_condition, check_limit, counter_deltas};
use ledger_domain::{
    Account, AccountGroup, AccountId, BalanceCounters, Category, CategoryId, CategoryMember, GroupId, Identity,
    IdentityId, Ledger, LedgerError, LedgerId, Metadata, PartialPost, StatementId, Transaction, TransactionId,
    TransactionStatus,
};
use uuid::Uuid;

#[derive(Debug, Default, Clone)]
struct State {
    ledgers: BTreeMap<LedgerId, Ledger>,
    identities: BTreeMap<IdentityId, Identity>,
    accounts: BTreeMap<AccountId, Account>,
    codes: HashMap<(LedgerId, String), AccountId>,
    transactions: BTreeMap<TransactionId, Transaction>,
    /// External ids of pending and posted transactions.
    external_ids: HashMap<(LedgerId, String), TransactionId>,
    categories: BTreeMap<CategoryId, Category>,
    members: HashMap<CategoryId, Vec<CategoryMember>>,
    groups: BTreeMap<GroupId, AccountGroup>,
    statements: BTreeMap<StatementId, AccountStatement>,
    api_keys: HashMap<String, ApiKey>,
    idempotency: HashMap<(Uuid, String), IdempotencySlot>,
}

#[derive(Debug, Clone)]
struct IdempotencySlot {
    request_hash: String,
    token: Uuid,
    lease_until: DateTime<Utc>,
    response: Option<StoredResponse>,
}

impl State {
    /// The unanswered slot `mark` still holds, or `IdempotencyClaimLost`.
    fn claimed_slot(&mut self, mark: &IdempotencyMark) -> Result<&mut IdempotencySlot, LedgerError> {
        self.idempotency
            .get_mut(&(mark.api_key_id, mark.key.clone()))
            .filter(|slot| slot.token == mark.token && slot.response.is_none())
            .ok_or(LedgerError::IdempotencyClaimLost)
    }
}

/// Thread-safe in-memory store; clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct MemoryLedgerStore {
    state: Arc<Mutex<State>>,
}

impl MemoryLedgerStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, LedgerError> {
        self.state
            .lock()
            .map_err(|_| LedgerError::Unavailable("in-memory store poisoned by a panic".to_owned()))
    }
}

fn page<'a, K: Copy + Into<Uuid> + 'a, V: Clone + 'a>(
    items: impl Iterator<Item = (&'a K, &'a V)>,
    page: &PageRequest,
    keep: impl Fn(&V) -> bool,
) -> Vec<V> {
    items
        .filter(|(k, _)| page.after.is_none_or(|after| (**k).into() > after))
        .filter(|(_, v)| keep(v))
        .take(page.limit)
        .map(|(_, v)| v.clone())
        .collect()
}

fn metadata_matches(metadata: &Metadata, wanted: &[(String, String)]) -> bool {
    wanted
        .iter()
        .all(|(k, v)| metadata.get(k).and_then(|m| m.as_str()) == Some(v.as_str()))
}

impl State {
    fn account(&self, id: AccountId) -> Result<&Account, LedgerError> {
        self.accounts.get(&id).ok_or(LedgerError::not_found("account", id))
    }

    /// Applies the counter changes of `before → after` to every account touched,
    /// after checking the limits of every account whose available balance drops.
    fn settle(&mut self, before: Option<&Transaction>, after: &Transaction) -> Result<(), LedgerError> {
        self.settle_allowing(before, after, &BTreeSet::new())
    }

    /// [`Self::settle`], skipping the limit check of the accounts in `allowed`.
    fn settle_allowing(
        &mut self,
        before: Option<&Transaction>,
        after: &Transaction,
        allowed: &BTreeSet<AccountId>,
    ) -> Result<(), LedgerError> {
        let deltas = counter_deltas(before, after);
        for (id, delta) in &deltas {
            let account = self.account(*id)?;
            if allowed.contains(id) {
                continue;
            }
            check_limit(
                *id,
                account.normal_balance,
                account.floor().as_ref(),
                &account.counters,
                delta,
            )?;
        }
        for (id, delta) in &deltas {
            if let Some(account) = self.accounts.get_mut(id) {
                account.counters.add(delta);
                account.version = account.version.saturating_add(1);
            }
        }
        Ok(())
    }

    fn record(&mut self, transaction: Transaction) -> Result<Transaction, LedgerError> {
        self.record_allowing(transaction, &BTreeSet::new())
    }

    fn record_allowing(
        &mut self,
        transaction: Transaction,
        allowed: &BTreeSet<AccountId>,
    ) -> Result<Transaction, LedgerError> {
        if self.transactions.contains_key(&transaction.id()) {
            return Err(LedgerError::Conflict(format!(
                "transaction {} already exists",
                transaction.id()
            )));
        }
        let key = transaction
            .external_id()
            .map(|e| (transaction.ledger_id(), e.to_owned()));
        if let Some(key) = &key
            && self.external_ids.contains_key(key)
        {
            return Err(LedgerError::duplicate_external_id(&key.1));
        }
        self.settle_allowing(None, &transaction, allowed)?;
        let versions: BTreeMap<AccountId, i64> = transaction
            .entries()
            .iter()
            .filter_map(|e| self.accounts.get(&e.account_id).map(|a| (a.id, a.version)))
            .collect();
        let transaction = transaction.with_account_versions(&versions);
        if let Some(key) = key {
            self.external_ids.insert(key, transaction.id());
        }
        self.transactions.insert(transaction.id(), transaction.clone());
        Ok(transaction)
    }

    fn transition(
        &mut self,
        id: TransactionId,
        to: TransactionStatus,
        at: DateTime<Utc>,
    ) -> Result<Transaction, LedgerError> {
        let current = self
            .transactions
            .get(&id)
            .cloned()
            .ok_or(LedgerError::not_found("transaction", id))?;
        let next = current.transition(to, at)?;
        self.settle(Some(&current), &next)?;
        if next.status() == TransactionStatus::Archived
            && let Some(e) = next.external_id()
        {
            self.external_ids.remove(&(next.ledger_id(), e.to_owned()));
        }
        self.transactions.insert(id, next.clone());
        Ok(next)
    }

    /// The posting's conditions, against the accounts as they are now (under
    /// the same lock as the write).
    fn check_conditions(
        &self,
        transaction: &Transaction,
        conditions: &BTreeMap<AccountId, AccountCondition>,
    ) -> Result<(), LedgerError> {
        let deltas = counter_deltas(None, transaction);
        for (id, condition) in conditions {
            let account = self.accounts.get(id).ok_or(LedgerError::not_found("account", *id))?;
            let delta = deltas.get(id).cloned().unwrap_or_default();
            check_condition(
                *id,
                account.normal_balance,
                account.version,
                &account.counters,
                &delta,
                condition,
            )?;
        }
        Ok(())
    }

    /// Archive, posted part, remainder: all or nothing.
    fn partial_post(&mut self, split: PartialPost) -> Result<Transaction, LedgerError> {
        let before = self.clone();
        let result = (|| {
            let id = split.archived.id();
            let current = self
                .transactions
                .get(&id)
                .cloned()
                .ok_or(LedgerError::not_found("transaction", id))?;
            // re-checked under the lock: still the pending transaction split
            let archived = current.transition(TransactionStatus::Archived, split.archived.created_at())?;
            self.settle(Some(&current), &split.archived)?;
            if let Some(e) = archived.external_id() {
                self.external_ids.remove(&(archived.ledger_id(), e.to_owned()));
            }
            self.transactions.insert(id, split.archived.clone());
            if let Some(remainder) = split.remainder {
                self.record(remainder)?;
            }
            self.record(split.posted)
        })();
        if result.is_err() {
            *self = before;
        }
        result
    }

    fn reverse(&mut self, reversal: Transaction) -> Result<Transaction, LedgerError> {
        let original_id = reversal
            .reverses_id()
            .ok_or_else(|| LedgerError::Unknown(anyhow::anyhow!("a reversal must name what it reverses")))?;
        let original = self
            .transactions
            .get(&original_id)
            .ok_or(LedgerError::not_found("transaction", original_id))?;
        let linked = original.mark_reversed_by(&reversal)?;
        let stored = self.record(reversal)?;
        self.transactions.insert(original_id, linked);
        Ok(stored)
    }
}

impl LedgerStore for MemoryLedgerStore {}

impl BookStore for MemoryLedgerStore {
    fn insert_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError> {
        let mut state = self.lock()?;
        if state.ledgers.contains_key(&ledger.id) {
            return Err(LedgerError::Conflict(format!("ledger {} already exists", ledger.id)));
        }
        state.ledgers.insert(ledger.id, ledger.clone());
        Ok(())
    }

    fn update_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError> {
        let mut state = self.lock()?;
        let stored = state
            .ledgers
            .get_mut(&ledger.id)
            .ok_or(LedgerError::not_found("ledger", ledger.id))?;
        stored.name = ledger.name.clone();
        stored.description = ledger.description.clone();
        stored.metadata = ledger.metadata.clone();
        Ok(())
    }

    fn insert_group(&self, group: &AccountGroup) -> Result<(), LedgerError> {
        let mut state = self.lock()?;
        if state.groups.contains_key(&group.id) {
            return Err(LedgerError::Conflict(format!("group {} already exists", group.id)));
        }
        state.groups.insert(group.id, group.clone());
        Ok(())
    }

    fn get_group(&self, id: GroupId) -> Result<Option<AccountGroup>, LedgerError> {
        Ok(self.lock()?.groups.get(&id).cloned())
    }

    fn list_groups(&self, ledger_id: LedgerId, p: &PageRequest) -> Result<Vec<AccountGroup>, LedgerError> {
        Ok(page(self.lock()?.groups.iter(), p, |g| g.ledger_id == ledger_id))
    }

    fn get_ledger(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError> {
        Ok(self.lock()?.ledgers.get(&id).cloned())
    }

    fn list_ledgers(&self, p: &PageRequest) -> Result<Vec<Ledger>, LedgerError> {
        Ok(page(self.lock()?.ledgers.iter(), p, |_| true))
    }

    fn insert_identity(&self, identity: &Identity) -> Result<(), LedgerError> {
        self.lock()?.identities.insert(identity.id, identity.clone());
        Ok(())
    }

    fn get_identity(&self, id: IdentityId) -> Result<Option<Identity>, LedgerError> {
        Ok(self.lock()?.identities.get(&id).cloned())
    }

    fn list_identities(&self, f: &IdentityFilter) -> Result<Vec<Identity>, LedgerError> {
        Ok(page(self.lock()?.identities.iter(), &f.page, |i| {
            f.ledger_id.is_none_or(|l| i.ledger_id == l)
        }))
    }
}

impl AccountStore for MemoryLedgerStore {
    fn insert_account_statement(&self, statement: &AccountStatement) -> Result<(), LedgerError> {
        self.lock()?.statements.insert(statement.id, statement.clone());
        Ok(())
    }

    fn get_account_statement(&self, id: StatementId) -> Result<Option<AccountStatement>, LedgerError> {
        Ok(self.lock()?.statements.get(&id).cloned())
    }

    fn insert_account(&self, account: &Account) -> Result<(), LedgerError> {
        let mut state = self.lock()?;
        if let Some(code) = &account.code {
            let key = (account.ledger_id, code.clone());
            if state.codes.contains_key(&key) {
                return Err(LedgerError::CodeTaken(code.clone()));
            }
            state.codes.insert(key, account.id);
        }
        state.accounts.insert(account.id, account.clone());
        Ok(())
    }

    fn ensure_account(&self, account: &Account) -> Result<Account, LedgerError> {
        let mut state = self.lock()?;
        let code = account
            .code
            .clone()
            .ok_or_else(|| LedgerError::validation("code", "a system account needs a code"))?;
        let key = (account.ledger_id, code);
        if let Some(existing) = state.codes.get(&key).copied() {
            return state.account(existing).cloned();
        }
        state.codes.insert(key, account.id);
        state.accounts.insert(account.id, account.clone());
        Ok(account.clone())
    }

    fn get_account(&self, id: AccountId) -> Result<Option<Account>, LedgerError> {
        Ok(self.lock()?.accounts.get(&id).cloned())
    }

    fn get_accounts(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, Account>, LedgerError> {
        let state = self.lock()?;
        Ok(ids
            .iter()
            .filter_map(|id| state.accounts.get(id).map(|a| (*id, a.clone())))
            .collect())
    }

    fn find_account_by_code(&self, ledger_id: LedgerId, code: &str) -> Result<Option<Account>, LedgerError> {
        let state = self.lock()?;
        Ok(state
            .codes
            .get(&(ledger_id, code.to_owned()))
            .and_then(|id| state.accounts.get(id))
            .cloned())
    }

    fn list_accounts(&self, f: &AccountFilter) -> Result<Vec<Account>, LedgerError> {
        Ok(page(self.lock()?.accounts.iter(), &f.page, |a| {
            f.ledger_id.is_none_or(|l| a.ledger_id == l)
                && f.identity_id.is_none_or(|i| a.identity_id == Some(i))
                && f.kind.is_none_or(|k| a.kind == k)
                && f.currency.is_none_or(|c| a.currency == c)
                && metadata_matches(&a.metadata, &f.metadata)
        }))
    }

    fn counters_as_of(&self, id: AccountId, at: DateTime<Utc>) -> Result<BalanceCounters, LedgerError> {
        let state = self.lock()?;
        let mut counters = BalanceCounters::default();
        for t in state.transactions.values().filter(|t| t.effective_at() <= at) {
            for e in t.entries().iter().filter(|e| e.account_id == id) {
                counters.apply(t.status(), e.direction, &e.amount, true);
            }
        }
        Ok(counters)
    }

    fn statement(
        &self,
        id: AccountId,
        after: Option<&StatementCursor>,
        limit: usize,
    ) -> Result<(BalanceCounters, Vec<StatementEntry>), LedgerError> {
        let state = self.lock()?;
        let mut lines: Vec<(StatementCursor, StatementEntry)> = Vec::new();
        for t in state
            .transactions
            .values()
            .filter(|t| t.status() == TransactionStatus::Posted)
        {
            for (line, e) in t.entries().iter().enumerate() {
                if e.account_id != id {
                    continue;
                }
                let line = i32::try_from(line).map_err(|e| LedgerError::Unknown(e.into()))?;
                let cursor = StatementCursor {
                    effective_at: t.effective_at(),
                    transaction_id: t.id(),
                    line,
                };
                lines.push((
                    cursor,
                    StatementEntry {
                        transaction_id: t.id(),
                        line,
                        direction: e.direction,
                        amount: e.amount.clone(),
                        effective_at: t.effective_at(),
                        description: t.description().map(str::to_owned),
                    },
                ));
            }
        }
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let mut opening = BalanceCounters::default();
        let mut page = Vec::new();
        for (cursor, entry) in lines {
            if after.is_some_and(|after| cursor <= *after) {
                opening.apply(TransactionStatus::Posted, entry.direction, &entry.amount, true);
            } else if page.len() < limit {
                page.push(entry);
            }
        }
        Ok((opening, page))
    }
}

impl JournalStore for MemoryLedgerStore {
    fn write(&self, write: JournalWrite) -> Result<Transaction, LedgerError> {
        let mut state = self.lock()?;
        // Fenced like the PostgreSQL adapter: a write under a claim that was
        // taken over stores nothing.
        if let JournalWrite::Record {
            idempotency: Some(mark),
            ..
        }
        | JournalWrite::Reverse {
            idempotency: Some(mark),
            ..
        }
        | JournalWrite::PartialPost {
            idempotency: Some(mark),
            ..
        } = &write
        {
            state.claimed_slot(mark)?;
        }
        let (result, mark) = match write {
            JournalWrite::Record {
                transaction,
                idempotency,
                overdraft_allowed,
                conditions,
            } => {
                state.check_conditions(&transaction, &conditions)?;
                (state.record_allowing(transaction, &overdraft_allowed), idempotency)
            }
            JournalWrite::PartialPost { split, idempotency } => (state.partial_post(*split), idempotency),
            JournalWrite::Transition { transaction_id, to, at } => (state.transition(transaction_id, to, at), None),
            JournalWrite::Annotate {
                transaction_id,
                metadata,
            } => {
                let current = state
                    .transactions
                    .get(&transaction_id)
                    .ok_or(LedgerError::not_found("transaction", transaction_id))?;
                let next = current.annotated(metadata)?;
                state.transactions.insert(transaction_id, next.clone());
                (Ok(next), None)
            }
            JournalWrite::Reverse { reversal, idempotency } => (state.reverse(reversal), idempotency),
        };
        // Under the same lock as the write: the key's response and the posting
        // become visible together.
        if let (Ok(t), Some(mark)) = (&result, mark) {
            state.claimed_slot(&mark)?.response = Some(transaction_snapshot(t, &mark)?);
        }
        result
    }

    fn get_transaction(&self, id: TransactionId) -> Result<Option<Transaction>, LedgerError> {
        Ok(self.lock()?.transactions.get(&id).cloned())
    }

    fn list_transactions(&self, f: &TransactionFilter) -> Result<Vec<Transaction>, LedgerError> {
        Ok(page(self.lock()?.transactions.iter(), &f.page, |t| {
            f.ledger_id.is_none_or(|l| t.ledger_id() == l)
                && f.account_id
                    .is_none_or(|a| t.entries().iter().any(|e| e.account_id == a))
                && f.status.is_none_or(|s| t.status() == s)
                && f.effective_from.is_none_or(|from| t.effective_at() >= from)
                && f.effective_to.is_none_or(|to| t.effective_at() < to)
                && f.partial_of.is_none_or(|p| t.partial_of() == Some(p))
                && metadata_matches(t.metadata(), &f.metadata)
        }))
    }

    fn find_transaction_by_external_id(
        &self,
        ledger_id: LedgerId,
        external_id: &str,
    ) -> Result<Option<Transaction>, LedgerError> {
        let state = self.lock()?;
        if let Some(id) = state.external_ids.get(&(ledger_id, external_id.to_owned())) {
            return Ok(state.transactions.get(id).cloned());
        }
        // else the most recent archived one
        Ok(state
            .transactions
            .values()
            .rev()
            .find(|t| t.ledger_id() == ledger_id && t.external_id() == Some(external_id))
            .cloned())
    }
}

impl CategoryStore for MemoryLedgerStore {
    fn insert_category(&self, category: &Category) -> Result<(), LedgerError> {
        self.lock()?.categories.insert(category.id, category.clone());
        Ok(())
    }

    fn get_category(&self, id: CategoryId) -> Result<Option<Category>, LedgerError> {
        Ok(self.lock()?.categories.get(&id).cloned())
    }

    fn list_categories(&self, ledger_id: LedgerId, p: &PageRequest) -> Result<Vec<Category>, LedgerError> {
        Ok(page(self.lock()?.categories.iter(), p, |c| c.ledger_id == ledger_id))
    }

    fn remove_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError> {
        let mut state = self.lock()?;
        if !state.categories.contains_key(&category) {
            return Err(LedgerError::not_found("category", category));
        }
        if let Some(members) = state.members.get_mut(&category) {
            members.retain(|m| *m != member);
        }
        Ok(())
    }

    fn add_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError> {
        let mut state = self.lock()?;
        if !state.categories.contains_key(&category) {
            return Err(LedgerError::not_found("category", category));
        }
        if let CategoryMember::Category(child) = member {
            let subs = |id: CategoryId| {
                state
                    .members
                    .get(&id)
                    .map(|ms| {
                        ms.iter()
                            .filter_map(|m| match m {
                                CategoryMember::Category(c) => Some(*c),
                                CategoryMember::Account(_) => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            if creates_cycle(category, child, subs) {
                return Err(LedgerError::validation(
                    "member",
                    "adding this category would create a cycle",
                ));
            }
        }
        let members = state.members.entry(category).or_default();
        if !members.contains(&member) {
            members.push(member);
        }
        Ok(())
    }

    fn category_members(&self, category: CategoryId) -> Result<Vec<CategoryMember>, LedgerError> {
        Ok(self.lock()?.members.get(&category).cloned().unwrap_or_default())
    }

    fn category_accounts(&self, category: CategoryId) -> Result<Vec<Account>, LedgerError> {
        let state = self.lock()?;
        let mut seen_categories = HashSet::new();
        let mut seen_accounts = HashSet::new();
        let mut stack = vec![category];
        let mut out = Vec::new();
        while let Some(c) = stack.pop() {
            if !seen_categories.insert(c) {
                continue;
            }
            for m in state.members.get(&c).into_iter().flatten() {
                match m {
                    CategoryMember::Category(sub) => stack.push(*sub),
                    CategoryMember::Account(a) => {
                        if seen_accounts.insert(*a) {
                            out.push(state.account(*a)?.clone());
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

impl ApiKeyStore for MemoryLedgerStore {
    fn insert_api_key(&self, key: &ApiKey) -> Result<(), LedgerError> {
        self.lock()?.api_keys.insert(key.key_hash.clone(), key.clone());
        Ok(())
    }

    fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>, LedgerError> {
        Ok(self.lock()?.api_keys.get(key_hash).cloned())
    }

    fn count_api_keys(&self) -> Result<u64, LedgerError> {
        Ok(u64::try_from(self.lock()?.api_keys.len()).unwrap_or(u64::MAX))
    }

    fn list_api_keys(&self, page: &PageRequest) -> Result<Vec<ApiKey>, LedgerError> {
        let mut keys: Vec<ApiKey> = self
            .lock()?
            .api_keys
            .values()
            .filter(|k| page.after.is_none_or(|after| k.id > after))
            .cloned()
            .collect();
        keys.sort_by_key(|k| k.id);
        keys.truncate(page.limit.clamp(1, 1000));
        Ok(keys)
    }

    fn revoke_api_key(&self, id: uuid::Uuid, at: DateTime<Utc>) -> Result<Option<ApiKey>, LedgerError> {
        let mut state = self.lock()?;
        let Some(key) = state.api_keys.values_mut().find(|k| k.id == id) else {
            return Ok(None);
        };
        key.revoked_at = key.revoked_at.or(Some(at));
        Ok(Some(key.clone()))
    }
}

impl IdempotencyStore for MemoryLedgerStore {
    fn claim(&self, mark: &IdempotencyMark, request_hash: &str, now: DateTime<Utc>) -> Result<Claim, LedgerError> {
        let mut state = self.lock()?;
        let fresh = IdempotencySlot {
            request_hash: request_hash.to_owned(),
            token: mark.token,
            lease_until: now + CLAIM_LEASE,
            response: None,
        };
        let key = (mark.api_key_id, mark.key.clone());
        let Some(slot) = state.idempotency.get_mut(&key) else {
            state.idempotency.insert(key, fresh);
            return Ok(Claim::Fresh);
        };
        Ok(match &slot.response {
            _ if slot.request_hash != request_hash => Claim::Mismatch,
            Some(response) => Claim::Completed(response.clone()),
            None if slot.lease_until < now => {
                *slot = fresh;
                Claim::Fresh
            }
            None => Claim::InFlight {
                lease_until: slot.lease_until,
            },
        })
    }

    fn complete(&self, mark: &IdempotencyMark, response: &StoredResponse) -> Result<(), LedgerError> {
        self.lock()?.claimed_slot(mark)?.response = Some(response.clone());
        Ok(())
    }

    fn release(&self, mark: &IdempotencyMark) -> Result<(), LedgerError> {
        let mut state = self.lock()?;
        if state.claimed_slot(mark).is_ok() {
            state.idempotency.remove(&(mark.api_key_id, mark.key.clone()));
        }
        Ok(())
    }
}
