use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use ledger_domain::TransactionStatus;
use ledger_domain::ports::{PageRequest, TransactionFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{read, rendered};
use crate::auth::Caller;
use crate::dialect::Native;
use crate::dto::{CreateTransactionRequest, Page, PartialPostRequest, TransactionResponse, TransactionStatusDto};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, EmptyBody, decode_id_cursor, fingerprint, next_id_cursor, page_limit, parse_query};
use crate::idempotency::{self, Outcome};
use crate::state::AppState;

/// Posts a multi-leg journal entry: at least two entries, debits = credits in
/// every currency, every account in the ledger.
#[utoipa::path(post, path = "/v1/transactions", operation_id = "createTransaction", tag = "Transactions", request_body = CreateTransactionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Transaction stored (posted or pending)", body = TransactionResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ledger or account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "external_id already used in this ledger", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unbalanced, currency mismatch, insufficient funds or invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: ApiJson<CreateTransactionRequest>,
) -> Result<HttpResponse, ApiError> {
    let ledger_id = body.value.ledger_id.into();
    let draft = body.value.try_into()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
        Ok(Outcome::Recorded(svc.create_transaction(ledger_id, draft, mark)?))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TransactionListParams {
    pub ledger_id: Option<Uuid>,
    /// Transactions with an entry on this account.
    pub account_id: Option<Uuid>,
    pub status: Option<TransactionStatusDto>,
    /// `effective_at` ≥ this time.
    pub effective_from: Option<DateTime<Utc>>,
    /// `effective_at` < this time.
    pub effective_to: Option<DateTime<Utc>>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// The posted parts and remainders split from this pending transaction.
    pub partial_of: Option<Uuid>,
}

/// Lists transactions, oldest first, with filters; `metadata[key]=value`
/// filters by metadata (e.g. `metadata[transaction_type]=withdrawal`).
#[utoipa::path(get, path = "/v1/transactions", operation_id = "listTransactions", tag = "Transactions",
    params(
        TransactionListParams,
        ("metadata" = Option<std::collections::HashMap<String, String>>, Query, style = DeepObject, explode,
            description = "`metadata[key]=value`: only transactions whose metadata has that string value"),
    ),
    responses(
        (status = 200, description = "A page of transactions", body = crate::dto::TransactionPage),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q = parse_query::<TransactionListParams>(&req)?;
    let limit = page_limit(q.params.limit)?;
    let filter = TransactionFilter {
        ledger_id: q.params.ledger_id.map(Into::into),
        account_id: q.params.account_id.map(Into::into),
        status: q.params.status.map(Into::into),
        effective_from: q.params.effective_from,
        effective_to: q.params.effective_to,
        metadata: q.metadata,
        partial_of: q.params.partial_of.map(Into::into),
        page: PageRequest {
            limit,
            after: decode_id_cursor(q.params.cursor.as_deref())?,
        },
    };
    let found = read(&state, move |svc| Ok(svc.list_transactions(filter)?)).await?;
    let next = next_id_cursor(found.last().map(|t| t.id().0), found.len(), limit);
    Ok(HttpResponse::Ok().json(Page {
        data: found.iter().map(TransactionResponse::from).collect(),
        next_cursor: next,
    }))
}

/// Reads one transaction.
#[utoipa::path(get, path = "/v1/transactions/{id}", operation_id = "getTransaction", tag = "Transactions",
    params(("id" = Uuid, Path, description = "Transaction id")),
    responses(
        (status = 200, description = "The transaction", body = TransactionResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such transaction", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let t = read(&state, move |svc| Ok(svc.get_transaction(id)?)).await?;
    Ok(HttpResponse::Ok().json(TransactionResponse::from(&t)))
}

/// Posts a pending transaction (e.g. the ACH deposit cleared).
#[utoipa::path(post, path = "/v1/transactions/{id}/post", operation_id = "postTransaction", tag = "Transactions",
    params(("id" = Uuid, Path, description = "Transaction id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 200, description = "Now posted", body = TransactionResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such transaction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency key reused with another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<Uuid>,
    _none: EmptyBody,
) -> Result<HttpResponse, ApiError> {
    transition(state, req, caller, id, TransactionStatus::Posted).await
}

/// Shared by post and archive: a status change answered with the transaction.
async fn transition(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<Uuid>,
    to: TransactionStatus,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let fp = fingerprint(&req, b"");
    idempotency::run_as::<Native, _>(&state, &req, &caller, fp, move |svc, _| {
        let t = match to {
            TransactionStatus::Posted => svc.post_transaction(id)?,
            _ => svc.archive_transaction(id)?,
        };
        rendered(StatusCode::OK, &TransactionResponse::from(&t))
    })
    .await
}

/// Archives a pending transaction: the hold is released, no money moves.
#[utoipa::path(post, path = "/v1/transactions/{id}/archive", operation_id = "archiveTransaction", tag = "Transactions",
    params(("id" = Uuid, Path, description = "Transaction id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 200, description = "Now archived", body = TransactionResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such transaction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency key reused with another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn archive(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<Uuid>,
    _none: EmptyBody,
) -> Result<HttpResponse, ApiError> {
    transition(state, req, caller, id, TransactionStatus::Archived).await
}

/// Reverses a posted transaction: a new posted transaction with every
/// direction swapped, linked both ways. At most once.
#[utoipa::path(post, path = "/v1/transactions/{id}/reverse", operation_id = "reverseTransaction", tag = "Transactions",
    params(("id" = Uuid, Path, description = "Transaction id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "The reversal", body = TransactionResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such transaction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not posted, or already reversed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The reversal would overdraw an account, or the idempotency key was reused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn reverse(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<Uuid>,
    _none: EmptyBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let fp = fingerprint(&req, b"");
    idempotency::run_as::<Native, _>(&state, &req, &caller, fp, move |svc, mark| {
        Ok(Outcome::Recorded(svc.reverse_transaction(id, mark)?))
    })
    .await
}

/// Posts part of a pending transaction: the given lines become a new posted
/// transaction, what is left of every line a new pending one, and this one is
/// archived. Post what is left later the same way, or archive it to release it.
#[utoipa::path(post, path = "/v1/transactions/{id}/partial-post", operation_id = "partialPostTransaction", tag = "Transactions",
    request_body = PartialPostRequest,
    params(("id" = Uuid, Path, description = "Pending transaction id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "The posted part (`partial_of` names the pending transaction)", body = TransactionResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such transaction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Lines not of the transaction, more than it holds, unbalanced", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn partial_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<Uuid>,
    body: ApiJson<PartialPostRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let lines = body.value.lines()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
        Ok(Outcome::Recorded(svc.partial_post_transaction(
            id,
            lines,
            ledger_domain::Rest::Hold,
            mark,
        )?))
    })
    .await
}
