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

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({
    "type": "insufficient_funds",
    "title": "Insufficient funds",
    "status": 422,
    "detail": "account 0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b has insufficient funds"
}))]
pub struct Problem {
    /// Stable problem type: `insufficient_funds`, `unbalanced_transaction`,
    /// `currency_mismatch`, `not_found`, `conflict`, `idempotency_key_reused`,
    /// `validation`, `malformed_request`, `unauthorized`, `forbidden`,
    /// `payload_too_large`, `method_not_allowed`, `unavailable`, `internal`.
    #[serde(rename = "type")]
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
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.kind, self.detail)
    }
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        let (field, message) = (field.into(), message.into());
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "validation",
            title: "Invalid request",
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field, message }],
        }
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "Malformed request",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
            format!("request bodies are limited to {limit} bytes"),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            "this resource does not support that method",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed; the error was logged",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: self.kind.to_owned(),
            title: self.title.to_owned(),
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

/// The one table from domain errors to problem types and statuses.
impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        use StatusCode as S;
        match e {
            LedgerError::Validation { field, message } => Self::validation(field, message),
            LedgerError::NotFound { .. } => Self::not_found(e.to_string()),
            LedgerError::InsufficientFunds { .. } => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "insufficient_funds",
                "Insufficient funds",
                e.to_string(),
            ),
            LedgerError::Unbalanced { .. } => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "unbalanced_transaction",
                "Unbalanced transaction",
                e.to_string(),
            ),
            LedgerError::CurrencyMismatch { .. } => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "currency_mismatch",
                "Currency mismatch",
                e.to_string(),
            ),
            LedgerError::CrossLedger => Self::validation("entries", e.to_string()),
            LedgerError::NotAWallet { field, .. } => {
                let mut err = Self::new(S::UNPROCESSABLE_ENTITY, "not_a_wallet", "Not a wallet", e.to_string());
                err.errors = vec![FieldError {
                    field: field.to_owned(),
                    message: "must be a wallet: a credit-normal liability account".to_owned(),
                }];
                err
            }
            LedgerError::ExternalIdTaken(_) => {
                Self::new(S::CONFLICT, "external_id_taken", "External id taken", e.to_string())
            }
            LedgerError::CodeTaken(_) => Self::new(S::CONFLICT, "code_taken", "Account code taken", e.to_string()),
            LedgerError::AlreadyReversed { .. } => {
                Self::new(S::CONFLICT, "already_reversed", "Already reversed", e.to_string())
            }
            LedgerError::InvalidTransition { .. } | LedgerError::NotReversible { .. } => Self::new(
                S::CONFLICT,
                "invalid_transition",
                "Invalid status transition",
                e.to_string(),
            ),
            LedgerError::SystemAccountMismatch { .. } => Self::new(
                S::CONFLICT,
                "system_account_mismatch",
                "System account mismatch",
                e.to_string(),
            ),
            LedgerError::IdempotencyClaimLost => Self::new(
                S::CONFLICT,
                "idempotency_key_in_flight",
                "Idempotency key in flight",
                e.to_string(),
            ),
            LedgerError::Conflict(_) => Self::new(S::CONFLICT, "conflict", "Conflict", e.to_string()),
            LedgerError::Unavailable(_) => {
                tracing::warn!(error = %e, "storage unavailable");
                Self::new(
                    S::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "the database is unavailable; retry later",
                )
            }
            LedgerError::Unknown(cause) => {
                tracing::error!(error = ?cause, "internal error");
                Self::internal()
            }
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        tracing::error!(error = %e, "blocking task failed");
        Self::internal()
    }
}
