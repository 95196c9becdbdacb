//! actix-web adapter: the REST API under `/v1`, health, metrics, the OpenAPI
//! document and Swagger UI.
//!
//! Handlers never touch a pool or SQL: they decode a request, call one use case
//! of the domain service on the blocking pool, and render the result.

pub mod api_doc;
pub mod auth;
pub mod dialect;
pub mod dto;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod idempotency;
pub mod metrics;
pub mod state;

use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::SwaggerUi;

pub use api_doc::{openapi, openapi_json};
pub use state::{AppState, Store};

use crate::error::ApiError;
use crate::handlers::{accounts, categories, health, identities, keys, ledgers, operations, transactions};

/// 405 with the `Allow` header RFC 9110 requires.
fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move || async move {
        let e = ApiError::method_not_allowed();
        HttpResponse::MethodNotAllowed()
            .insert_header(("Allow", allow))
            .content_type("application/problem+json")
            .json(e.problem())
    })
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no such route"))
}

/// A resource whose undeclared methods answer 405 (not 404) with `Allow`.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(method_not_allowed(allow))
}

/// Registers every route and the shared configuration.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        let swagger = SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi()).config(
            utoipa_swagger_ui::Config::default()
                .persist_authorization(true)
                // offline: never call the public swagger.io validator
                .validator_url("none"),
        );
        cfg.app_data(web::Data::new(state))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|err, _| ApiError::not_found(format!("invalid path: {err}")).into()),
            )
            .service(resource("/health/live", "GET").route(web::get().to(health::live)))
            .service(resource("/health/ready", "GET").route(web::get().to(health::ready)))
            .service(resource("/metrics", "GET").route(web::get().to(health::metrics)))
            .service(resource("/openapi.json", "GET").route(
                web::get().to(|| async { HttpResponse::Ok().content_type("application/json").body(openapi_json()) }),
            ))
            .service(resource("/docs", "GET").route(
                web::get().to(|| async { HttpResponse::Found().insert_header(("Location", "/docs/")).finish() }),
            ))
            .service(swagger)
            .service(
                web::scope("/v1")
                    .wrap(from_fn(auth::authenticate::<dialect::Native, _>))
                    .service(
                        resource("/ledgers", "GET, POST")
                            .route(web::get().to(ledgers::list))
                            .route(web::post().to(ledgers::create)),
                    )
                    .service(resource("/ledgers/{id}", "GET").route(web::get().to(ledgers::get)))
                    .service(
                        resource("/api-keys", "GET, POST")
                            .route(web::get().to(keys::list))
                            .route(web::post().to(keys::create)),
                    )
                    .service(resource("/api-keys/{id}/revoke", "POST").route(web::post().to(keys::revoke)))
                    .service(
                        resource("/identities", "GET, POST")
                            .route(web::get().to(identities::list))
                            .route(web::post().to(identities::create)),
                    )
                    .service(resource("/identities/{id}", "GET").route(web::get().to(identities::get)))
                    .service(
                        resource("/accounts", "GET, POST")
                            .route(web::get().to(accounts::list))
                            .route(web::post().to(accounts::create)),
                    )
                    .service(resource("/accounts/{id}", "GET").route(web::get().to(accounts::get)))
                    .service(resource("/accounts/{id}/entries", "GET").route(web::get().to(accounts::entries)))
                    .service(
                        resource("/categories", "GET, POST")
                            .route(web::get().to(categories::list))
                            .route(web::post().to(categories::create)),
                    )
                    .service(resource("/categories/{id}", "GET").route(web::get().to(categories::get)))
                    .service(resource("/categories/{id}/members", "POST").route(web::post().to(categories::add_member)))
                    .service(
                        resource("/transactions", "GET, POST")
                            .route(web::get().to(transactions::list))
                            .route(web::post().to(transactions::create)),
                    )
                    .service(resource("/transactions/{id}", "GET").route(web::get().to(transactions::get)))
                    .service(resource("/transactions/{id}/post", "POST").route(web::post().to(transactions::post)))
                    .service(
                        resource("/transactions/{id}/archive", "POST").route(web::post().to(transactions::archive)),
                    )
                    .service(
                        resource("/transactions/{id}/reverse", "POST").route(web::post().to(transactions::reverse)),
                    )
                    .service(
                        resource("/transactions/{id}/partial-post", "POST")
                            .route(web::post().to(transactions::partial_post)),
                    )
                    .service(resource("/deposits", "POST").route(web::post().to(operations::deposit)))
                    .service(resource("/transfers", "POST").route(web::post().to(operations::transfer)))
                    .service(resource("/withdrawals", "POST").route(web::post().to(operations::withdraw)))
                    .default_service(web::to(not_found)),
            )
            .default_service(web::to(not_found));
    }
}
