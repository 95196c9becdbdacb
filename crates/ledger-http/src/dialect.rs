//! What the API dialects share and what each one says its own way.
//!
//! The native API (`/v1`) and the vendor dialects (`/blnk`, …) are thin
//! adapters over the same service. Authentication ([`crate::auth`]),
//! idempotency ([`crate::idempotency`]), body decoding ([`crate::extract`]),
//! the blocking-pool hop ([`crate::handlers::read`]) and the classification of
//! every failure into one [`ProblemType`] live once, here in `ledger-http`; a
//! dialect only says where its key is sent, which scope a route needs, and how
//! an error and a created transaction are rendered.

use std::marker::PhantomData;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use ledger_domain::Transaction;
use ledger_domain::access::Scope;

use crate::dto::TransactionResponse;
use crate::error::{ApiError, ProblemType};

pub trait Dialect: Send + Sync + 'static {
    /// The content type of error bodies.
    const ERROR_CONTENT_TYPE: &'static str;
    /// What a request without a key is told.
    const KEY_HINT: &'static str;
    /// Whether a body must be declared `application/json` (415 otherwise).
    const REQUIRE_JSON_CONTENT_TYPE: bool = true;

    /// The API key secret this request carries, if any.
    fn secret(headers: &actix_web::http::header::HeaderMap) -> Option<String>;
    /// The scope a request needs.
    fn required_scope(method: &Method, path: &str) -> Scope;
    /// Status and body of an error.
    fn render_error(e: &ApiError) -> (StatusCode, serde_json::Value);
    /// A transaction created through the idempotent path, as answered with 201.
    fn render_transaction(t: &Transaction) -> serde_json::Value;
    /// The status a new transaction is answered with.
    fn created_status() -> StatusCode {
        StatusCode::CREATED
    }
}

/// The native API under `/v1`.
pub struct Native;

impl Dialect for Native {
    const ERROR_CONTENT_TYPE: &'static str = "application/problem+json";
    const KEY_HINT: &'static str = "send `Authorization: Bearer <api key>`";

    fn secret(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
        headers
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    fn required_scope(method: &Method, path: &str) -> Scope {
        crate::auth::required_scope(method, path)
    }

    fn render_error(e: &ApiError) -> (StatusCode, serde_json::Value) {
        (e.status, serde_json::to_value(e.problem()).unwrap_or_default())
    }

    fn render_transaction(t: &Transaction) -> serde_json::Value {
        serde_json::to_value(TransactionResponse::from(t)).unwrap_or_default()
    }
}

/// An error rendered in dialect `D`'s shape.
pub struct DialectError<D>(pub ApiError, PhantomData<D>);

impl<D> DialectError<D> {
    pub fn new(e: ApiError) -> Self {
        Self(e, PhantomData)
    }

    pub fn kind(&self) -> ProblemType {
        self.0.kind
    }
}

impl<D> std::fmt::Debug for DialectError<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<D> std::fmt::Display for DialectError<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<D, E: Into<ApiError>> From<E> for DialectError<D> {
    fn from(e: E) -> Self {
        Self::new(e.into())
    }
}

impl<D: Dialect> ResponseError for DialectError<D> {
    fn status_code(&self) -> StatusCode {
        D::render_error(&self.0).0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, body) = D::render_error(&self.0);
        HttpResponse::build(status)
            .content_type(D::ERROR_CONTENT_TYPE)
            .json(body)
    }
}

/// A JSON body ([`crate::extract::ApiJson`]: size limit, `application/json`
/// only, field paths in errors) whose refusals are rendered in dialect `D`.
pub struct Json<D, T> {
    pub value: T,
    pub fingerprint: String,
    _dialect: PhantomData<D>,
}

impl<D: Dialect, T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Json<D, T> {
    type Error = DialectError<D>;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &actix_web::HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let inner = crate::extract::ApiJson::<T>::extract(req, payload, D::REQUIRE_JSON_CONTENT_TYPE);
        Box::pin(async move {
            let json = inner.await.map_err(DialectError::new)?;
            Ok(Self {
                value: json.value,
                fingerprint: json.fingerprint,
                _dialect: PhantomData,
            })
        })
    }
}

/// A dialect's OpenAPI document: the workspace version, the dialect's way of
/// sending the key as its one security scheme.
pub fn document(
    mut doc: utoipa::openapi::OpenApi,
    scheme_name: &str,
    scheme: utoipa::openapi::security::SecurityScheme,
) -> utoipa::openapi::OpenApi {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(scheme_name, scheme);
    doc
}

/// A document as committed under `openapi/` and served: pretty JSON, a final newline.
pub fn document_json(doc: &utoipa::openapi::OpenApi) -> String {
    let mut text = doc.to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// The handler that serves a dialect's committed document.
pub fn serve_document(text: fn() -> String) -> actix_web::Route {
    actix_web::web::get().to(move || async move { HttpResponse::Ok().content_type("application/json").body(text()) })
}
