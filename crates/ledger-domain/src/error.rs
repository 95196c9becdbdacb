//! Domain errors.
//!
//! One enum serves every use case: the use cases share almost all failure modes
//! (validation, not found, limits, conflicts), and a single table in the HTTP
//! adapter maps each variant to one problem type. Adapters never put their own
//! error types in here: anything unexpected becomes `Unknown`.

use bigdecimal::BigDecimal;
use uuid::Uuid;

use crate::ids::{AccountId, TransactionId};
use crate::money::Currency;
use crate::transaction::TransactionStatus;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{field}: {message}")]
    Validation { field: String, message: String },

    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: Uuid },

    #[error("account {account_id} has insufficient funds")]
    InsufficientFunds { account_id: AccountId },

    #[error("transaction is unbalanced in {currency}: debits − credits = {difference}")]
    Unbalanced { currency: Currency, difference: BigDecimal },

    #[error("currency mismatch: expected {expected}, found {found}")]
    CurrencyMismatch { expected: Currency, found: Currency },

    #[error("an entry names an account of another ledger")]
    CrossLedger,

    #[error("a {from:?} transaction cannot become {to:?}")]
    InvalidTransition {
        from: TransactionStatus,
        to: TransactionStatus,
    },

    /// `external_id` is unique per ledger among pending and posted transactions.
    #[error("a transaction with external_id `{0}` already exists in this ledger")]
    ExternalIdTaken(String),

    /// Account codes are unique per ledger.
    #[error("an account with code `{0}` already exists in this ledger")]
    CodeTaken(String),

    /// A transaction is reversed at most once.
    #[error("transaction {id} was already reversed")]
    AlreadyReversed { id: TransactionId },

    /// Only posted transactions can be reversed.
    #[error("only posted transactions can be reversed; this one is {}", .status.as_str())]
    NotReversible { status: TransactionStatus },

    /// A system account's code is taken by an account of another shape.
    #[error("account `{code}` exists but is not the {expected} system account")]
    SystemAccountMismatch { code: String, expected: String },

    /// A posting's condition on an account (its lock version, a bound on a
    /// balance after the posting) does not hold; nothing was written.
    #[error("condition on account {account_id} failed: {detail}")]
    ConditionFailed { account_id: AccountId, detail: String },

    /// Wallet operations act on user wallets only (liability, credit-normal).
    #[error("account {account_id} is not a wallet (a credit-normal liability account)")]
    NotAWallet { field: &'static str, account_id: AccountId },

    /// This request's idempotency claim was taken over by a retry after its
    /// lease ran out; nothing was written under it.
    #[error("the Idempotency-Key was taken over by a retry of this request")]
    IdempotencyClaimLost,

    /// Any other uniqueness conflict an adapter could not name more precisely.
    #[error("{0}")]
    Conflict(String),

    #[error("storage unavailable: {0}")]
    Unavailable(String),

    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl LedgerError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An `external_id` already used by a pending or posted transaction.
    pub fn duplicate_external_id(external_id: &str) -> Self {
        Self::ExternalIdTaken(external_id.to_owned())
    }

    pub fn not_found(resource: &'static str, id: impl Into<Uuid>) -> Self {
        Self::NotFound {
            resource,
            id: id.into(),
        }
    }
}

macro_rules! uuid_from_id {
    ($($t:ty),*) => {$(
        impl From<$t> for Uuid {
            fn from(id: $t) -> Uuid { id.0 }
        }
    )*};
}
uuid_from_id!(
    crate::ids::LedgerId,
    crate::ids::AccountId,
    crate::ids::IdentityId,
    crate::ids::TransactionId,
    crate::ids::CategoryId,
    crate::ids::GroupId,
    crate::ids::StatementId
);
