//! Every error the API returns is an RFC 9457 `application/problem+json`
//! document. The domain → HTTP mapping is the one table in [`ApiError::from`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use ledger_domain::LedgerError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One invalid field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// Path of the field, e.g. `entries[1].amount`.
    #[schema(example = "amount")]
    pub field: String,
    #[schema(example = "amount must be greater than zero")]
    pub message: String,
}

/// Every problem type the API answers: its status, title and an example of
/// its detail. The one table clients branch on; the OpenAPI document's error
/// examples and the `type` enum are generated from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    MalformedRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    ExternalIdTaken,
    CodeTaken,
    AlreadyReversed,
    InvalidTransition,
    SystemAccountMismatch,
    IdempotencyKeyInFlight,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    InsufficientFunds,
    UnbalancedTransaction,
    CurrencyMismatch,
    NotAWallet,
    ConditionFailed,
    IdempotencyKeyReused,
    RateLimited,
    Internal,
    Unavailable,
}

impl ProblemType {
    pub const ALL: [ProblemType; 24] = [
        Self::MalformedRequest,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::ExternalIdTaken,
        Self::CodeTaken,
        Self::AlreadyReversed,
        Self::InvalidTransition,
        Self::SystemAccountMismatch,
        Self::IdempotencyKeyInFlight,
        Self::Conflict,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::Validation,
        Self::InsufficientFunds,
        Self::UnbalancedTransaction,
        Self::CurrencyMismatch,
        Self::NotAWallet,
        Self::ConditionFailed,
        Self::IdempotencyKeyReused,
        Self::RateLimited,
        Self::Internal,
        Self::Unavailable,
    ];

    /// `(type, status, title, example detail)`.
    const fn describe(self) -> (&'static str, u16, &'static str, &'static str) {
        match self {
            Self::MalformedRequest => (
                "malformed_request",
                400,
                "Malformed request",
                "the body is not valid JSON: EOF while parsing an object at line 1 column 1",
            ),
            Self::Unauthorized => (
                "unauthorized",
                401,
                "Unauthorized",
                "send `Authorization: Bearer <api key>`",
            ),
            Self::Forbidden => (
                "forbidden",
                403,
                "Forbidden",
                "this API key has the `read` scope; `write` is needed",
            ),
            Self::NotFound => (
                "not_found",
                404,
                "Not found",
                "account 0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01 not found",
            ),
            Self::MethodNotAllowed => (
                "method_not_allowed",
                405,
                "Method not allowed",
                "this resource does not support that method",
            ),
            Self::ExternalIdTaken => (
                "external_id_taken",
                409,
                "External id taken",
                "a transaction with external_id `ach-42` already exists in this ledger",
            ),
            Self::CodeTaken => (
                "code_taken",
                409,
                "Account code taken",
                "an account with code `bank:operating` already exists in this ledger",
            ),
            Self::AlreadyReversed => (
                "already_reversed",
                409,
                "Already reversed",
                "transaction 0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6c was already reversed",
            ),
            Self::InvalidTransition => (
                "invalid_transition",
                409,
                "Invalid status transition",
                "a Posted transaction cannot become Archived",
            ),
            Self::SystemAccountMismatch => (
                "system_account_mismatch",
                409,
                "System account mismatch",
                "account `cash:USD` exists but is not the asset USD system account",
            ),
            Self::IdempotencyKeyInFlight => (
                "idempotency_key_in_flight",
                409,
                "Idempotency key in flight",
                "a request with this Idempotency-Key is still in progress; retry it later",
            ),
            Self::Conflict => ("conflict", 409, "Conflict", "the resource already exists"),
            Self::PayloadTooLarge => (
                "payload_too_large",
                413,
                "Payload too large",
                "request bodies are limited to 65536 bytes",
            ),
            Self::UnsupportedMediaType => (
                "unsupported_media_type",
                415,
                "Unsupported media type",
                "send the body as `Content-Type: application/json`",
            ),
            Self::Validation => (
                "validation",
                422,
                "Invalid request",
                "amount: USD allows at most 2 fractional digits",
            ),
            Self::InsufficientFunds => (
                "insufficient_funds",
                422,
                "Insufficient funds",
                "account 0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01 has insufficient funds",
            ),
            Self::UnbalancedTransaction => (
                "unbalanced_transaction",
                422,
                "Unbalanced transaction",
                "transaction is unbalanced in USD: debits − credits = 1.00",
            ),
            Self::CurrencyMismatch => (
                "currency_mismatch",
                422,
                "Currency mismatch",
                "currency mismatch: expected USD, found EUR",
            ),
            Self::NotAWallet => (
                "not_a_wallet",
                422,
                "Not a wallet",
                "account 0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a03 is not a wallet (a credit-normal liability account)",
            ),
            Self::ConditionFailed => (
                "condition_failed",
                422,
                "Condition failed",
                "condition on account 0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01 failed: lock_version is 7, not 6",
            ),
            Self::IdempotencyKeyReused => (
                "idempotency_key_reused",
                422,
                "Idempotency key reused",
                "this Idempotency-Key was used with a different request",
            ),
            Self::RateLimited => (
                "rate_limited",
                429,
                "Too many requests",
                "this API key may send 100 requests a second (bursts of 200); retry after the `Retry-After` seconds",
            ),
            Self::Internal => (
                "internal",
                500,
                "Internal error",
                "the server failed; the error was logged",
            ),
            Self::Unavailable => (
                "unavailable",
                503,
                "Service unavailable",
                "the database is unavailable; retry later",
            ),
        }
    }

    pub const fn as_str(self) -> &'static str {
        self.describe().0
    }

    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.describe().1).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub const fn title(self) -> &'static str {
        self.describe().2
    }

    /// An example problem document of this type.
    pub fn example(self) -> Problem {
        let (kind, status, title, detail) = self.describe();
        let errors = match self {
            Self::Validation => vec![FieldError {
                field: "amount".to_owned(),
                message: "USD allows at most 2 fractional digits".to_owned(),
            }],
            Self::NotAWallet => vec![FieldError {
                field: "wallet_id".to_owned(),
                message: "must be a wallet: a credit-normal liability account".to_owned(),
            }],
            _ => Vec::new(),
        };
        Problem {
            kind: kind.to_owned(),
            title: title.to_owned(),
            status,
            detail: detail.to_owned(),
            errors,
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Problem {
    /// Stable problem type; branch on it (see the list in the API description).
    #[serde(rename = "type")]
    #[schema(example = "insufficient_funds")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Present for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ProblemType,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.kind.as_str(), self.detail)
    }
}

impl ApiError {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self {
            status: kind.status(),
            kind,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        let (field, message) = (field.into(), message.into());
        Self {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field, message }],
            ..Self::new(ProblemType::Validation, "")
        }
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::MalformedRequest, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::NotFound, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::Unauthorized, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::Forbidden, detail)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            ProblemType::PayloadTooLarge,
            format!("request bodies are limited to {limit} bytes"),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            ProblemType::UnsupportedMediaType,
            "send the body as `Content-Type: application/json`",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            ProblemType::MethodNotAllowed,
            "this resource does not support that method",
        )
    }

    pub fn internal() -> Self {
        Self::new(ProblemType::Internal, "the server failed; the error was logged")
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: self.kind.as_str().to_owned(),
            title: self.kind.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }

    pub fn is_client_error(&self) -> bool {
        self.status.is_client_error()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .content_type("application/problem+json")
            .json(self.problem())
    }
}

/// The one table from domain errors to problem types.
impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        use ProblemType as P;
        let kind = match &e {
            LedgerError::Validation { field, message } => return Self::validation(field.clone(), message.clone()),
            LedgerError::CrossLedger => return Self::validation("entries", e.to_string()),
            LedgerError::NotAWallet { field, .. } => {
                return Self {
                    errors: vec![FieldError {
                        field: (*field).to_owned(),
                        message: "must be a wallet: a credit-normal liability account".to_owned(),
                    }],
                    ..Self::new(P::NotAWallet, e.to_string())
                };
            }
            LedgerError::NotFound { .. } => P::NotFound,
            LedgerError::InsufficientFunds { .. } => P::InsufficientFunds,
            LedgerError::Unbalanced { .. } => P::UnbalancedTransaction,
            LedgerError::CurrencyMismatch { .. } => P::CurrencyMismatch,
            LedgerError::ExternalIdTaken(_) => P::ExternalIdTaken,
            LedgerError::CodeTaken(_) => P::CodeTaken,
            LedgerError::AlreadyReversed { .. } => P::AlreadyReversed,
            LedgerError::InvalidTransition { .. } | LedgerError::NotReversible { .. } => P::InvalidTransition,
            LedgerError::SystemAccountMismatch { .. } => P::SystemAccountMismatch,
            LedgerError::IdempotencyClaimLost => P::IdempotencyKeyInFlight,
            LedgerError::ConditionFailed { .. } => P::ConditionFailed,
            LedgerError::Conflict(_) => P::Conflict,
            LedgerError::Unavailable(_) => {
                // the outage itself is logged once by the store adapter; each
                // 503 is counted by the request metrics
                tracing::debug!(error = %e, "storage unavailable");
                return Self::new(P::Unavailable, "the database is unavailable; retry later");
            }
            LedgerError::Unknown(cause) => {
                tracing::error!(error = ?cause, "internal error");
                return Self::internal();
            }
        };
        Self::new(kind, e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        tracing::error!(error = %e, "blocking task failed");
        Self::internal()
    }
}
