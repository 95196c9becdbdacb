//! API keys over the API, for `admin` keys: create (the secret is shown
//! once), list (never a secret), revoke (refused by every server process
//! within the key cache's second, by this one at once).

use actix_web::{HttpRequest, HttpResponse, web};
use ledger_domain::ports::{PageRequest, truncate_to_micros};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::{Caller, new_api_key};
use crate::dto::{ApiKeyPage, ApiKeyResponse, CreateApiKeyRequest, CreatedApiKeyResponse};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, EmptyBody, decode_id_cursor, next_id_cursor, page_limit, parse_query};
use crate::state::AppState;

/// Creates an API key. The answer holds its secret, shown this once: only a
/// hash is stored, so the request is not idempotent (a retry creates another
/// key; revoke the spare). Needs an `admin` key.
#[utoipa::path(post, path = "/v1/api-keys", operation_id = "createApiKey", tag = "API keys", request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "Key created; `secret` is shown this once", body = CreatedApiKeyResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, body: ApiJson<CreateApiKeyRequest>) -> Result<HttpResponse, ApiError> {
    let (name, scope) = body.value.parse()?;
    let (secret, key) = new_api_key(&name, scope, truncate_to_micros(chrono::Utc::now()));
    let store = state.store.clone();
    let stored = key.clone();
    web::block(move || store.insert_api_key(&stored)).await??;
    Ok(HttpResponse::Created().json(CreatedApiKeyResponse {
        key: ApiKeyResponse::from(&key),
        secret,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyListParams {
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

/// Lists API keys, oldest first, revoked ones included; never a secret. Needs an `admin` key.
#[utoipa::path(get, path = "/v1/api-keys", operation_id = "listApiKeys", tag = "API keys", params(ApiKeyListParams),
    responses(
        (status = 200, description = "A page of API keys", body = ApiKeyPage),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q = parse_query::<ApiKeyListParams>(&req)?;
    let limit = page_limit(q.params.limit)?;
    let after = decode_id_cursor(q.params.cursor.as_deref())?;
    let store = state.store.clone();
    let keys = web::block(move || store.list_api_keys(&PageRequest { limit, after })).await??;
    let next = next_id_cursor(keys.last().map(|k| k.id), keys.len(), limit);
    Ok(HttpResponse::Ok().json(ApiKeyPage {
        data: keys.iter().map(ApiKeyResponse::from).collect(),
        next_cursor: next,
    }))
}

/// Revokes an API key: this server refuses it at once, every other server
/// process within a second. Revoking a revoked key answers it unchanged. A key
/// cannot revoke itself (so an admin cannot lock the last door by mistake):
/// use another admin key. Needs an `admin` key.
#[utoipa::path(post, path = "/v1/api-keys/{id}/revoke", operation_id = "revokeApiKey", tag = "API keys",
    params(("id" = Uuid, Path, description = "API key id")),
    responses(
        (status = 200, description = "The key, revoked", body = ApiKeyResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such API key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The key tries to revoke itself", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: web::ReqData<Caller>,
    id: web::Path<Uuid>,
    _none: EmptyBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if caller.0.id == id {
        return Err(ApiError::new(
            crate::error::ProblemType::Conflict,
            "a key cannot revoke itself; use another admin key",
        ));
    }
    let store = state.store.clone();
    let key = web::block(move || store.revoke_api_key(id, truncate_to_micros(chrono::Utc::now())))
        .await??
        .ok_or_else(|| ApiError::not_found(format!("API key {id} not found")))?;
    state.keys.forget(&key.key_hash);
    Ok(HttpResponse::Ok().json(ApiKeyResponse::from(&key)))
}
