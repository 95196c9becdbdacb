use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use ledger_domain::ports::{IdentityFilter, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{read, rendered};
use crate::auth::Caller;
use crate::dialect::Native;
use crate::dto::{CreateIdentityRequest, IdentityResponse, Page};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, decode_id_cursor, next_id_cursor, page_limit, parse_query};
use crate::idempotency;
use crate::state::AppState;

/// Creates an identity: the person or organisation that owns wallets.
#[utoipa::path(post, path = "/v1/identities", operation_id = "createIdentity", tag = "Identities", request_body = CreateIdentityRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Identity created", body = IdentityResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ledger", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: ApiJson<CreateIdentityRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.value.try_into()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        let identity = svc.create_identity(new)?;
        rendered(StatusCode::CREATED, &IdentityResponse::from(&identity))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IdentityListParams {
    pub ledger_id: Option<Uuid>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

/// Lists identities, oldest first.
#[utoipa::path(get, path = "/v1/identities", operation_id = "listIdentities", tag = "Identities", params(IdentityListParams),
    responses(
        (status = 200, description = "A page of identities", body = crate::dto::IdentityPage),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q = parse_query::<IdentityListParams>(&req)?;
    let limit = page_limit(q.params.limit)?;
    let filter = IdentityFilter {
        ledger_id: q.params.ledger_id.map(Into::into),
        page: PageRequest {
            limit,
            after: decode_id_cursor(q.params.cursor.as_deref())?,
        },
    };
    let found = read(&state, move |svc| Ok(svc.list_identities(filter)?)).await?;
    let next = next_id_cursor(found.last().map(|i| i.id.0), found.len(), limit);
    Ok(HttpResponse::Ok().json(Page {
        data: found.iter().map(IdentityResponse::from).collect(),
        next_cursor: next,
    }))
}

/// Reads one identity. Its wallets: `GET /v1/accounts?identity_id=…`.
#[utoipa::path(get, path = "/v1/identities/{id}", operation_id = "getIdentity", tag = "Identities", params(("id" = Uuid, Path, description = "Identity id")),
    responses(
        (status = 200, description = "The identity", body = IdentityResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such identity", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let identity = read(&state, move |svc| Ok(svc.get_identity(id.into())?)).await?;
    Ok(HttpResponse::Ok().json(IdentityResponse::from(&identity)))
}
