use actix_web::{HttpResponse, web};

use crate::dto::HealthResponse;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The process is up.
#[utoipa::path(get, path = "/health/live", operation_id = "getLiveness", tag = "Operations",
    responses((status = 200, description = "Alive", body = HealthResponse)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok".into() })
}

/// The process can reach its database.
#[utoipa::path(get, path = "/health/ready", operation_id = "getReadiness", tag = "Operations",
    responses(
        (status = 200, description = "Ready", body = HealthResponse),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    web::block(move || store.ping()).await??;
    Ok(HttpResponse::Ok().json(HealthResponse { status: "ok".into() }))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", operation_id = "getMetrics", tag = "Operations",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
