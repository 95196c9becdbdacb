//! Request handlers: decode, call one use case off the async executor, render.

pub mod accounts;
pub mod categories;
pub mod health;
pub mod identities;
pub mod keys;
pub mod ledgers;
pub mod operations;
pub mod transactions;

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Serialize;

use crate::error::ApiError;
use crate::idempotency::Outcome;
use crate::state::{AppState, Service};

/// Runs a read-only use case on the blocking pool.
pub async fn read<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
{
    let service = std::sync::Arc::clone(&state.service);
    web::block(move || f(&service)).await?
}

/// A rendered outcome with the given status.
pub fn rendered<T: Serialize>(status: StatusCode, body: &T) -> Result<Outcome, ApiError> {
    let value = serde_json::to_value(body).map_err(|e| {
        tracing::error!(error = %e, "response does not serialize");
        ApiError::internal()
    })?;
    Ok(Outcome::Rendered(status, value))
}
