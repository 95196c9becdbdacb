//! actix-web adapter: the REST API under `/v1`, health, metrics, the OpenAPI
//! document and Swagger UI.
//!
//! Handlers never touch a pool or SQL: they decode a request, call one use case
//! of the domain service on the blocking pool, and render the result.

pub mod api_doc;
pub mod auth;
pub mod dto;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod idempotency;
pub mod metrics;
pub mod state;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use utoipa_swagger_ui::SwaggerUi;

pub use api_doc::{openapi, openapi_json};
pub use state::{AppState, Store};

use crate::error::ApiError;
use crate::handlers::{accounts, categories, health, identities, ledgers, operations, transactions};

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::method_not_allowed())
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no such route"))
}

/// A resource whose undeclared methods answer 405 (not 404).
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// Registers every route and the shared configuration.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        let swagger = SwaggerUi::new("/docs/{_:.*}")
            .url("/openapi.json", openapi())
            .config(utoipa_swagger_ui::Config::default().persist_authorization(true));
        cfg.app_data(web::Data::new(state))
            .app_data(web::PathConfig::default().error_handler(|err, _| ApiError::not_found(format!("invalid path: {err}")).into()))
            .service(resource("/health/live").route(web::get().to(health::live)))
            .service(resource("/health/ready").route(web::get().to(health::ready)))
            .service(resource("/metrics").route(web::get().to(health::metrics)))
            .service(resource("/docs").route(web::get().to(|| async {
                HttpResponse::Found().insert_header(("Location", "/docs/")).finish()
            })))
            .service(swagger)
            .service(
                web::scope("/v1")
                    .wrap(from_fn(auth::authenticate))
                    .service(resource("/ledgers").route(web::get().to(ledgers::list)).route(web::post().to(ledgers::create)))
                    .service(resource("/ledgers/{id}").route(web::get().to(ledgers::get)))
                    .service(
                        resource("/identities")
                            .route(web::get().to(identities::list))
                            .route(web::post().to(identities::create)),
                    )
                    .service(resource("/identities/{id}").route(web::get().to(identities::get)))
                    .service(resource("/accounts").route(web::get().to(accounts::list)).route(web::post().to(accounts::create)))
                    .service(resource("/accounts/{id}").route(web::get().to(accounts::get)))
                    .service(resource("/accounts/{id}/entries").route(web::get().to(accounts::entries)))
                    .service(
                        resource("/categories")
                            .route(web::get().to(categories::list))
                            .route(web::post().to(categories::create)),
                    )
                    .service(resource("/categories/{id}").route(web::get().to(categories::get)))
                    .service(resource("/categories/{id}/members").route(web::post().to(categories::add_member)))
                    .service(
                        resource("/transactions")
                            .route(web::get().to(transactions::list))
                            .route(web::post().to(transactions::create)),
                    )
                    .service(resource("/transactions/{id}").route(web::get().to(transactions::get)))
                    .service(resource("/transactions/{id}/post").route(web::post().to(transactions::post)))
                    .service(resource("/transactions/{id}/archive").route(web::post().to(transactions::archive)))
                    .service(resource("/transactions/{id}/reverse").route(web::post().to(transactions::reverse)))
                    .service(resource("/deposits").route(web::post().to(operations::deposit)))
                    .service(resource("/transfers").route(web::post().to(operations::transfer)))
                    .service(resource("/withdrawals").route(web::post().to(operations::withdraw)))
                    .default_service(web::to(not_found)),
            )
            .default_service(web::to(not_found));
    }
}
