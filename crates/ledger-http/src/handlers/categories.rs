use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use ledger_domain::ports::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{read, rendered};
use crate::auth::Caller;
use crate::dialect::Native;
use crate::dto::{CategoryMemberDto, CategoryResponse, CreateCategoryRequest, Page};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, decode_id_cursor, next_id_cursor, page_limit, parse_query};
use crate::idempotency;
use crate::state::{AppState, Service};
use ledger_domain::Category;

fn render(svc: &Service, category: &Category) -> Result<CategoryResponse, ApiError> {
    let (members, balances) = svc.category_details(category)?;
    Ok(CategoryResponse::new(category, &members, &balances))
}

/// Creates a category: a named group of accounts and other categories, e.g.
/// "User balances" holding every wallet.
#[utoipa::path(post, path = "/v1/categories", operation_id = "createCategory", tag = "Categories", request_body = CreateCategoryRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "Category created", body = CategoryResponse),
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
    body: ApiJson<CreateCategoryRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.value.try_into()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        let category = svc.create_category(new)?;
        rendered(StatusCode::CREATED, &render(svc, &category)?)
    })
    .await
}

/// Adds an account or a category to a category (cycles are refused).
#[utoipa::path(post, path = "/v1/categories/{id}/members", operation_id = "addCategoryMember", tag = "Categories", request_body = CategoryMemberDto,
    params(("id" = Uuid, Path, description = "Category id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 200, description = "The category with its members and balances", body = CategoryResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category or member", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Cycle, other ledger or currency mismatch", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn add_member(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<Uuid>,
    body: ApiJson<CategoryMemberDto>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let member = body.value.into();
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        let category = svc.add_category_member(id, member)?;
        rendered(StatusCode::OK, &render(svc, &category)?)
    })
    .await
}

/// Reads a category with its members and aggregate balances.
#[utoipa::path(get, path = "/v1/categories/{id}", operation_id = "getCategory", tag = "Categories", params(("id" = Uuid, Path, description = "Category id")),
    responses(
        (status = 200, description = "The category", body = CategoryResponse),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let body = read(&state, move |svc| render(svc, &svc.get_category(id)?)).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CategoryListParams {
    pub ledger_id: Uuid,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

/// Lists a ledger's categories with their balances.
#[utoipa::path(get, path = "/v1/categories", operation_id = "listCategories", tag = "Categories", params(CategoryListParams),
    responses(
        (status = 200, description = "A page of categories", body = crate::dto::CategoryPage),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let q = parse_query::<CategoryListParams>(&req)?;
    let limit = page_limit(q.params.limit)?;
    let after = decode_id_cursor(q.params.cursor.as_deref())?;
    let ledger_id = q.params.ledger_id.into();
    let (data, last, count) = read(&state, move |svc| {
        let found = svc.list_categories(ledger_id, PageRequest { limit, after })?;
        let last = found.last().map(|c| c.id.0);
        let count = found.len();
        let data = found.iter().map(|c| render(svc, c)).collect::<Result<Vec<_>, _>>()?;
        Ok((data, last, count))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page {
        data,
        next_cursor: next_id_cursor(last, count, limit),
    }))
}
