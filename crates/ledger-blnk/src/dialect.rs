//! What the Blnk dialect says its own way: where the key is sent, which scope
//! a route needs, Blnk's error body and codes, its transaction object.

use actix_web::http::{Method, StatusCode};
use ledger_domain::Transaction;
use ledger_domain::access::Scope;
use ledger_http::dialect::Dialect;
use ledger_http::error::{ApiError, ProblemType};

/// The Blnk dialect under `/blnk`.
pub struct Blnk;

/// Blnk's error code and status for a refusal. Blnk classifies by message;
/// so do the few Blnk-only refusals raised by this adapter (see
/// [`crate::api`]), all of them here.
fn code(e: &ApiError) -> (StatusCode, &'static str) {
    use ProblemType as P;
    let d = e.detail.as_str();
    let s = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    match e.kind {
        P::MalformedRequest => (s(400), "GEN_MALFORMED_REQUEST"),
        P::Unauthorized if d.contains("X-Blnk-Key") => (s(401), "AUTH_MISSING_API_KEY"),
        P::Unauthorized => (s(401), "AUTH_INVALID_API_KEY"),
        P::Forbidden => (s(403), "AUTH_FORBIDDEN"),
        P::NotFound if d.starts_with("transaction") || d.contains("no transaction to") => (s(404), "TXN_NOT_FOUND"),
        P::NotFound if d.starts_with("account") || d.starts_with("balance") => (s(404), "BAL_NOT_FOUND"),
        P::NotFound if d.starts_with("group") || d.starts_with("ledger") => (s(404), "LGR_NOT_FOUND"),
        P::NotFound if d.starts_with("identity") => (s(404), "IDT_NOT_FOUND"),
        P::NotFound => (s(404), "GEN_NOT_FOUND"),
        P::MethodNotAllowed => (s(405), "GEN_METHOD_NOT_ALLOWED"),
        P::ExternalIdTaken => (s(409), "TXN_DUPLICATE_REFERENCE"),
        P::InvalidTransition if d.contains("voided") => (s(409), "TXN_ALREADY_VOIDED"),
        P::InvalidTransition if d.contains("committed") => (s(409), "TXN_ALREADY_COMMITTED"),
        P::InvalidTransition if d.contains("not in inflight") => (s(400), "TXN_NOT_INFLIGHT"),
        P::InvalidTransition => (s(400), "TXN_INVALID_STATUS_ACTION"),
        P::AlreadyReversed | P::CodeTaken | P::Conflict | P::SystemAccountMismatch | P::IdempotencyKeyInFlight => {
            (s(409), "GEN_CONFLICT")
        }
        P::PayloadTooLarge => (s(413), "GEN_PAYLOAD_TOO_LARGE"),
        P::UnsupportedMediaType => (s(415), "GEN_UNSUPPORTED_MEDIA_TYPE"),
        P::InsufficientFunds => (s(400), "TXN_INSUFFICIENT_FUNDS"),
        P::Validation if d.contains("more than the pending transaction holds") => {
            (s(400), "TXN_COMMIT_AMOUNT_EXCEEDED")
        }
        P::Validation | P::UnbalancedTransaction | P::CurrencyMismatch | P::NotAWallet | P::ConditionFailed => {
            (s(400), "GEN_VALIDATION_ERROR")
        }
        P::IdempotencyKeyReused => (s(422), "GEN_IDEMPOTENCY_KEY_REUSED"),
        P::Internal => (s(500), "GEN_INTERNAL_ERROR"),
        P::Unavailable => (s(503), "GEN_SERVICE_UNAVAILABLE"),
        P::RateLimited => (s(429), "GEN_RATE_LIMITED"),
    }
}

/// Blnk's message for a refusal whose domain wording differs from Blnk's.
fn message(e: &ApiError) -> String {
    match e.kind {
        ProblemType::InsufficientFunds => "insufficient funds in source balance".to_owned(),
        ProblemType::AlreadyReversed => format!("transaction has already been refunded: {}", e.detail),
        ProblemType::ExternalIdTaken => {
            let reference = e.detail.split('`').nth(1).unwrap_or_default();
            format!("transaction validation failed: reference {reference} has already been used")
        }
        _ => e.detail.clone(),
    }
}

impl Dialect for Blnk {
    const ERROR_CONTENT_TYPE: &'static str = "application/json";
    const KEY_HINT: &'static str = "Authentication required. Use X-Blnk-Key header";
    /// Blnk reads a JSON body whatever its declared type (`curl -d` sends
    /// `application/x-www-form-urlencoded`).
    const REQUIRE_JSON_CONTENT_TYPE: bool = false;

    fn secret(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
        // header names are case-insensitive: `X-blnk-key` (the tutorial) and
        // `X-Blnk-Key` (the SDK) are one header
        headers
            .get("x-blnk-key")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    /// Reads need `read`, creating a Blnk ledger `admin` (as opening a ledger
    /// does natively), every other write `write`.
    fn required_scope(method: &Method, path: &str) -> Scope {
        ledger_http::auth::scope_for(method, path, "/blnk/ledgers")
    }

    fn render_error(e: &ApiError) -> (StatusCode, serde_json::Value) {
        let (status, code) = code(e);
        let message = message(e);
        (
            status,
            serde_json::json!({
                "error": message,
                "error_detail": {"code": code, "message": message},
            }),
        )
    }

    fn render_transaction(t: &Transaction) -> serde_json::Value {
        crate::render::transaction(t)
    }
}
