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
                LedgerError::ExternalIdTaken(detail_value(info.details()).unwrap_or_default())
            }
            Some("transactions_reverses_id_key") => {
                match detail_value(info.details()).map(|v| uuid::Uuid::parse_str(&v)) {
                    Some(Ok(id)) => LedgerError::AlreadyReversed {
                        id: ledger_domain::TransactionId(id),
                    },
                    _ => LedgerError::Conflict("the transaction was already reversed".to_owned()),
                }
            }
            Some("accounts_ledger_code_key") => {
                LedgerError::CodeTaken(detail_value(info.details()).unwrap_or_default())
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
        DieselError::DatabaseError(_, info) if connection_lost(info.message()) => {
            LedgerError::Unavailable("the database connection was lost".to_owned())
        }
        DieselError::BrokenTransactionManager => {
            LedgerError::Unavailable("the database connection was lost".to_owned())
        }
        _ => LedgerError::Unknown(anyhow::Error::new(e)),
    }
}

/// A server that went away mid-session: a terminated backend (`57P01`), a
/// shut-down server, a dropped socket. libpq reports these as text only.
fn connection_lost(message: &str) -> bool {
    [
        "terminating connection",
        "server closed the connection",
        "connection to server",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// The second value of a unique violation's detail, `Key (ledger_id, code)=(…, cash:USD) already exists.`
fn detail_value(detail: Option<&str>) -> Option<String> {
    let values = detail?.split_once(")=(")?.1;
    let values = values.rsplit_once(") already exists")?.0;
    Some(values.split_once(", ").map_or(values, |(_, v)| v).to_owned())
}

pub(crate) fn pool_error(e: diesel::r2d2::PoolError) -> LedgerError {
    LedgerError::Unavailable(format!("no database connection available: {e}"))
}

pub(crate) fn corrupt(what: &str, value: &str) -> LedgerError {
    LedgerError::Unknown(anyhow::anyhow!("stored {what} `{value}` is not valid"))
}
