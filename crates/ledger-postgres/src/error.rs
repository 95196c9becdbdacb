//! Database errors → domain errors. Nothing of the database's text leaks to
//! callers except through `Unknown`, which the HTTP adapter logs and hides.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use ledger_domain::LedgerError;

/// Inside a diesel transaction both kinds of error can occur.
#[derive(Debug)]
pub(crate) enum TxError {
    Domain(LedgerError),
    Db(DieselError),
}

impl From<DieselError> for TxError {
    fn from(e: DieselError) -> Self {
        Self::Db(e)
    }
}

impl From<LedgerError> for TxError {
    fn from(e: LedgerError) -> Self {
        Self::Domain(e)
    }
}

impl From<TxError> for LedgerError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Domain(e) => e,
            TxError::Db(e) => from_diesel(e),
        }
    }
}

pub(crate) fn from_diesel(e: DieselError) -> LedgerError {
    match &e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => match info.constraint_name() {
            Some("transactions_ledger_external_id_key") => {
                LedgerError::Conflict("a transaction with this external_id already exists in this ledger".to_owned())
            }
            Some("accounts_ledger_code_key") => {
                LedgerError::Conflict("an account with this code already exists in this ledger".to_owned())
            }
            _ => LedgerError::Conflict("the resource already exists".to_owned()),
        },
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            LedgerError::validation("reference", "refers to something that does not exist")
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
            LedgerError::Unavailable("the database connection was closed".to_owned())
        }
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            LedgerError::Unavailable("concurrent update; retry".to_owned())
        }
        _ => LedgerError::Unknown(anyhow::Error::new(e)),
    }
}

pub(crate) fn pool_error(e: diesel::r2d2::PoolError) -> LedgerError {
    LedgerError::Unavailable(format!("no database connection available: {e}"))
}

pub(crate) fn corrupt(what: &str, value: &str) -> LedgerError {
    LedgerError::Unknown(anyhow::anyhow!("stored {what} `{value}` is not valid"))
}
