use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use ledger_domain::ports::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{read, rendered};
use crate::auth::Caller;
use crate::dialect::Native;
use crate::dto::{CreateLedgerRequest, LedgerResponse, Page};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, decode_id_cursor, next_id_cursor, page_limit, parse_query};
use crate::idempotency;
use crate::state::AppState;

/// Opens a ledger (a book of accounts). Needs an `admin` key.
#[utoipa::path(post, path = "/v1/ledgers", operation_id = "createLedger", tag = "Ledgers", request_body = CreateLedgerRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Ledger created", body = LedgerResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or reused idempotency key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: ApiJson<CreateLedgerRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.value.try_into()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        let ledger = svc.create_ledger(new)?;
        rendered(StatusCode::CREATED, &LedgerResponse::from(&ledger))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerListParams {
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

/// Lists ledgers, oldest first.
#[utoipa::path(get, path = "/v1/ledgers", operation_id = "listLedgers", tag = "Ledgers", params(LedgerListParams),
    responses(
        (status = 200, description = "A page of ledgers", body = crate::dto::LedgerPage),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q = parse_query::<LedgerListParams>(&req)?;
    let limit = page_limit(q.params.limit)?;
    let after = decode_id_cursor(q.params.cursor.as_deref())?;
    let ledgers = read(&state, move |svc| Ok(svc.list_ledgers(PageRequest { limit, after })?)).await?;
    let next = next_id_cursor(ledgers.last().map(|l| l.id.0), ledgers.len(), limit);
    Ok(HttpResponse::Ok().json(Page {
        data: ledgers.iter().map(LedgerResponse::from).collect(),
        next_cursor: next,
    }))
}

/// Reads one ledger.
#[utoipa::path(get, path = "/v1/ledgers/{id}", operation_id = "getLedger", tag = "Ledgers", params(("id" = Uuid, Path, description = "Ledger id")),
    responses(
        (status = 200, description = "The ledger", body = LedgerResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ledger", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ledger = read(&state, move |svc| Ok(svc.get_ledger(id.into())?)).await?;
    Ok(HttpResponse::Ok().json(LedgerResponse::from(&ledger)))
}
