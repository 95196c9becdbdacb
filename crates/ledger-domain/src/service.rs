//! The application service: every use case, generic over the ports.

use std::collections::HashMap;

use bigdecimal::{BigDecimal, Signed};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::Metadata;
use crate::access::IdempotencyMark;
use crate::account::{Account, AccountKind, BalanceCounters, Balances, NewAccount, OverdraftLimit};
use crate::category::{Category, CategoryMember, NewCategory, aggregate_balances};
use crate::error::LedgerError;
use crate::ids::{AccountId, CategoryId, GroupId, IdentityId, LedgerId, TransactionId};
use crate::ledger::{AccountGroup, Identity, IdentityKind, Ledger, NewIdentity, NewLedger};
use crate::money::{Amount, Currency, FeeRate, fit_to_exponent};
use crate::ports::{
    AccountFilter, Clock, IdGenerator, IdentityFilter, JournalWrite, LedgerStore, PageRequest, StatementCursor,
    StatementEntry, TransactionFilter,
};
use crate::transaction::{Direction, EntryDraft, InitialStatus, Transaction, TransactionDraft, TransactionStatus};

pub const MAX_NAME_LEN: usize = 255;
pub const MAX_PAGE: usize = 100;

/// Fields every wallet operation accepts.
#[derive(Debug, Clone, Default)]
pub struct OperationOptions {
    pub status: InitialStatus,
    pub effective_at: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
    pub description: Option<String>,
    pub metadata: Metadata,
    /// Stores the created transaction as this idempotency key's response, in
    /// the same atomic unit as the posting.
    pub idempotency: Option<IdempotencyMark>,
    /// Lets the debited wallet (transfer, withdrawal) go below its overdraft
    /// limit in this posting only.
    pub overdraft_allowed: bool,
}

#[derive(Debug, Clone)]
pub struct Deposit {
    pub ledger_id: LedgerId,
    pub wallet_id: AccountId,
    /// The amount, in the currency of the wallets.
    pub amount: Amount,
    /// Another cash account than the ledger's `cash:<CCY>` (e.g. a bank reserve).
    pub cash_account_id: Option<AccountId>,
    pub options: OperationOptions,
}

#[derive(Debug, Clone)]
pub struct Transfer {
    pub ledger_id: LedgerId,
    pub from_wallet_id: AccountId,
    pub to_wallet_id: AccountId,
    /// The amount, in the currency of the wallets.
    pub amount: Amount,
    pub options: OperationOptions,
}

#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub ledger_id: LedgerId,
    pub wallet_id: AccountId,
    /// The amount, in the currency of the wallets.
    pub amount: Amount,
    pub cash_account_id: Option<AccountId>,
    pub options: OperationOptions,
}

/// One line of an account statement with the running balance after it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementLine {
    pub entry: StatementEntry,
    /// Posted balance after this entry, signed by the account's normal balance.
    pub running_balance: BigDecimal,
}

pub struct Statement {
    pub account: Account,
    pub lines: Vec<StatementLine>,
    pub next: Option<StatementCursor>,
}

/// The use cases, generic over the ports (no dynamic dispatch, no adapter types).
#[derive(Debug, Clone)]
pub struct LedgerService<S, C, I> {
    store: S,
    clock: C,
    ids: I,
}

impl<S: LedgerStore, C: Clock, I: IdGenerator> LedgerService<S, C, I> {
    pub fn new(store: S, clock: C, ids: I) -> Self {
        Self { store, clock, ids }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    // ---------------------------------------------------------------- ledgers

    #[tracing::instrument(skip(self, new), fields(name = %new.name))]
    pub fn create_ledger(&self, new: NewLedger) -> Result<Ledger, LedgerError> {
        let name = required_name("name", &new.name)?;
        let ledger = Ledger {
            id: LedgerId(self.ids.next_id()),
            name,
            description: new.description,
            metadata: new.metadata,
            withdrawal_fee_rate: new.withdrawal_fee_rate.unwrap_or_else(FeeRate::default_withdrawal),
            created_at: self.clock.now(),
        };
        self.store.insert_ledger(&ledger)?;
        Ok(ledger)
    }

    /// The ledger with this id, opened with `new` if there is none yet (a
    /// book a driving adapter addresses by a fixed id). Concurrent callers get
    /// the same ledger.
    pub fn ensure_ledger(&self, id: LedgerId, new: NewLedger) -> Result<Ledger, LedgerError> {
        if let Some(found) = self.store.get_ledger(id)? {
            return Ok(found);
        }
        let ledger = Ledger {
            id,
            name: required_name("name", &new.name)?,
            description: new.description,
            metadata: new.metadata,
            withdrawal_fee_rate: new.withdrawal_fee_rate.unwrap_or_else(FeeRate::default_withdrawal),
            created_at: self.clock.now(),
        };
        match self.store.insert_ledger(&ledger) {
            Ok(()) => Ok(ledger),
            Err(LedgerError::Conflict(_)) => self.get_ledger(id),
            Err(e) => Err(e),
        }
    }

    // ------------------------------------------------------------------ groups

    /// A new group of accounts in a ledger; with `id`, that id (a group a
    /// driving adapter addresses by a fixed id), answered as is when it exists.
    pub fn create_group(
        &self,
        ledger_id: LedgerId,
        id: Option<GroupId>,
        name: &str,
        metadata: Metadata,
    ) -> Result<AccountGroup, LedgerError> {
        self.get_ledger(ledger_id)?;
        if let Some(id) = id
            && let Some(found) = self.store.get_group(id)?
        {
            return Ok(found);
        }
        let group = AccountGroup {
            id: id.unwrap_or(GroupId(self.ids.next_id())),
            ledger_id,
            name: required_name("name", name)?,
            metadata,
            created_at: self.clock.now(),
        };
        match self.store.insert_group(&group) {
            Ok(()) => Ok(group),
            Err(LedgerError::Conflict(_)) if id.is_some() => self.get_group(group.id),
            Err(e) => Err(e),
        }
    }

    pub fn get_group(&self, id: GroupId) -> Result<AccountGroup, LedgerError> {
        self.store.get_group(id)?.ok_or(LedgerError::not_found("group", id))
    }

    pub fn list_groups(&self, ledger_id: LedgerId, page: PageRequest) -> Result<Vec<AccountGroup>, LedgerError> {
        self.store.list_groups(ledger_id, &clamp(page))
    }

    /// A ledger's fixed fields (id, withdrawal fee rate), possibly from a
    /// cache: what a posting needs.
    fn ledger_head(&self, id: LedgerId) -> Result<Ledger, LedgerError> {
        self.store.ledger_head(id)?.ok_or(LedgerError::not_found("ledger", id))
    }

    /// Renames, redescribes or re-tags a ledger; its fee rate and everything
    /// in it stay as they are.
    pub fn update_ledger(
        &self,
        id: LedgerId,
        name: Option<String>,
        description: Option<Option<String>>,
        metadata: Option<Metadata>,
    ) -> Result<Ledger, LedgerError> {
        let mut ledger = self.get_ledger(id)?;
        if let Some(name) = name {
            ledger.name = required_name("name", &name)?;
        }
        if let Some(description) = description {
            ledger.description = description;
        }
        if let Some(metadata) = metadata {
            ledger.metadata = metadata;
        }
        self.store.update_ledger(&ledger)?;
        Ok(ledger)
    }

    pub fn get_ledger(&self, id: LedgerId) -> Result<Ledger, LedgerError> {
        self.store.get_ledger(id)?.ok_or(LedgerError::not_found("ledger", id))
    }

    pub fn list_ledgers(&self, page: PageRequest) -> Result<Vec<Ledger>, LedgerError> {
        self.store.list_ledgers(&clamp(page))
    }

    // ------------------------------------------------------------- identities

    pub fn create_identity(&self, new: NewIdentity) -> Result<Identity, LedgerError> {
        self.get_ledger(new.ledger_id)?;
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        match new.kind {
            IdentityKind::Individual if blank(&new.first_name) && blank(&new.last_name) => {
                return Err(LedgerError::validation(
                    "first_name",
                    "an individual needs a first or last name",
                ));
            }
            IdentityKind::Organization if blank(&new.organization_name) => {
                return Err(LedgerError::validation(
                    "organization_name",
                    "an organization needs an organization_name",
                ));
            }
            _ => {}
        }
        let identity = Identity {
            id: IdentityId(self.ids.next_id()),
            ledger_id: new.ledger_id,
            kind: new.kind,
            first_name: new.first_name,
            last_name: new.last_name,
            organization_name: new.organization_name,
            email: new.email,
            phone: new.phone,
            metadata: new.metadata,
            created_at: self.clock.now(),
        };
        self.store.insert_identity(&identity)?;
        Ok(identity)
    }

    pub fn get_identity(&self, id: IdentityId) -> Result<Identity, LedgerError> {
        self.store
            .get_identity(id)?
            .ok_or(LedgerError::not_found("identity", id))
    }

    pub fn list_identities(&self, mut filter: IdentityFilter) -> Result<Vec<Identity>, LedgerError> {
        filter.page = clamp(filter.page);
        self.store.list_identities(&filter)
    }

    // --------------------------------------------------------------- accounts

    #[tracing::instrument(skip(self, new), fields(ledger_id = %new.ledger_id))]
    pub fn create_account(&self, new: NewAccount) -> Result<Account, LedgerError> {
        self.get_ledger(new.ledger_id)?;
        if let Some(identity_id) = new.identity_id {
            let identity = self.get_identity(identity_id)?;
            if identity.ledger_id != new.ledger_id {
                return Err(LedgerError::validation(
                    "identity_id",
                    "the identity belongs to another ledger",
                ));
            }
        }
        if let Some(code) = &new.code {
            validate_code(code)?;
            if is_system_code(code) {
                return Err(LedgerError::validation(
                    "code",
                    "codes starting with `cash:` or `revenue:` are reserved for system accounts",
                ));
            }
        }
        let account = self.build_account(new)?;
        self.store.insert_account(&account)?;
        Ok(account)
    }

    fn build_account(&self, new: NewAccount) -> Result<Account, LedgerError> {
        let name = required_name("name", &new.name)?;
        let overdraft_limit = match new.overdraft_limit {
            None => new.kind.default_overdraft_limit(),
            Some(OverdraftLimit::Unlimited) => None,
            Some(OverdraftLimit::Limited(limit)) => {
                if limit.is_negative() {
                    return Err(LedgerError::validation("overdraft_limit", "must not be negative"));
                }
                let limit = if bigdecimal::Zero::is_zero(&limit) {
                    limit.with_scale(i64::from(new.currency.exponent()))
                } else {
                    fit_to_exponent(&limit, new.currency)
                        .map_err(|e| LedgerError::validation("overdraft_limit", e.to_string()))?
                };
                Some(limit)
            }
        };
        Ok(Account {
            id: AccountId(self.ids.next_id()),
            ledger_id: new.ledger_id,
            name,
            code: new.code,
            kind: new.kind,
            normal_balance: new.normal_balance.unwrap_or_else(|| new.kind.default_normal_balance()),
            currency: new.currency,
            identity_id: new.identity_id,
            overdraft_limit,
            metadata: new.metadata,
            created_at: self.clock.now(),
            version: 0,
            counters: BalanceCounters::default(),
        })
    }

    pub fn get_account(&self, id: AccountId) -> Result<Account, LedgerError> {
        self.store.get_account(id)?.ok_or(LedgerError::not_found("account", id))
    }

    /// Balances as of `at`: from entries with `effective_at <= at`.
    /// Makes and keeps a statement of an account between two instants (from
    /// inclusive, to exclusive): the balances at both ends.
    pub fn create_account_statement(
        &self,
        account_id: AccountId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        description: Option<String>,
        metadata: Metadata,
    ) -> Result<crate::account::AccountStatement, LedgerError> {
        if to <= from {
            return Err(LedgerError::validation(
                "effective_at_upper_bound",
                "must be after the lower bound",
            ));
        }
        let account = self.get_account(account_id)?;
        let just_before = |t: DateTime<Utc>| t - chrono::TimeDelta::microseconds(1);
        let statement = crate::account::AccountStatement {
            id: crate::ids::StatementId(self.ids.next_id()),
            account_id,
            ledger_id: account.ledger_id,
            effective_from: from,
            effective_to: to,
            starting: self.store.counters_as_of(account_id, just_before(from))?,
            ending: self.store.counters_as_of(account_id, just_before(to))?,
            normal_balance: account.normal_balance,
            currency: account.currency,
            account_version: account.version,
            description,
            metadata,
            created_at: self.clock.now(),
        };
        self.store.insert_account_statement(&statement)?;
        Ok(statement)
    }

    pub fn get_account_statement(
        &self,
        id: crate::ids::StatementId,
    ) -> Result<crate::account::AccountStatement, LedgerError> {
        self.store
            .get_account_statement(id)?
            .ok_or(LedgerError::not_found("statement", id))
    }

    pub fn balances_as_of(&self, id: AccountId, at: DateTime<Utc>) -> Result<(Account, Balances), LedgerError> {
        let account = self.get_account(id)?;
        let counters = self.store.counters_as_of(id, at)?;
        let balances = counters.balances(account.normal_balance);
        Ok((account, balances))
    }

    pub fn list_accounts(&self, mut filter: AccountFilter) -> Result<Vec<Account>, LedgerError> {
        filter.page = clamp(filter.page);
        self.store.list_accounts(&filter)
    }

    /// Posted entries of an account in effective order, with running balance.
    pub fn statement(
        &self,
        id: AccountId,
        after: Option<StatementCursor>,
        limit: usize,
    ) -> Result<Statement, LedgerError> {
        let account = self.get_account(id)?;
        let limit = limit.clamp(1, MAX_PAGE);
        let (opening, entries) = self.store.statement(id, after.as_ref(), limit.saturating_add(1))?;
        let normal = account.normal_balance;
        let mut running = normal.amount(&opening.posted_debits, &opening.posted_credits);
        let more = entries.len() > limit;
        let mut lines = Vec::with_capacity(limit);
        for entry in entries.into_iter().take(limit) {
            let grows = entry.direction != normal.decreasing_direction();
            if grows {
                running += &entry.amount;
            } else {
                running -= &entry.amount;
            }
            lines.push(StatementLine {
                entry,
                running_balance: running.clone(),
            });
        }
        let next = if more {
            lines.last().map(|l| StatementCursor {
                effective_at: l.entry.effective_at,
                transaction_id: l.entry.transaction_id,
                line: l.entry.line,
            })
        } else {
            None
        };
        Ok(Statement { account, lines, next })
    }

    // ----------------------------------------------------------- transactions

    /// A generic multi-leg transaction.
    #[tracing::instrument(skip(self, draft))]
    pub fn create_transaction(
        &self,
        ledger_id: LedgerId,
        draft: TransactionDraft,
        idempotency: Option<IdempotencyMark>,
    ) -> Result<Transaction, LedgerError> {
        self.ledger_head(ledger_id)?;
        validate_common(draft.external_id.as_deref(), draft.description.as_deref())?;
        let ids: Vec<AccountId> = draft.entries.iter().map(|e| e.account_id).collect();
        let accounts = self.store.account_heads(&ids)?;
        let overdraft_allowed = draft.overdraft_allowed.clone();
        let conditions = draft.conditions.clone();
        let transaction = Transaction::create(
            TransactionId(self.ids.next_id()),
            ledger_id,
            draft,
            &accounts,
            self.clock.now(),
        )?;
        self.record(transaction, idempotency, overdraft_allowed, conditions)
    }

    fn record(
        &self,
        transaction: Transaction,
        idempotency: Option<IdempotencyMark>,
        overdraft_allowed: std::collections::BTreeSet<AccountId>,
        conditions: std::collections::BTreeMap<AccountId, crate::posting::AccountCondition>,
    ) -> Result<Transaction, LedgerError> {
        let in_transaction = |id: &&AccountId| transaction.entries().iter().any(|e| e.account_id == **id);
        if let Some(id) = overdraft_allowed.iter().find(|id| !in_transaction(id)) {
            return Err(LedgerError::validation(
                "allow_overdraft",
                format!("account {id} is not in the transaction"),
            ));
        }
        if let Some(id) = conditions.keys().find(|id| !in_transaction(id)) {
            return Err(LedgerError::validation(
                "conditions",
                format!("account {id} is not in the transaction"),
            ));
        }
        // Adapters enforce external_id uniqueness atomically with the write.
        self.store.write(JournalWrite::Record {
            transaction,
            idempotency,
            overdraft_allowed,
            conditions,
        })
    }

    /// Replaces a pending transaction's metadata.
    pub fn annotate_transaction(&self, id: TransactionId, metadata: Metadata) -> Result<Transaction, LedgerError> {
        self.store.write(JournalWrite::Annotate {
            transaction_id: id,
            metadata,
        })
    }

    /// The transaction with this `external_id` in the ledger.
    pub fn find_transaction_by_external_id(
        &self,
        ledger_id: LedgerId,
        external_id: &str,
    ) -> Result<Option<Transaction>, LedgerError> {
        self.store.find_transaction_by_external_id(ledger_id, external_id)
    }

    /// The account with this code in the ledger.
    pub fn find_account_by_code(&self, ledger_id: LedgerId, code: &str) -> Result<Option<Account>, LedgerError> {
        self.store.find_account_by_code(ledger_id, code)
    }

    /// What is still held of a pending transaction: itself while pending;
    /// after partial posts, the pending remainder split from it (if any).
    pub fn current_hold(&self, id: TransactionId) -> Result<Option<Transaction>, LedgerError> {
        let transaction = self.get_transaction(id)?;
        if transaction.status() == TransactionStatus::Pending {
            return Ok(Some(transaction));
        }
        let root = transaction.partial_of().unwrap_or(id);
        let mut remainders = self.store.list_transactions(&TransactionFilter {
            ledger_id: Some(transaction.ledger_id()),
            partial_of: Some(root),
            status: Some(TransactionStatus::Pending),
            page: PageRequest { limit: 2, after: None },
            ..TransactionFilter::default()
        })?;
        Ok(remainders.pop())
    }

    /// Posts part of a pending transaction (see [`Transaction::partial_post`]):
    /// returns the posted part.
    #[tracing::instrument(skip(self, lines))]
    pub fn partial_post_transaction(
        &self,
        id: TransactionId,
        lines: Vec<(AccountId, Direction, BigDecimal)>,
        rest: crate::transaction::Rest,
        idempotency: Option<IdempotencyMark>,
    ) -> Result<Transaction, LedgerError> {
        let pending = self.get_transaction(id)?;
        let split = pending.partial_post(
            lines,
            TransactionId(self.ids.next_id()),
            TransactionId(self.ids.next_id()),
            self.clock.now(),
            rest,
        )?;
        self.store.write(JournalWrite::PartialPost {
            split: Box::new(split),
            idempotency,
        })
    }

    pub fn get_transaction(&self, id: TransactionId) -> Result<Transaction, LedgerError> {
        self.store
            .get_transaction(id)?
            .ok_or(LedgerError::not_found("transaction", id))
    }

    pub fn list_transactions(&self, mut filter: TransactionFilter) -> Result<Vec<Transaction>, LedgerError> {
        filter.page = clamp(filter.page);
        self.store.list_transactions(&filter)
    }

    #[tracing::instrument(skip(self))]
    pub fn post_transaction(&self, id: TransactionId) -> Result<Transaction, LedgerError> {
        self.transition(id, TransactionStatus::Posted)
    }

    #[tracing::instrument(skip(self))]
    pub fn archive_transaction(&self, id: TransactionId) -> Result<Transaction, LedgerError> {
        self.transition(id, TransactionStatus::Archived)
    }

    fn transition(&self, id: TransactionId, to: TransactionStatus) -> Result<Transaction, LedgerError> {
        // The store loads and checks the transaction under its own lock.
        self.store.write(JournalWrite::Transition {
            transaction_id: id,
            to,
            at: self.clock.now(),
        })
    }

    /// Undoes a posted transaction with a new posted one, every direction swapped.
    #[tracing::instrument(skip(self))]
    pub fn reverse_transaction(
        &self,
        id: TransactionId,
        idempotency: Option<IdempotencyMark>,
    ) -> Result<Transaction, LedgerError> {
        self.reverse_transaction_effective(id, None, idempotency)
    }

    /// A reversal effective at `effective_at` (default: now) — back-dated to
    /// the original's time, it leaves as-of balances after it unchanged.
    pub fn reverse_transaction_effective(
        &self,
        id: TransactionId,
        effective_at: Option<DateTime<Utc>>,
        idempotency: Option<IdempotencyMark>,
    ) -> Result<Transaction, LedgerError> {
        let original = self.get_transaction(id)?;
        let reversal = original
            .reversal(TransactionId(self.ids.next_id()), self.clock.now())?
            .effective(effective_at);
        self.store.write(JournalWrite::Reverse { reversal, idempotency })
    }

    // ------------------------------------------------------ wallet operations

    /// Money from outside: debit cash (it grows), credit the wallet (it grows).
    #[tracing::instrument(skip(self, op), fields(wallet_id = %op.wallet_id))]
    pub fn deposit(&self, op: Deposit) -> Result<Transaction, LedgerError> {
        let ledger = self.ledger_head(op.ledger_id)?;
        let amount = op.amount;
        let wallet = self.wallet(&ledger, op.wallet_id, "wallet_id", amount.currency())?;
        let cash = self.cash_account(&ledger, op.cash_account_id, amount.currency())?;
        let entries = vec![
            leg(&cash, Direction::Debit, amount.value()),
            leg(&wallet, Direction::Credit, amount.value()),
        ];
        self.operation(&ledger, "deposit", entries, op.options, [&wallet, &cash])
    }

    /// Money moves between two wallets; none leaves the platform.
    #[tracing::instrument(skip(self, op), fields(from = %op.from_wallet_id, to = %op.to_wallet_id))]
    pub fn transfer(&self, op: Transfer) -> Result<Transaction, LedgerError> {
        let ledger = self.ledger_head(op.ledger_id)?;
        if op.from_wallet_id == op.to_wallet_id {
            return Err(LedgerError::validation(
                "to_wallet_id",
                "sender and receiver must differ",
            ));
        }
        let amount = op.amount;
        let from = self.wallet(&ledger, op.from_wallet_id, "from_wallet_id", amount.currency())?;
        let to = self.wallet(&ledger, op.to_wallet_id, "to_wallet_id", amount.currency())?;
        let entries = vec![
            leg(&from, Direction::Debit, amount.value()),
            leg(&to, Direction::Credit, amount.value()),
        ];
        self.operation(&ledger, "transfer", entries, op.options, [&from, &to])
    }

    /// Money leaves: debit the wallet by the full amount, credit cash by
    /// amount − fee and fee revenue by the fee (no revenue entry for a zero fee).
    #[tracing::instrument(skip(self, op), fields(wallet_id = %op.wallet_id))]
    pub fn withdraw(&self, op: Withdrawal) -> Result<Transaction, LedgerError> {
        let ledger = self.ledger_head(op.ledger_id)?;
        let amount = op.amount;
        let currency = amount.currency();
        let wallet = self.wallet(&ledger, op.wallet_id, "wallet_id", currency)?;
        let cash = self.cash_account(&ledger, op.cash_account_id, currency)?;
        let split = WithdrawalSplit::new(&amount, &ledger.withdrawal_fee_rate)?;
        let mut entries = vec![leg(&wallet, Direction::Debit, amount.value())];
        let mut accounts = vec![wallet.clone(), cash.clone()];
        if let Some(net) = &split.net {
            entries.push(leg(&cash, Direction::Credit, net.value()));
        }
        if let Some(fee) = &split.fee {
            let revenue = self.system_account(&ledger, SystemAccount::WithdrawalFees, currency)?;
            entries.push(leg(&revenue, Direction::Credit, fee.value()));
            accounts.push(revenue);
        }
        let refs: Vec<&Account> = accounts.iter().collect();
        self.operation(&ledger, "withdrawal", entries, op.options, refs)
    }

    fn operation<'a>(
        &self,
        ledger: &Ledger,
        kind: &str,
        entries: Vec<EntryDraft>,
        options: OperationOptions,
        accounts: impl IntoIterator<Item = &'a Account>,
    ) -> Result<Transaction, LedgerError> {
        validate_common(options.external_id.as_deref(), options.description.as_deref())?;
        let idempotency = options.idempotency;
        let overdraft_allowed = options.overdraft_allowed;
        let mut metadata = options.metadata;
        metadata.insert("transaction_type".to_owned(), Value::String(kind.to_owned()));
        let draft = TransactionDraft {
            ledger_id: Some(ledger.id),
            status: options.status,
            entries,
            description: options.description,
            metadata,
            effective_at: options.effective_at,
            external_id: options.external_id,
            overdraft_allowed: Default::default(),
            conditions: Default::default(),
        };
        let accounts: HashMap<AccountId, Account> = accounts.into_iter().map(|a| (a.id, a.clone())).collect();
        let transaction = Transaction::create(
            TransactionId(self.ids.next_id()),
            ledger.id,
            draft,
            &accounts,
            self.clock.now(),
        )?;
        // the wallet the operation debits may pass its limit when the caller allows it
        let debited = transaction
            .entries()
            .iter()
            .filter(|e| e.direction == Direction::Debit && accounts.get(&e.account_id).is_some_and(Account::is_wallet))
            .map(|e| e.account_id);
        let allowed = if overdraft_allowed {
            debited.collect()
        } else {
            Default::default()
        };
        self.record(transaction, idempotency, allowed, Default::default())
    }

    /// A user's wallet of this ledger and currency (see [`Account::is_wallet`]).
    fn wallet(
        &self,
        ledger: &Ledger,
        id: AccountId,
        field: &'static str,
        currency: Currency,
    ) -> Result<Account, LedgerError> {
        let account = self.account_in(ledger, id, field, currency)?;
        if !account.is_wallet() {
            return Err(LedgerError::NotAWallet { field, account_id: id });
        }
        Ok(account)
    }

    fn account_in(
        &self,
        ledger: &Ledger,
        id: AccountId,
        field: &str,
        currency: Currency,
    ) -> Result<Account, LedgerError> {
        let account = self
            .store
            .account_heads(&[id])?
            .remove(&id)
            .ok_or(LedgerError::not_found("account", id))?;
        if account.ledger_id != ledger.id {
            return Err(LedgerError::validation(field, "the account belongs to another ledger"));
        }
        if account.currency != currency {
            return Err(LedgerError::CurrencyMismatch {
                expected: account.currency,
                found: currency,
            });
        }
        Ok(account)
    }

    fn cash_account(
        &self,
        ledger: &Ledger,
        chosen: Option<AccountId>,
        currency: Currency,
    ) -> Result<Account, LedgerError> {
        match chosen {
            Some(id) => {
                let account = self.account_in(ledger, id, "cash_account_id", currency)?;
                if account.kind != AccountKind::Asset {
                    return Err(LedgerError::validation(
                        "cash_account_id",
                        "a cash account must be an asset",
                    ));
                }
                Ok(account)
            }
            None => self.system_account(ledger, SystemAccount::Cash, currency),
        }
    }

    /// `cash:<CCY>` or `revenue:withdrawal_fees:<CCY>`, created on first use.
    pub fn system_account(
        &self,
        ledger: &Ledger,
        which: SystemAccount,
        currency: Currency,
    ) -> Result<Account, LedgerError> {
        let (code, name, kind) = which.describe(currency);
        let candidate = self.build_account(NewAccount {
            ledger_id: ledger.id,
            name,
            code: Some(code.clone()),
            kind,
            normal_balance: None,
            currency,
            identity_id: None,
            overdraft_limit: None,
            metadata: Metadata::from_iter([("system".to_owned(), Value::Bool(true))]),
        })?;
        let account = self.store.ensure_account(&candidate)?;
        if account.kind != kind
            || account.currency != currency
            || account.normal_balance != kind.default_normal_balance()
        {
            return Err(LedgerError::SystemAccountMismatch {
                code,
                expected: format!("{} {currency}", kind.as_str()),
            });
        }
        Ok(account)
    }

    // ------------------------------------------------------------- categories

    pub fn create_category(&self, new: NewCategory) -> Result<Category, LedgerError> {
        self.get_ledger(new.ledger_id)?;
        let category = Category {
            id: CategoryId(self.ids.next_id()),
            ledger_id: new.ledger_id,
            name: required_name("name", &new.name)?,
            description: new.description,
            currency: new.currency,
            normal_balance: new.normal_balance,
            metadata: new.metadata,
            created_at: self.clock.now(),
        };
        self.store.insert_category(&category)?;
        Ok(category)
    }

    pub fn get_category(&self, id: CategoryId) -> Result<Category, LedgerError> {
        self.store
            .get_category(id)?
            .ok_or(LedgerError::not_found("category", id))
    }

    pub fn list_categories(&self, ledger_id: LedgerId, page: PageRequest) -> Result<Vec<Category>, LedgerError> {
        self.store.list_categories(ledger_id, &clamp(page))
    }

    pub fn add_category_member(&self, id: CategoryId, member: CategoryMember) -> Result<Category, LedgerError> {
        let category = self.get_category(id)?;
        let (ledger_id, currency) = match member {
            CategoryMember::Account(account_id) => {
                let a = self.get_account(account_id)?;
                (a.ledger_id, a.currency)
            }
            CategoryMember::Category(child) => {
                let c = self.get_category(child)?;
                (c.ledger_id, c.currency)
            }
        };
        if ledger_id != category.ledger_id {
            return Err(LedgerError::validation(
                "member",
                "the member belongs to another ledger",
            ));
        }
        if currency != category.currency {
            return Err(LedgerError::CurrencyMismatch {
                expected: category.currency,
                found: currency,
            });
        }
        self.store.add_category_member(id, member)?;
        Ok(category)
    }

    /// Takes an account or a category out of a category.
    pub fn remove_category_member(&self, id: CategoryId, member: CategoryMember) -> Result<Category, LedgerError> {
        let category = self.get_category(id)?;
        self.store.remove_category_member(id, member)?;
        Ok(category)
    }

    pub fn category_members(&self, id: CategoryId) -> Result<Vec<CategoryMember>, LedgerError> {
        self.get_category(id)?;
        self.store.category_members(id)
    }

    /// Sum of the members' balances, sign-adjusted to the category's normal balance.
    pub fn category_balances(&self, id: CategoryId) -> Result<(Category, Balances), LedgerError> {
        let category = self.get_category(id)?;
        let balances = self.aggregate(&category)?;
        Ok((category, balances))
    }

    /// Members and aggregate balances of a category already loaded.
    pub fn category_details(&self, category: &Category) -> Result<(Vec<CategoryMember>, Balances), LedgerError> {
        Ok((self.store.category_members(category.id)?, self.aggregate(category)?))
    }

    fn aggregate(&self, category: &Category) -> Result<Balances, LedgerError> {
        let accounts = self.store.category_accounts(category.id)?;
        Ok(aggregate_balances(category.normal_balance, &accounts))
    }
}

/// Which system account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemAccount {
    Cash,
    WithdrawalFees,
}

impl SystemAccount {
    fn describe(&self, currency: Currency) -> (String, String, AccountKind) {
        match self {
            Self::Cash => (
                format!("cash:{currency}"),
                format!("Cash {currency}"),
                AccountKind::Asset,
            ),
            Self::WithdrawalFees => (
                format!("revenue:withdrawal_fees:{currency}"),
                format!("Withdrawal fee revenue {currency}"),
                AccountKind::Revenue,
            ),
        }
    }
}

/// How a withdrawal splits: the fee (`amount × rate`, rounded half-up to the
/// currency's exponent) and what leaves through cash (`amount − fee`). A zero
/// part is `None` and gets no entry.
#[derive(Debug, Clone, PartialEq)]
pub struct WithdrawalSplit {
    pub fee: Option<Amount>,
    pub net: Option<Amount>,
}

impl WithdrawalSplit {
    pub fn new(amount: &Amount, rate: &FeeRate) -> Result<Self, LedgerError> {
        let fee_value = amount.fee(rate);
        let net = amount
            .checked_sub(&fee_value)
            .map_err(|e| LedgerError::validation("amount", e.to_string()))?;
        let fee = if fee_value.is_positive() {
            Some(
                Amount::new(fee_value, amount.currency())
                    .map_err(|e| LedgerError::validation("amount", e.to_string()))?,
            )
        } else {
            None
        };
        Ok(Self { fee, net })
    }
}

fn leg(account: &Account, direction: Direction, amount: &BigDecimal) -> EntryDraft {
    EntryDraft {
        account_id: account.id,
        direction,
        amount: amount.clone(),
        currency: Some(account.currency),
    }
}

/// A limit of 0 means "not given": the largest page.
fn clamp(mut page: PageRequest) -> PageRequest {
    page.limit = if page.limit == 0 {
        MAX_PAGE
    } else {
        page.limit.min(MAX_PAGE)
    };
    page
}

fn required_name(field: &str, value: &str) -> Result<String, LedgerError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(LedgerError::validation(field, "must not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_LEN {
        return Err(LedgerError::validation(
            field,
            format!("at most {MAX_NAME_LEN} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

fn validate_code(code: &str) -> Result<(), LedgerError> {
    let ok = !code.is_empty()
        && code.len() <= 128
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(LedgerError::validation(
            "code",
            "1 to 128 characters of A-Z, a-z, 0-9, `:`, `_`, `-`, `.`",
        ))
    }
}

fn is_system_code(code: &str) -> bool {
    code.starts_with("cash:") || code.starts_with("revenue:")
}

fn validate_common(external_id: Option<&str>, description: Option<&str>) -> Result<(), LedgerError> {
    if let Some(id) = external_id
        && (id.is_empty() || id.chars().count() > 255)
    {
        return Err(LedgerError::validation("external_id", "1 to 255 characters"));
    }
    if description.is_some_and(|d| d.chars().count() > 1000) {
        return Err(LedgerError::validation("description", "at most 1000 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn split(amount: &str, code: &str, rate: &str) -> (Option<String>, Option<String>) {
        let amount = Amount::parse(amount, Currency::parse(code).unwrap()).unwrap();
        let s = WithdrawalSplit::new(&amount, &FeeRate::new(BigDecimal::from_str(rate).unwrap()).unwrap()).unwrap();
        (s.fee.map(|a| a.to_fixed()), s.net.map(|a| a.to_fixed()))
    }

    #[test]
    fn withdrawal_split_follows_the_fee_rule_at_its_edges() {
        assert_eq!(
            split("100.00", "USD", "0.02"),
            (Some("2.00".into()), Some("98.00".into()))
        );
        assert_eq!(split("0.01", "USD", "0.02"), (None, Some("0.01".into())));
        assert_eq!(split("0.25", "USD", "0.02"), (Some("0.01".into()), Some("0.24".into())));
        assert_eq!(split("25", "JPY", "0.02"), (Some("1".into()), Some("24".into())));
        assert_eq!(
            split("0.025", "BHD", "0.02"),
            (Some("0.001".into()), Some("0.024".into()))
        );
        assert_eq!(split("100.00", "USD", "0"), (None, Some("100.00".into())));
        // a fee that rounds up to the whole amount leaves no cash entry
        assert_eq!(split("0.01", "USD", "0.5"), (Some("0.01".into()), None));
    }
}
