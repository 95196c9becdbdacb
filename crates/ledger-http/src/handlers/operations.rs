//! The three wallet operations. Each produces one balanced transaction whose
//! metadata carries `transaction_type`.

use actix_web::{HttpRequest, HttpResponse, web};
use ledger_domain::service::{Deposit, Transfer, Withdrawal};

use crate::auth::Caller;
use crate::dialect::Native;
use crate::dto::{DepositRequest, TransactionResponse, TransferRequest, WithdrawalRequest};
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
use crate::idempotency::{self, Outcome};
use crate::state::AppState;

/// Deposit: money from outside into a wallet. Debits cash (`cash:<CCY>`, created
/// on first use, or `cash_account_id`), credits the wallet.
#[utoipa::path(post, path = "/v1/deposits", operation_id = "createDeposit", tag = "Wallet operations", request_body = DepositRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "The deposit transaction", body = TransactionResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ledger or account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "external_id already used", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid amount, currency mismatch or reused idempotency key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn deposit(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: ApiJson<DepositRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut op: Deposit = body.value.try_into()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
        op.options.idempotency = mark;
        Ok(Outcome::Recorded(svc.deposit(op)?))
    })
    .await
}

/// In-app transfer: debits the sender's wallet, credits the receiver's. No
/// money leaves the platform; sender ≠ receiver; same currency.
#[utoipa::path(post, path = "/v1/transfers", operation_id = "createTransfer", tag = "Wallet operations", request_body = TransferRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "The transfer transaction", body = TransactionResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ledger or account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "external_id already used", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Insufficient funds, currency mismatch, same wallet or invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn transfer(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: ApiJson<TransferRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut op: Transfer = body.value.try_into()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
        op.options.idempotency = mark;
        Ok(Outcome::Recorded(svc.transfer(op)?))
    })
    .await
}

/// Withdrawal: debits the wallet by the full amount; credits cash by amount −
/// fee and `revenue:withdrawal_fees:<CCY>` by the fee (ledger's rate, default
/// 2%, rounded half-up to the currency's decimals; no revenue entry for a zero
/// fee).
#[utoipa::path(post, path = "/v1/withdrawals", operation_id = "createWithdrawal", tag = "Wallet operations", request_body = WithdrawalRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, description = "The withdrawal transaction", body = TransactionResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Key lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ledger or account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "external_id already used", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Insufficient funds, currency mismatch or invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn withdraw(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: ApiJson<WithdrawalRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut op: Withdrawal = body.value.try_into()?;
    idempotency::run_as::<Native, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
        op.options.idempotency = mark;
        Ok(Outcome::Recorded(svc.withdraw(op)?))
    })
    .await
}
