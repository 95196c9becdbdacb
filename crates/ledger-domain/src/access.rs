//! API keys and idempotency records: what the REST adapter needs persisted,
//! expressed as ports so every store adapter can provide them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::LedgerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Reads only.
    Read,
    /// Reads, and every write inside existing ledgers.
    Write,
    /// Everything, including opening ledgers.
    Admin,
}

crate::text_names!(Scope { Read => "read", Write => "write", Admin => "admin" });

impl Scope {
    /// Whether a key of this scope may do what `needed` requires.
    pub fn allows(&self, needed: Scope) -> bool {
        *self >= needed
    }
}

/// A stored API key: only a hash of the secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the secret, to recognise a key in lists and logs.
    pub prefix: String,
    pub key_hash: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub trait ApiKeyStore: Send + Sync + 'static {
    fn insert_api_key(&self, key: &ApiKey) -> Result<(), LedgerError>;
    fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>, LedgerError>;
    fn count_api_keys(&self) -> Result<u64, LedgerError>;
    /// Keys in id order (oldest first), after `page.after`.
    fn list_api_keys(&self, page: &crate::ports::PageRequest) -> Result<Vec<ApiKey>, LedgerError>;
    /// Marks the key revoked at `at` unless it already is; returns it as
    /// stored (`None`: no such key). Revoking twice keeps the first time.
    fn revoke_api_key(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<ApiKey>, LedgerError>;
}

/// Which idempotency record a request owns: keys are scoped per API key.
///
/// `token` identifies one claim of the key. A claim is a lease
/// ([`CLAIM_LEASE`]): a request whose claimant died (a crash between the claim
/// and the write) leaves a claim that a retry takes over once its lease has run
/// out, with a new token. Every write that completes the record is fenced by
/// the token, in the same atomic unit as the write: a claimant whose claim was
/// taken over cannot complete it ([`LedgerError::IdempotencyClaimLost`]), so a
/// posting under a key is stored at most once, and the retry executes it
/// exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyMark {
    pub api_key_id: Uuid,
    pub key: String,
    pub token: Uuid,
    /// The status a posting stored under this mark is answered with: 201 for
    /// a creation, 200 where a dialect answers a write with 200 (a Blnk commit).
    pub answer_status: u16,
}

/// How long a claim holds its key before a retry may take it over. Longer than
/// any live request takes to reach its write (the pool gives up after 10 s).
pub const CLAIM_LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(15);

/// How a stored response is kept.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredBody {
    /// The transaction as created, written in the same database transaction as
    /// the posting itself; the adapter renders it again on replay.
    Transaction(serde_json::Value),
    /// A rendered response body.
    Rendered(serde_json::Value),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: StoredBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key is new: this request runs and must complete or release it.
    Fresh,
    /// A request with this key and body finished; here is its response.
    Completed(StoredResponse),
    /// A request with this key and body is still running; its lease ends then.
    InFlight { lease_until: DateTime<Utc> },
    /// The key was used with another request body.
    Mismatch,
}

pub trait IdempotencyStore: Send + Sync + 'static {
    /// Atomically claims `mark` (with its token) for a request with this
    /// fingerprint until `now + CLAIM_LEASE`; an unanswered claim whose lease
    /// ended before `now` is taken over (`Fresh`).
    fn claim(&self, mark: &IdempotencyMark, request_hash: &str, now: DateTime<Utc>) -> Result<Claim, LedgerError>;
    /// Stores the response of a claimed request; `IdempotencyClaimLost` when
    /// the claim is no longer this token's.
    fn complete(&self, mark: &IdempotencyMark, response: &StoredResponse) -> Result<(), LedgerError>;
    /// Forgets this token's unanswered claim after a server-side failure, so it
    /// can be retried at once.
    fn release(&self, mark: &IdempotencyMark) -> Result<(), LedgerError>;
}

impl<T: ApiKeyStore + ?Sized> ApiKeyStore for std::sync::Arc<T> {
    fn insert_api_key(&self, key: &ApiKey) -> Result<(), LedgerError> {
        (**self).insert_api_key(key)
    }
    fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>, LedgerError> {
        (**self).find_api_key(key_hash)
    }
    fn count_api_keys(&self) -> Result<u64, LedgerError> {
        (**self).count_api_keys()
    }
    fn list_api_keys(&self, page: &crate::ports::PageRequest) -> Result<Vec<ApiKey>, LedgerError> {
        (**self).list_api_keys(page)
    }
    fn revoke_api_key(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<ApiKey>, LedgerError> {
        (**self).revoke_api_key(id, at)
    }
}

impl<T: IdempotencyStore + ?Sized> IdempotencyStore for std::sync::Arc<T> {
    fn claim(&self, mark: &IdempotencyMark, request_hash: &str, now: DateTime<Utc>) -> Result<Claim, LedgerError> {
        (**self).claim(mark, request_hash, now)
    }
    fn complete(&self, mark: &IdempotencyMark, response: &StoredResponse) -> Result<(), LedgerError> {
        (**self).complete(mark, response)
    }
    fn release(&self, mark: &IdempotencyMark) -> Result<(), LedgerError> {
        (**self).release(mark)
    }
}

/// The stored response for a transaction written under an idempotency mark.
pub fn transaction_snapshot(
    transaction: &crate::Transaction,
    mark: &IdempotencyMark,
) -> Result<StoredResponse, LedgerError> {
    let value = serde_json::to_value(transaction).map_err(|e| LedgerError::Unknown(e.into()))?;
    Ok(StoredResponse {
        status: mark.answer_status,
        body: StoredBody::Transaction(value),
    })
}
