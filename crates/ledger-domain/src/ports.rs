//! Ports: what the use cases need from the outside world.
//!
//! Persistence is split by use case — [`BookStore`], [`AccountStore`],
//! [`JournalStore`], [`CategoryStore`], together a [`LedgerStore`] — each
//! method one atomic unit of work; plus a [`Clock`] and an [`IdGenerator`].
//! Every adapter (in-memory, PostgreSQL, or yours) implements them; the
//! contract test suite in `ledger-contract` runs the same tests against each.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::AccountKind;
use crate::access::IdempotencyMark;
use crate::account::{Account, AccountStatement, BalanceCounters};
use crate::category::{Category, CategoryMember};
use crate::error::LedgerError;
use crate::ids::{AccountId, CategoryId, GroupId, IdentityId, LedgerId, StatementId, TransactionId};
use crate::ledger::{AccountGroup, Identity, Ledger};
use crate::money::Currency;
use crate::transaction::{Direction, Transaction, TransactionStatus};

pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC, at microsecond precision (what every store can hold).
    fn now(&self) -> DateTime<Utc>;
}

pub trait IdGenerator: Send + Sync + 'static {
    /// A new UUID v7 (time-ordered).
    fn next_id(&self) -> Uuid;
}

/// The wall clock, truncated to microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate_to_micros(Utc::now())
    }
}

pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

/// UUID v7 from the `uuid` crate.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Generator;

impl IdGenerator for UuidV7Generator {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// One atomic unit of work on the journal. Pure data (no callbacks), so an
/// adapter may queue many writes from concurrent callers and commit them in one
/// round trip, each still succeeding or failing on its own.
#[derive(Debug, Clone)]
pub enum JournalWrite {
    /// Store a new pending or posted transaction: lock the accounts whose
    /// available balance it lowers, check their limits, insert, update counters.
    /// With an idempotency mark, the adapter stores the created transaction as
    /// the mark's response in the same atomic unit (status 201).
    Record {
        transaction: Transaction,
        idempotency: Option<IdempotencyMark>,
        /// Accounts whose limit this posting may pass (see
        /// `TransactionDraft::overdraft_allowed`); their check is skipped.
        overdraft_allowed: std::collections::BTreeSet<AccountId>,
        /// Conditions to check atomically with the write.
        conditions: std::collections::BTreeMap<AccountId, crate::posting::AccountCondition>,
    },
    /// Archive a pending transaction and store the posted part and the
    /// pending remainder it was split into, refusing if it is no longer
    /// pending. The idempotency mark completes with the posted part.
    PartialPost {
        split: Box<crate::transaction::PartialPost>,
        idempotency: Option<IdempotencyMark>,
    },
    /// New metadata for a pending transaction (checked under the adapter's
    /// lock: it must still be pending).
    Annotate {
        transaction_id: TransactionId,
        metadata: crate::Metadata,
    },
    /// pending → posted or pending → archived.
    Transition {
        transaction_id: TransactionId,
        to: TransactionStatus,
        at: DateTime<Utc>,
    },
    /// Store `reversal` (already built from the original) and link the original
    /// to it, refusing if the original was reversed meanwhile.
    Reverse {
        reversal: Transaction,
        idempotency: Option<IdempotencyMark>,
    },
}

/// Keyset pagination: items after `after` in id order (ids are time-ordered).
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub ledger_id: Option<LedgerId>,
    pub identity_id: Option<IdentityId>,
    pub kind: Option<AccountKind>,
    pub currency: Option<Currency>,
    /// Each `(key, value)` must equal the string value of `metadata[key]`.
    pub metadata: Vec<(String, String)>,
    pub page: PageRequest,
}

#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub ledger_id: Option<LedgerId>,
    /// Transactions with at least one entry on this account.
    pub account_id: Option<AccountId>,
    pub status: Option<TransactionStatus>,
    pub effective_from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub effective_to: Option<DateTime<Utc>>,
    pub metadata: Vec<(String, String)>,
    /// The parts a pending transaction was split into by partial posts.
    pub partial_of: Option<TransactionId>,
    pub page: PageRequest,
}

#[derive(Debug, Clone, Default)]
pub struct IdentityFilter {
    pub ledger_id: Option<LedgerId>,
    pub page: PageRequest,
}

/// Position in an account statement: posted entries ordered by
/// `(effective_at, transaction_id, line)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatementCursor {
    pub effective_at: DateTime<Utc>,
    pub transaction_id: TransactionId,
    pub line: i32,
}

/// One posted entry on an account, as a statement line.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementEntry {
    pub transaction_id: TransactionId,
    pub line: i32,
    pub direction: Direction,
    pub amount: bigdecimal::BigDecimal,
    pub effective_at: DateTime<Utc>,
    pub description: Option<String>,
}

/// Books and who owns wallets: ledgers, identities, account groups.
pub trait BookStore: Send + Sync + 'static {
    /// Inserts a ledger; an existing id is a `Conflict`.
    fn insert_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError>;
    /// A ledger as stored now.
    fn get_ledger(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError>;
    /// A ledger's fixed fields (id, fee rate, creation): what postings need.
    /// Name, description and metadata need not be current, so an adapter may
    /// serve this from a cache.
    fn ledger_head(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError> {
        self.get_ledger(id)
    }
    /// Stores a ledger's new name, description and metadata.
    fn update_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError>;
    fn list_ledgers(&self, page: &PageRequest) -> Result<Vec<Ledger>, LedgerError>;
    fn insert_identity(&self, identity: &Identity) -> Result<(), LedgerError>;
    fn get_identity(&self, id: IdentityId) -> Result<Option<Identity>, LedgerError>;
    fn list_identities(&self, filter: &IdentityFilter) -> Result<Vec<Identity>, LedgerError>;
    /// Inserts a group; an existing id is a `Conflict`.
    fn insert_group(&self, group: &AccountGroup) -> Result<(), LedgerError>;
    fn get_group(&self, id: GroupId) -> Result<Option<AccountGroup>, LedgerError>;
    fn list_groups(&self, ledger_id: LedgerId, page: &PageRequest) -> Result<Vec<AccountGroup>, LedgerError>;
}

/// Accounts and their balances: opening, finding, reading now and as of a time.
pub trait AccountStore: Send + Sync + 'static {
    /// Inserts a new account; a taken `(ledger_id, code)` is `CodeTaken`.
    fn insert_account(&self, account: &Account) -> Result<(), LedgerError>;
    /// Returns the account with `account.code` in its ledger, inserting `account`
    /// if there is none (system accounts are created on first use). Concurrent
    /// callers all get the same account. Like [`Self::account_heads`], only its
    /// fixed fields are guaranteed current.
    fn ensure_account(&self, account: &Account) -> Result<Account, LedgerError>;
    /// An account with its current counters and version.
    fn get_account(&self, id: AccountId) -> Result<Option<Account>, LedgerError>;
    fn get_accounts(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, Account>, LedgerError>;
    /// The accounts' fixed fields (ledger, currency, kind, normal balance,
    /// limit, code): what validation needs. Counters and version need not be
    /// current, so an adapter may serve these from a cache — no use case
    /// changes them once the account exists.
    fn account_heads(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, Account>, LedgerError> {
        self.get_accounts(ids)
    }
    fn list_accounts(&self, filter: &AccountFilter) -> Result<Vec<Account>, LedgerError>;
    /// The account with this code in the ledger (codes are unique per ledger),
    /// with its counters; one indexed lookup.
    fn find_account_by_code(&self, ledger_id: LedgerId, code: &str) -> Result<Option<Account>, LedgerError>;
    /// Counters from entries with `effective_at <= at`, by their transactions'
    /// current status.
    fn counters_as_of(&self, id: AccountId, at: DateTime<Utc>) -> Result<BalanceCounters, LedgerError>;
    /// Posted entries after `after`, at most `limit`, plus the posted counters of
    /// every entry up to and including `after` (the opening balance).
    fn statement(
        &self,
        id: AccountId,
        after: Option<&StatementCursor>,
        limit: usize,
    ) -> Result<(BalanceCounters, Vec<StatementEntry>), LedgerError>;
    /// Keeps a statement as it was generated.
    fn insert_account_statement(&self, statement: &AccountStatement) -> Result<(), LedgerError>;
    fn get_account_statement(&self, id: StatementId) -> Result<Option<AccountStatement>, LedgerError>;
}

/// The journal: every write is one atomic unit ([`JournalWrite`]).
pub trait JournalStore: Send + Sync + 'static {
    fn write(&self, write: JournalWrite) -> Result<Transaction, LedgerError>;
    fn get_transaction(&self, id: TransactionId) -> Result<Option<Transaction>, LedgerError>;
    fn list_transactions(&self, filter: &TransactionFilter) -> Result<Vec<Transaction>, LedgerError>;
    /// The transaction with this `external_id` in the ledger: the pending or
    /// posted one (unique), else the most recent archived one; one indexed lookup.
    fn find_transaction_by_external_id(
        &self,
        ledger_id: LedgerId,
        external_id: &str,
    ) -> Result<Option<Transaction>, LedgerError>;
}

/// Categories: groups of accounts and categories with aggregate balances.
pub trait CategoryStore: Send + Sync + 'static {
    fn insert_category(&self, category: &Category) -> Result<(), LedgerError>;
    fn get_category(&self, id: CategoryId) -> Result<Option<Category>, LedgerError>;
    fn list_categories(&self, ledger_id: LedgerId, page: &PageRequest) -> Result<Vec<Category>, LedgerError>;
    /// Adds a member, atomically refusing a cycle (`Validation`) and a member of
    /// another ledger or currency. Adding an existing member is a no-op.
    fn add_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError>;
    /// Removes a member; removing one that is not a member is a no-op.
    fn remove_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError>;
    fn category_members(&self, category: CategoryId) -> Result<Vec<CategoryMember>, LedgerError>;
    /// Every account reachable from the category, each once, with counters.
    fn category_accounts(&self, category: CategoryId) -> Result<Vec<Account>, LedgerError>;
}

/// Persistence for the ledger, one port per use case; implementations make
/// every method atomic. The service needs them all.
pub trait LedgerStore: BookStore + AccountStore + JournalStore + CategoryStore {
    /// Whether the storage answers (readiness).
    fn ping(&self) -> Result<(), LedgerError> {
        Ok(())
    }
}

/// Every port behind one pointer, so adapters can be chosen at run time.
pub trait FullStore: LedgerStore + crate::access::ApiKeyStore + crate::access::IdempotencyStore {}
impl<T: LedgerStore + crate::access::ApiKeyStore + crate::access::IdempotencyStore> FullStore for T {}

/// `Arc<T>` is a store when `T` is: each port forwards to the shared value.
macro_rules! forward {
    ($port:ident { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)* }) => {
        impl<T: $port + ?Sized> $port for std::sync::Arc<T> {
            $(fn $name(&self $(, $arg: $ty)*) -> $ret { (**self).$name($($arg),*) })*
        }
    };
}

forward!(LedgerStore {
    fn ping(&self) -> Result<(), LedgerError>;
});
forward!(BookStore {
    fn insert_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError>;
    fn get_ledger(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError>;
    fn ledger_head(&self, id: LedgerId) -> Result<Option<Ledger>, LedgerError>;
    fn update_ledger(&self, ledger: &Ledger) -> Result<(), LedgerError>;
    fn list_ledgers(&self, page: &PageRequest) -> Result<Vec<Ledger>, LedgerError>;
    fn insert_identity(&self, identity: &Identity) -> Result<(), LedgerError>;
    fn get_identity(&self, id: IdentityId) -> Result<Option<Identity>, LedgerError>;
    fn list_identities(&self, filter: &IdentityFilter) -> Result<Vec<Identity>, LedgerError>;
    fn insert_group(&self, group: &AccountGroup) -> Result<(), LedgerError>;
    fn get_group(&self, id: GroupId) -> Result<Option<AccountGroup>, LedgerError>;
    fn list_groups(&self, ledger_id: LedgerId, page: &PageRequest) -> Result<Vec<AccountGroup>, LedgerError>;
});
forward!(AccountStore {
    fn insert_account(&self, account: &Account) -> Result<(), LedgerError>;
    fn ensure_account(&self, account: &Account) -> Result<Account, LedgerError>;
    fn get_account(&self, id: AccountId) -> Result<Option<Account>, LedgerError>;
    fn get_accounts(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, Account>, LedgerError>;
    fn account_heads(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, Account>, LedgerError>;
    fn list_accounts(&self, filter: &AccountFilter) -> Result<Vec<Account>, LedgerError>;
    fn find_account_by_code(&self, ledger_id: LedgerId, code: &str) -> Result<Option<Account>, LedgerError>;
    fn counters_as_of(&self, id: AccountId, at: DateTime<Utc>) -> Result<BalanceCounters, LedgerError>;
    fn statement(&self, id: AccountId, after: Option<&StatementCursor>, limit: usize) -> Result<(BalanceCounters, Vec<StatementEntry>), LedgerError>;
    fn insert_account_statement(&self, statement: &AccountStatement) -> Result<(), LedgerError>;
    fn get_account_statement(&self, id: StatementId) -> Result<Option<AccountStatement>, LedgerError>;
});
forward!(JournalStore {
    fn write(&self, write: JournalWrite) -> Result<Transaction, LedgerError>;
    fn get_transaction(&self, id: TransactionId) -> Result<Option<Transaction>, LedgerError>;
    fn list_transactions(&self, filter: &TransactionFilter) -> Result<Vec<Transaction>, LedgerError>;
    fn find_transaction_by_external_id(&self, ledger_id: LedgerId, external_id: &str) -> Result<Option<Transaction>, LedgerError>;
});
forward!(CategoryStore {
    fn insert_category(&self, category: &Category) -> Result<(), LedgerError>;
    fn get_category(&self, id: CategoryId) -> Result<Option<Category>, LedgerError>;
    fn list_categories(&self, ledger_id: LedgerId, page: &PageRequest) -> Result<Vec<Category>, LedgerError>;
    fn add_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError>;
    fn remove_category_member(&self, category: CategoryId, member: CategoryMember) -> Result<(), LedgerError>;
    fn category_members(&self, category: CategoryId) -> Result<Vec<CategoryMember>, LedgerError>;
    fn category_accounts(&self, category: CategoryId) -> Result<Vec<Account>, LedgerError>;
});
