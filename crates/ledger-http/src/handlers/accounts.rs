use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use ledger_domain::ports::{AccountFilter, PageRequest, StatementCursor};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{read, rendered};
use crate::auth::Caller;
use crate::dialect::Native;
use crate::dto::{AccountKindDto, AccountResponse, CreateAccountRequest, Page, StatementLineResponse, currency};
use crate::error::{ApiError, Problem};
use crate::extract::{
    ApiJson, decode_cursor, decode_id_cursor, encode_cursor, next_id_cursor, page_limit, parse_query,
};
use crate::idempotency;
use crate::state::AppState;

/// Opens an account. A user's wallet is a `liability` account (money owed to
/// the user), usually linked to an identity.
#[utoipa::path(post, path = "/v1/accounts", operation_id = "createAccount", tag = "Accounts", request_body = CreateAccountRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Account created", body = AccountResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ledger or identity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken in this ledger", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: ApiJson<CreateAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.value.try_into()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        let account = svc.create_account(new)?;
        rendered(StatusCode::CREATED, &AccountResponse::from(&account))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountListParams {
    pub ledger_id: Option<Uuid>,
    /// All wallets of one customer.
    pub identity_id: Option<Uuid>,
    pub kind: Option<AccountKindDto>,
    /// ISO 4217 code.
    #[param(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

/// Lists accounts with their balances, oldest first. Filter by metadata with
/// `metadata[key]=value` (string values; several filters all apply).
#[utoipa::path(get, path = "/v1/accounts", operation_id = "listAccounts", tag = "Accounts",
    params(
        AccountListParams,
        ("metadata" = Option<std::collections::HashMap<String, String>>, Query, style = DeepObject, explode,
            description = "`metadata[key]=value`: only accounts whose metadata has that string value"),
    ),
    responses(
        (status = 200, description = "A page of accounts", body = crate::dto::AccountPage),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q = parse_query::<AccountListParams>(&req)?;
    let limit = page_limit(q.params.limit)?;
    let filter = AccountFilter {
        ledger_id: q.params.ledger_id.map(Into::into),
        identity_id: q.params.identity_id.map(Into::into),
        kind: q.params.kind.map(Into::into),
        currency: q
            .params
            .currency
            .as_deref()
            .map(|c| currency("currency", c))
            .transpose()?,
        metadata: q.metadata,
        page: PageRequest {
            limit,
            after: decode_id_cursor(q.params.cursor.as_deref())?,
        },
    };
    let found = read(&state, move |svc| Ok(svc.list_accounts(filter)?)).await?;
    let next = next_id_cursor(found.last().map(|a| a.id.0), found.len(), limit);
    Ok(HttpResponse::Ok().json(Page {
        data: found.iter().map(AccountResponse::from).collect(),
        next_cursor: next,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AsOfParams {
    /// Balances from entries with `effective_at` ≤ this time (RFC 3339).
    pub as_of: Option<DateTime<Utc>>,
}

/// Reads an account with its posted, pending and available balances — now, or
/// as of a time.
#[utoipa::path(get, path = "/v1/accounts/{id}", operation_id = "getAccount", tag = "Accounts",
    params(("id" = Uuid, Path, description = "Account id"), AsOfParams),
    responses(
        (status = 200, description = "The account and its balances", body = AccountResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, req: HttpRequest, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let q = parse_query::<AsOfParams>(&req)?;
    if !q.metadata.is_empty() {
        return Err(ApiError::validation("metadata", "not a filter of this resource"));
    }
    let body = read(&state, move |svc| {
        Ok(match q.params.as_of {
            Some(at) => {
                let (account, balances) = svc.balances_as_of(id, at)?;
                AccountResponse::new(&account, &balances, Some(at))
            }
            None => AccountResponse::from(&svc.get_account(id)?),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatementParams {
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

fn statement_cursor(cursor: &str) -> Result<StatementCursor, ApiError> {
    let invalid = || ApiError::validation("cursor", "not a cursor this API issued");
    let position = decode_cursor(cursor)?;
    let mut parts = position.split('|');
    let (Some(micros), Some(tx), Some(line), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    Ok(StatementCursor {
        effective_at: DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(invalid)?,
        transaction_id: Uuid::parse_str(tx).map_err(|_| invalid())?.into(),
        line: line.parse().map_err(|_| invalid())?,
    })
}

/// An account statement: its posted entries in effective order, each with the
/// posted balance after it.
#[utoipa::path(get, path = "/v1/accounts/{id}/entries", operation_id = "listAccountEntries", tag = "Accounts",
    params(("id" = Uuid, Path, description = "Account id"), StatementParams),
    responses(
        (status = 200, description = "A page of statement lines", body = crate::dto::StatementPage),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn entries(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let q = parse_query::<StatementParams>(&req)?;
    let limit = page_limit(q.params.limit)?;
    let after = q.params.cursor.as_deref().map(statement_cursor).transpose()?;
    let statement = read(&state, move |svc| Ok(svc.statement(id, after, limit)?)).await?;
    let currency = statement.account.currency;
    Ok(HttpResponse::Ok().json(Page {
        data: statement
            .lines
            .iter()
            .map(|l| StatementLineResponse::new(l, currency))
            .collect(),
        next_cursor: statement.next.map(|c| {
            encode_cursor(&format!(
                "{}|{}|{}",
                c.effective_at.timestamp_micros(),
                c.transaction_id,
                c.line
            ))
        }),
    }))
}
