//! Domain errors.
//!
//! One enum serves every use case: the use cases share almost all failure modes
//! (validation, not found, limits, conflicts), and a single table in the HTTP
//! adapter maps each variant to one problem type. Adapters never put their own
//! error types in here: anything unexpected becomes `Unknown`.

use bigdecimal::BigDecimal;
use uuid::Uuid;

use crate::ids::AccountId;
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
        Self::Conflict(format!(
            "a transaction with external_id `{external_id}` already exists in this ledger"
        ))
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
    crate::ids::CategoryId
);
