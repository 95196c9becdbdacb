//! `Idempotency-Key` for every creating POST.
//!
//! * same key, same request (method, path, body) → the first response again,
//!   status and body, and nothing is created;
//! * same key, another request → 422 `idempotency_key_reused`;
//! * concurrent repeats: one runs, the others wait for its response.
//!
//! A claim is a lease (`ledger_domain::access::CLAIM_LEASE`): if the server dies
//! between the claim and the write, a retry with the same key waits for the
//! lease to end, takes the claim over and executes the request once; the dead
//! claimant's write, should it still arrive, is fenced off by the claim token.
//!
//! Keys are scoped per API key. For postings the response is stored by the
//! store in the posting's own database transaction (a 201 is never without
//! its record); other responses are stored right after. Client errors (4xx)
//! are stored like successes; a server-side failure releases the key so the
//! request can be retried.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use ledger_domain::Transaction;
use ledger_domain::access::{Claim, IdempotencyMark, StoredBody, StoredResponse};
use uuid::Uuid;

use crate::auth::Caller;
use crate::dialect::Dialect;
use crate::error::{ApiError, ProblemType};
use crate::state::{AppState, Service};

pub const HEADER: &str = "Idempotency-Key";
/// How long a repeat waits for the first request: past the claim's lease, so a
/// retry after a crash takes the dead claim over instead of failing.
const WAIT_FOR_IN_FLIGHT: Duration = Duration::from_secs(16);

/// What a creating handler produced.
pub enum Outcome {
    /// A posting stored through a journal write that carried the mark,
    /// answered with the mark's `answer_status` (the dialect's created status
    /// unless the operation changed it).
    Recorded(Transaction),
    /// The same, answered with this status (which the operation also set as
    /// the mark's `answer_status`, so a replay answers the same).
    RecordedWith(StatusCode, Transaction),
    /// Any other response, rendered.
    Rendered(StatusCode, serde_json::Value),
}

fn respond<D: Dialect>(status: StatusCode, body: &serde_json::Value, replayed: bool) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    if status.is_client_error() || status.is_server_error() {
        builder.content_type(D::ERROR_CONTENT_TYPE);
    }
    if replayed {
        builder.insert_header(("Idempotent-Replayed", "true"));
    }
    builder.json(body)
}

/// The first answer to an operation's outcome.
fn answer<D: Dialect>(outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::Recorded(t) => respond::<D>(D::created_status(), &D::render_transaction(&t), false),
        Outcome::RecordedWith(status, t) => respond::<D>(status, &D::render_transaction(&t), false),
        Outcome::Rendered(status, body) => respond::<D>(status, &body, false),
    }
}

fn replay<D: Dialect>(stored: StoredResponse) -> Result<HttpResponse, ApiError> {
    let status = StatusCode::from_u16(stored.status).map_err(|_| ApiError::internal())?;
    let body = match stored.body {
        StoredBody::Rendered(v) => v,
        StoredBody::Transaction(v) => {
            let t: Transaction = serde_json::from_value(v).map_err(|e| {
                tracing::error!(error = %e, "stored idempotent transaction does not decode");
                ApiError::internal()
            })?;
            D::render_transaction(&t)
        }
    };
    Ok(respond::<D>(status, &body, true))
}

fn key_from(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    // the documented pattern: 1 to 255 visible ASCII characters, inner spaces allowed
    let bytes = value.as_bytes();
    let visible = |b: &u8| (b'!'..=b'~').contains(b);
    let ok = (1..=255).contains(&bytes.len())
        && bytes.first().is_some_and(visible)
        && bytes.last().is_some_and(visible)
        && bytes.iter().all(|b| *b == b' ' || visible(b));
    if !ok {
        return Err(ApiError::validation(
            HEADER,
            "1 to 255 visible ASCII characters (inner spaces allowed)",
        ));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// Runs a creating operation of dialect `D` under the request's idempotency
/// key, if any. Client errors are stored and answered in `D`'s shape; the
/// errors returned are the ones not stored (server-side, key in flight or
/// reused), for the dialect to render.
pub async fn run_as<D: Dialect, F>(
    state: &AppState,
    req: &HttpRequest,
    caller: &Caller,
    fingerprint: String,
    op: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&Service, Option<IdempotencyMark>) -> Result<Outcome, ApiError> + Send + 'static,
{
    let service: Arc<Service> = Arc::clone(&state.service);
    let Some(key) = key_from(req)? else {
        return match web::block(move || op(&service, None)).await? {
            Ok(outcome) => Ok(answer::<D>(outcome)),
            Err(e) if e.is_client_error() => {
                let (status, body) = D::render_error(&e);
                Ok(respond::<D>(status, &body, false))
            }
            Err(e) => Err(e),
        };
    };
    let started = Instant::now();
    let mut op = Some(op);
    loop {
        // a new token per claim: a claim this request loses is not its own any more
        let mark = IdempotencyMark {
            api_key_id: caller.0.id,
            key: key.clone(),
            token: Uuid::now_v7(),
            answer_status: D::created_status().as_u16(),
        };
        let (store, m, fp) = (state.store.clone(), mark.clone(), fingerprint.clone());
        let now = ledger_domain::ports::truncate_to_micros(chrono::Utc::now());
        match web::block(move || store.claim(&m, &fp, now)).await?? {
            Claim::Fresh => {
                let Some(op) = op.take() else {
                    return Err(in_flight());
                };
                match execute::<D, F>(state, Arc::clone(&service), mark, op).await {
                    // a retry took the claim over while this request ran: nothing
                    // was stored under it; answer what the winner answers
                    Err(e) if e.kind == IN_FLIGHT => continue,
                    other => return other,
                }
            }
            Claim::Completed(stored) => return replay::<D>(stored),
            Claim::Mismatch => {
                return Err(ApiError::new(
                    ProblemType::IdempotencyKeyReused,
                    "this Idempotency-Key was used with a different request",
                ));
            }
            // wait for the running request, or for its lease to end (its
            // claimant died) and take the claim over
            Claim::InFlight { .. } if started.elapsed() < WAIT_FOR_IN_FLIGHT => {
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
            Claim::InFlight { .. } => return Err(in_flight()),
        }
    }
}

/// The problem type of a key whose request is still running.
const IN_FLIGHT: ProblemType = ProblemType::IdempotencyKeyInFlight;

fn in_flight() -> ApiError {
    ApiError::new(
        IN_FLIGHT,
        "a request with this Idempotency-Key is still in progress; retry it later",
    )
}

/// Runs `op` under a fresh claim and stores its answer.
async fn execute<D: Dialect, F>(
    state: &AppState,
    service: Arc<Service>,
    mark: IdempotencyMark,
    op: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&Service, Option<IdempotencyMark>) -> Result<Outcome, ApiError> + Send + 'static,
{
    let (store, m) = (state.store.clone(), mark.clone());
    let result = web::block(move || op(&service, Some(m))).await?;
    match result {
        Ok(Outcome::Rendered(status, body)) => {
            let stored = StoredResponse {
                status: status.as_u16(),
                body: StoredBody::Rendered(body.clone()),
            };
            web::block(move || store.complete(&mark, &stored)).await??;
            Ok(respond::<D>(status, &body, false))
        }
        // stored with the posting itself
        Ok(recorded) => Ok(answer::<D>(recorded)),
        Err(e) if e.is_client_error() && e.kind != IN_FLIGHT => {
            let (status, body) = D::render_error(&e);
            let stored = StoredResponse {
                status: status.as_u16(),
                body: StoredBody::Rendered(body.clone()),
            };
            web::block(move || store.complete(&mark, &stored)).await??;
            // answered from the stored form, so a replay is byte-identical
            Ok(respond::<D>(status, &body, false))
        }
        Err(e) => {
            web::block(move || store.release(&mark)).await??;
            Err(e)
        }
    }
}
