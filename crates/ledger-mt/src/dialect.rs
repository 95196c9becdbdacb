//! What the MT dialect says its own way: Basic authentication, MT's error body.

use actix_web::http::{Method, StatusCode};
use base64::Engine;
use ledger_domain::Transaction;
use ledger_domain::access::Scope;
use ledger_http::dialect::Dialect;
use ledger_http::error::{ApiError, ProblemType};

/// The Modern Treasury dialect under `/mt`.
pub struct Mt;

impl Dialect for Mt {
    const ERROR_CONTENT_TYPE: &'static str = "application/json";
    const KEY_HINT: &'static str =
        "send HTTP Basic authentication: your organization id as the user, a Wallet Ledger API key as the password";

    /// `Authorization: Basic base64(organization_id:api_key)`: the password
    /// is the key (the organization id is not checked: keys are global).
    fn secret(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
        let value = headers.get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
        let encoded = value.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_, key) = text.split_once(':')?;
        Some(key.trim().to_owned()).filter(|k| !k.is_empty())
    }

    fn required_scope(method: &Method, path: &str) -> Scope {
        ledger_http::auth::scope_for(method, path, "/mt/api/ledgers")
    }

    /// `{"errors": {"code", "message", "parameter"}}`. Business refusals are
    /// 422 as MT documents them (the SDK retries a 409, so only a request still
    /// in flight is one).
    fn render_error(e: &ApiError) -> (StatusCode, serde_json::Value) {
        use ProblemType as P;
        let (status, code) = match e.kind {
            P::MalformedRequest => (400, "parameter_invalid"),
            P::Unauthorized => (401, "unauthorized"),
            P::Forbidden => (403, "forbidden"),
            P::NotFound => (404, "resource_not_found"),
            P::MethodNotAllowed => (405, "method_not_allowed"),
            P::IdempotencyKeyInFlight => (409, "conflict"),
            P::PayloadTooLarge => (413, "payload_too_large"),
            P::UnsupportedMediaType => (415, "unsupported_media_type"),
            P::Validation => (422, "parameter_invalid"),
            P::ConditionFailed => (422, "balance_lock_failure"),
            P::InsufficientFunds => (422, "insufficient_funds"),
            P::UnbalancedTransaction => (422, "transaction_unbalanced"),
            P::ExternalIdTaken | P::CodeTaken | P::Conflict | P::SystemAccountMismatch => (422, "duplicate"),
            P::AlreadyReversed | P::InvalidTransition => (422, "invalid_state"),
            P::CurrencyMismatch | P::NotAWallet => (422, "parameter_invalid"),
            P::IdempotencyKeyReused => (422, "idempotency_key_reused"),
            P::RateLimited => (429, "rate_limit_exceeded"),
            P::Internal => (500, "internal_server_error"),
            P::Unavailable => (503, "service_unavailable"),
        };
        let parameter = e.errors.first().map(|f| f.field.clone());
        (
            StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            serde_json::json!({"errors": {"code": code, "message": e.detail, "parameter": parameter}}),
        )
    }

    fn render_transaction(t: &Transaction) -> serde_json::Value {
        crate::render::transaction(t)
    }

    /// MT answers a create with 200.
    fn created_status() -> StatusCode {
        StatusCode::OK
    }
}
