//! API keys and idempotency records on PostgreSQL.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use ledger_domain::LedgerError;
use ledger_domain::access::{
    ApiKey, ApiKeyStore, CLAIM_LEASE, Claim, IdempotencyMark, IdempotencyStore, Scope, StoredBody, StoredResponse,
};
use ledger_domain::ports::PageRequest;
use serde_json::Value;
use uuid::Uuid;

use crate::PostgresLedgerStore;
use crate::error::{TxError, corrupt, from_diesel};
use crate::schema::{api_keys, idempotency_keys};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
struct ApiKeyRow {
    id: Uuid,
    name: String,
    prefix: String,
    key_hash: String,
    scope: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::pg::Pg))]
struct IdempotencyRow {
    request_hash: String,
    response_status: Option<i32>,
    response_kind: Option<String>,
    response_body: Option<Value>,
    lease_until: DateTime<Utc>,
}

fn stored(status: u16, body: &StoredBody) -> (i32, &'static str, Value) {
    match body {
        StoredBody::Transaction(v) => (i32::from(status), "transaction", v.clone()),
        StoredBody::Rendered(v) => (i32::from(status), "rendered", v.clone()),
    }
}

/// The records of `mark`'s key that `mark`'s claim still holds, unanswered.
macro_rules! claimed_by {
    ($mark:expr) => {
        idempotency_keys::table
            .filter(idempotency_keys::api_key_id.eq($mark.api_key_id))
            .filter(idempotency_keys::key.eq(&$mark.key))
            .filter(idempotency_keys::claim_token.eq($mark.token))
            .filter(idempotency_keys::response_status.is_null())
    };
}

fn set_response(conn: &mut PgConnection, mark: &IdempotencyMark, response: &StoredResponse) -> Result<(), TxError> {
    let (status, kind, body) = stored(response.status, &response.body);
    let updated = diesel::update(claimed_by!(mark))
        .set((
            idempotency_keys::response_status.eq(status),
            idempotency_keys::response_kind.eq(kind),
            idempotency_keys::response_body.eq(body),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(LedgerError::IdempotencyClaimLost.into());
    }
    Ok(())
}

fn api_key(r: ApiKeyRow) -> Result<ApiKey, LedgerError> {
    Ok(ApiKey {
        scope: Scope::parse(&r.scope).ok_or_else(|| corrupt("scope", &r.scope))?,
        id: r.id,
        name: r.name,
        prefix: r.prefix,
        key_hash: r.key_hash,
        created_at: r.created_at,
        revoked_at: r.revoked_at,
    })
}

impl ApiKeyStore for PostgresLedgerStore {
    fn insert_api_key(&self, key: &ApiKey) -> Result<(), LedgerError> {
        let row = ApiKeyRow {
            id: key.id,
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            key_hash: key.key_hash.clone(),
            scope: key.scope.as_str().to_owned(),
            created_at: key.created_at,
            revoked_at: key.revoked_at,
        };
        let mut conn = self.conn()?;
        diesel::insert_into(api_keys::table)
            .values(row)
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }

    fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>, LedgerError> {
        let mut conn = self.conn()?;
        let row: Option<ApiKeyRow> = api_keys::table
            .filter(api_keys::key_hash.eq(key_hash))
            .select(ApiKeyRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?;
        row.map(api_key).transpose()
    }

    fn list_api_keys(&self, page: &PageRequest) -> Result<Vec<ApiKey>, LedgerError> {
        let mut conn = self.conn()?;
        let mut q = api_keys::table
            .select(ApiKeyRow::as_select())
            .order(api_keys::id)
            .limit(i64::try_from(page.limit.clamp(1, 1000)).unwrap_or(100))
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(api_keys::id.gt(after));
        }
        q.load(&mut conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(api_key)
            .collect()
    }

    fn revoke_api_key(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<ApiKey>, LedgerError> {
        let mut conn = self.conn()?;
        // the first revocation's time stays
        diesel::update(
            api_keys::table
                .filter(api_keys::id.eq(id))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(at))
        .execute(&mut conn)
        .map_err(from_diesel)?;
        let row: Option<ApiKeyRow> = api_keys::table
            .filter(api_keys::id.eq(id))
            .select(ApiKeyRow::as_select())
            .first(&mut conn)
            .optional()
            .map_err(from_diesel)?;
        row.map(api_key).transpose()
    }

    fn count_api_keys(&self) -> Result<u64, LedgerError> {
        let mut conn = self.conn()?;
        let n: i64 = api_keys::table.count().get_result(&mut conn).map_err(from_diesel)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl IdempotencyStore for PostgresLedgerStore {
    fn claim(&self, mark: &IdempotencyMark, request_hash: &str, now: DateTime<Utc>) -> Result<Claim, LedgerError> {
        self.tx(|conn| {
            let inserted = diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::api_key_id.eq(mark.api_key_id),
                    idempotency_keys::key.eq(&mark.key),
                    idempotency_keys::request_hash.eq(request_hash),
                    idempotency_keys::created_at.eq(now),
                    idempotency_keys::claim_token.eq(mark.token),
                    idempotency_keys::lease_until.eq(now + CLAIM_LEASE),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            if inserted == 1 {
                return Ok(Claim::Fresh);
            }
            let row: IdempotencyRow = idempotency_keys::table
                .filter(idempotency_keys::api_key_id.eq(mark.api_key_id))
                .filter(idempotency_keys::key.eq(&mark.key))
                .select(IdempotencyRow::as_select())
                .for_update()
                .first(conn)?;
            if row.request_hash != request_hash {
                return Ok(Claim::Mismatch);
            }
            Ok(
                match (row.response_status, row.response_kind.as_deref(), row.response_body) {
                    (Some(status), Some(kind), Some(body)) => {
                        let status = u16::try_from(status).map_err(|_| corrupt("status", &status.to_string()))?;
                        let body = if kind == "transaction" {
                            StoredBody::Transaction(body)
                        } else {
                            StoredBody::Rendered(body)
                        };
                        Claim::Completed(StoredResponse { status, body })
                    }
                    _ if row.lease_until < now => {
                        // The claimant died: take its claim over with our token.
                        diesel::update(
                            idempotency_keys::table
                                .filter(idempotency_keys::api_key_id.eq(mark.api_key_id))
                                .filter(idempotency_keys::key.eq(&mark.key)),
                        )
                        .set((
                            idempotency_keys::claim_token.eq(mark.token),
                            idempotency_keys::lease_until.eq(now + CLAIM_LEASE),
                        ))
                        .execute(conn)?;
                        Claim::Fresh
                    }
                    _ => Claim::InFlight {
                        lease_until: row.lease_until,
                    },
                },
            )
        })
    }

    fn complete(&self, mark: &IdempotencyMark, response: &StoredResponse) -> Result<(), LedgerError> {
        self.tx(|conn| set_response(conn, mark, response))
    }

    fn release(&self, mark: &IdempotencyMark) -> Result<(), LedgerError> {
        let mut conn = self.conn()?;
        diesel::delete(claimed_by!(mark))
            .execute(&mut conn)
            .map_err(from_diesel)?;
        Ok(())
    }
}
