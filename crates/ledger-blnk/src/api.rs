//! The Blnk routes: decode Blnk's request, call the service (through the
//! shared idempotency and blocking-pool machinery), render Blnk's answer.

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use ledger_domain::ports::PageRequest;
use ledger_domain::{
    Account, AccountKind, Currency, Direction, EntryDraft, IdentityKind, InitialStatus, LedgerError, Metadata,
    NewAccount, NewIdentity, NewLedger, NormalBalance, OverdraftLimit, Transaction, TransactionDraft,
    TransactionStatus,
};
use ledger_http::auth::{Caller, authenticate};
use ledger_http::dialect::{DialectError, Json};
use ledger_http::error::{ApiError, ProblemType};
use ledger_http::handlers::{read, rendered};
use ledger_http::idempotency::{Outcome, run_as};
use ledger_http::state::{AppState, Service};
use serde::Deserialize;
use serde_json::{Number, Value, json};
use utoipa::{OpenApi, ToSchema};

use crate::dialect::Blnk;
use crate::money;
use crate::render::{self, BOOK, GENERAL, IDENTITY_EXTRA_FIELDS, IDENTITY_FIELDS_KEY, INDICATOR_KEY, LEDGER_KEY};

type Answer = Result<HttpResponse, DialectError<Blnk>>;

// ------------------------------------------------------------------ shared

/// The tenant book, opened on first use.
fn book(svc: &Service) -> Result<(), ApiError> {
    svc.ensure_ledger(
        BOOK,
        NewLedger {
            name: "Blnk".into(),
            description: Some("The book of the Blnk dialect (/blnk): every Blnk ledger is a group in it".into()),
            ..NewLedger::default()
        },
    )?;
    Ok(())
}

/// Blnk's General Ledger, opened on first use.
fn general(svc: &Service) -> Result<(), ApiError> {
    book(svc)?;
    svc.create_group(BOOK, Some(GENERAL), "General Ledger", Metadata::new())?;
    Ok(())
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("{what} with ID '{id}' not found"))
}

/// The caller's `meta_data`, refusing this adapter's own keys.
fn meta(m: Option<Metadata>) -> Result<Metadata, ApiError> {
    let m = ledger_http::dto::check_metadata(&m)?;
    if let Some(k) = m
        .keys()
        .find(|k| [LEDGER_KEY, INDICATOR_KEY, IDENTITY_FIELDS_KEY].contains(&k.as_str()))
    {
        return Err(ApiError::validation("meta_data", format!("`{k}` is reserved")));
    }
    Ok(m)
}

fn currency(code: &str) -> Result<Currency, ApiError> {
    Currency::parse(code).map_err(|e| ApiError::validation("currency", e.to_string()))
}

/// A balance of the tenant book.
fn balance_in_book(svc: &Service, id: &str) -> Result<Account, ApiError> {
    let missing = || not_found("balance", id);
    let account_id = render::parse_balance_id(id).ok_or_else(missing)?;
    match svc.get_account(account_id) {
        Ok(a) if a.ledger_id == BOOK => Ok(a),
        Ok(_) | Err(LedgerError::NotFound { .. }) => Err(missing()),
        Err(e) => Err(e.into()),
    }
}

/// A transaction as Blnk shows it when read: a hold commits were split from
/// stays `INFLIGHT` (see [`render::transaction_as`]).
fn shown(svc: &Service, t: &Transaction) -> Result<Value, ApiError> {
    let split = t.status() == TransactionStatus::Archived
        && t.partial_of().is_none()
        && !svc
            .list_transactions(ledger_domain::ports::TransactionFilter {
                ledger_id: Some(BOOK),
                partial_of: Some(t.id()),
                page: PageRequest { limit: 1, after: None },
                ..Default::default()
            })?
            .is_empty();
    Ok(render::transaction_as(t, split))
}

/// A transaction of the tenant book.
fn transaction_in_book(svc: &Service, id: &str) -> Result<Transaction, ApiError> {
    let missing = || not_found("transaction", id);
    let tx = render::parse_transaction_id(id).ok_or_else(missing)?;
    match svc.get_transaction(tx) {
        Ok(t) if t.ledger_id() == BOOK => Ok(t),
        Ok(_) | Err(LedgerError::NotFound { .. }) => Err(missing()),
        Err(e) => Err(e.into()),
    }
}

/// The account code of an indicator balance: `@WorldUSD` in USD →
/// `indicator:WorldUSD:USD` (codes are unique per book, as Blnk's
/// (indicator, currency) pairs are).
fn indicator_code(indicator: &str, currency: Currency) -> Result<String, ApiError> {
    let name = indicator
        .strip_prefix('@')
        .filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
        .ok_or_else(|| {
            ApiError::validation(
                "indicator",
                "an indicator is `@` followed by letters, digits, `_`, `-` or `.`",
            )
        })?;
    Ok(format!("indicator:{name}:{}", currency.code()))
}

/// An indicator balance (money outside the platform, e.g. `@WorldUSD`):
/// created in the General Ledger on first use.
fn indicator_balance(
    svc: &Service,
    indicator: &str,
    currency: Currency,
    meta_data: Metadata,
) -> Result<Account, ApiError> {
    let code = indicator_code(indicator, currency)?;
    if let Some(found) = svc.find_account_by_code(BOOK, &code)? {
        return Ok(found);
    }
    general(svc)?;
    let mut metadata = meta_data;
    metadata.insert(INDICATOR_KEY.into(), json!(indicator));
    metadata.insert(LEDGER_KEY.into(), json!(GENERAL.0.to_string()));
    let created = svc.create_account(NewAccount {
        ledger_id: BOOK,
        name: indicator.to_owned(),
        code: Some(code.clone()),
        kind: AccountKind::Asset,
        normal_balance: Some(NormalBalance::Credit),
        currency,
        identity_id: None,
        overdraft_limit: Some(OverdraftLimit::Limited(BigDecimal::from(0))),
        metadata,
    });
    match created {
        Ok(a) => Ok(a),
        // a concurrent first use won: use its balance
        Err(LedgerError::CodeTaken(_)) => svc.find_account_by_code(BOOK, &code)?.ok_or_else(ApiError::internal),
        Err(e) => Err(e.into()),
    }
}

/// `source` / `destination`: a balance id, or an indicator.
fn party(svc: &Service, text: &str, currency: Currency) -> Result<Account, ApiError> {
    if text.starts_with('@') {
        indicator_balance(svc, text, currency, Metadata::new())
    } else {
        balance_in_book(svc, text)
    }
}

/// The Blnk routes, to mount under `/blnk`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/blnk")
            .service(web::resource("/openapi.json").route(ledger_http::dialect::serve_document(openapi_json)))
            .service(
                web::scope("")
                    .wrap(from_fn(authenticate::<Blnk, _>))
                    .service(
                        web::resource("/ledgers")
                            .route(web::post().to(create_ledger))
                            .route(web::get().to(list_ledgers)),
                    )
                    .service(web::resource("/ledgers/{id}").route(web::get().to(get_ledger)))
                    .service(web::resource("/identities").route(web::post().to(create_identity)))
                    .service(web::resource("/identities/{id}").route(web::get().to(get_identity)))
                    .service(web::resource("/balances").route(web::post().to(create_balance)))
                    .service(web::resource("/balances/{id}").route(web::get().to(get_balance)))
                    .service(
                        web::resource("/balances/indicator/{indicator}/currency/{currency}")
                            .route(web::get().to(get_balance_by_indicator)),
                    )
                    .service(web::resource("/transactions").route(web::post().to(create_transaction)))
                    .service(web::resource("/transactions/{id}").route(web::get().to(get_transaction)))
                    .service(
                        web::resource("/transactions/reference/{reference}")
                            .route(web::get().to(get_transaction_by_reference)),
                    )
                    .service(web::resource("/transactions/inflight/{id}").route(web::put().to(update_inflight)))
                    .service(web::resource("/refund-transaction/{id}").route(web::post().to(refund)))
                    .default_service(web::to(|| async {
                        Err::<HttpResponse, _>(DialectError::<Blnk>::new(ApiError::not_found("no such route")))
                    })),
            ),
    );
}

// ----------------------------------------------------------------- ledgers

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Customer Wallets Ledger", "meta_data": {"description": "Ledger for managing customer wallets"}}))]
pub struct CreateLedger {
    pub name: String,
    #[schema(value_type = Option<Object>)]
    pub meta_data: Option<Metadata>,
}

/// Creates a Blnk ledger: a group of balances inside the tenant book.
#[utoipa::path(post, path = "/blnk/ledgers", operation_id = "blnkCreateLedger", tag = "Blnk dialect",
    request_body = CreateLedger,
    responses((status = 201, description = "`{ledger_id, name, created_at, meta_data}`", body = Object),
        (status = 400, description = "`{error, error_detail: {code, message}}`", body = Object)),
    security(("blnk_key" = [])))]
async fn create_ledger(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Blnk, CreateLedger>,
) -> Answer {
    let CreateLedger { name, meta_data } = body.value;
    let metadata = meta(meta_data)?;
    Ok(
        run_as::<Blnk, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
            book(svc)?;
            let group = svc.create_group(BOOK, None, &name, metadata)?;
            rendered(StatusCode::CREATED, &render::ledger(&group))
        })
        .await?,
    )
}

/// Reads a Blnk ledger (`general_ledger_id` is Blnk's General Ledger).
#[utoipa::path(get, path = "/blnk/ledgers/{id}", operation_id = "blnkGetLedger", tag = "Blnk dialect",
    params(("id" = String, Path, description = "`ldg_…` or `general_ledger_id`")),
    responses((status = 200, description = "The ledger", body = Object), (status = 404, description = "LGR_NOT_FOUND", body = Object)),
    security(("blnk_key" = [])))]
async fn get_ledger(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let body = read(&state, move |svc| {
        let missing = || ApiError::not_found("ledger not found");
        let group_id = render::parse_ledger_id(&id).ok_or_else(missing)?;
        if group_id == GENERAL {
            general(svc)?;
        }
        match svc.get_group(group_id) {
            Ok(g) if g.ledger_id == BOOK => Ok(render::ledger(&g)),
            Ok(_) | Err(LedgerError::NotFound { .. }) => Err(missing()),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
struct LedgerListParams {
    limit: Option<String>,
    offset: Option<String>,
}

/// Lists Blnk ledgers, newest first: `limit` (1–100, default 10), `offset`.
#[utoipa::path(get, path = "/blnk/ledgers", operation_id = "blnkListLedgers", tag = "Blnk dialect",
    params(("limit" = Option<i64>, Query, description = "1 to 100, default 10"), ("offset" = Option<i64>, Query, description = "default 0")),
    responses((status = 200, description = "A JSON array of ledgers", body = Object)),
    security(("blnk_key" = [])))]
async fn list_ledgers(state: web::Data<AppState>, q: web::Query<LedgerListParams>) -> Answer {
    let limit = match q.limit.as_deref().map(str::parse::<usize>) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return Err(ApiError::validation("limit", "Invalid limit value").into()),
    };
    let offset = match q.offset.as_deref().map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Err(ApiError::validation("offset", "Invalid offset value").into()),
    };
    let body = read(&state, move |svc| {
        general(svc)?;
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = svc.list_groups(BOOK, PageRequest { limit: 100, after })?;
            let full = page.len() == 100;
            after = page.last().map(|g| g.id.0);
            all.extend(page);
            if !full {
                break;
            }
        }
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(Value::Array(
            all.iter().skip(offset).take(limit).map(render::ledger).collect(),
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

// -------------------------------------------------------------- identities

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"identity_type": "individual", "first_name": "Alice", "last_name": "Johnson", "email_address": "alice@example.com", "phone_number": "+1234567890"}))]
pub struct CreateIdentity {
    /// `individual` or `organization`.
    pub identity_type: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub organization_name: Option<String>,
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub meta_data: Option<Metadata>,
    // Blnk's other identity fields, kept and answered back
    pub category: Option<String>,
    pub other_names: Option<String>,
    pub gender: Option<String>,
    pub nationality: Option<String>,
    pub street: Option<String>,
    pub country: Option<String>,
    pub state: Option<String>,
    pub post_code: Option<String>,
    pub city: Option<String>,
    /// RFC 3339.
    pub dob: Option<String>,
}

impl CreateIdentity {
    /// The fields we have no column for, by name (see [`IDENTITY_EXTRA_FIELDS`]).
    fn extra_fields(&self) -> serde_json::Map<String, Value> {
        let fields = [
            &self.category,
            &self.other_names,
            &self.gender,
            &self.nationality,
            &self.street,
            &self.country,
            &self.state,
            &self.post_code,
            &self.city,
            &self.dob,
        ];
        IDENTITY_EXTRA_FIELDS
            .iter()
            .zip(fields)
            .filter_map(|(name, value)| value.as_ref().map(|v| ((*name).to_owned(), json!(v))))
            .collect()
    }
}

/// Creates an identity (in the tenant book).
#[utoipa::path(post, path = "/blnk/identities", operation_id = "blnkCreateIdentity", tag = "Blnk dialect",
    request_body = CreateIdentity,
    responses((status = 201, description = "The identity", body = Object), (status = 400, description = "IDT_VALIDATION_ERROR", body = Object)),
    security(("blnk_key" = [])))]
async fn create_identity(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Blnk, CreateIdentity>,
) -> Answer {
    let r = body.value;
    let kind = IdentityKind::parse(&r.identity_type)
        .ok_or_else(|| ApiError::validation("identity_type", "identity_type is individual or organization"))?;
    let extra = r.extra_fields();
    let mut metadata = meta(r.meta_data)?;
    if !extra.is_empty() {
        metadata.insert(IDENTITY_FIELDS_KEY.into(), Value::Object(extra));
    }
    let new = NewIdentity {
        ledger_id: BOOK,
        kind,
        first_name: r.first_name,
        last_name: r.last_name,
        organization_name: r.organization_name,
        email: r.email_address,
        phone: r.phone_number,
        metadata,
    };
    Ok(
        run_as::<Blnk, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
            book(svc)?;
            let identity = svc.create_identity(new)?;
            rendered(StatusCode::CREATED, &render::identity(&identity))
        })
        .await?,
    )
}

/// Reads an identity.
#[utoipa::path(get, path = "/blnk/identities/{id}", operation_id = "blnkGetIdentity", tag = "Blnk dialect",
    params(("id" = String, Path, description = "`idt_…`")),
    responses((status = 200, description = "The identity", body = Object), (status = 404, description = "IDT_NOT_FOUND", body = Object)),
    security(("blnk_key" = [])))]
async fn get_identity(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let body = read(&state, move |svc| {
        let missing = || not_found("identity", &id);
        let identity_id = render::parse_identity_id(&id).ok_or_else(missing)?;
        match svc.get_identity(identity_id) {
            Ok(i) if i.ledger_id == BOOK => Ok(render::identity(&i)),
            Ok(_) | Err(LedgerError::NotFound { .. }) => Err(missing()),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

// ---------------------------------------------------------------- balances

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"ledger_id": "ldg_0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b", "identity_id": "idt_0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01", "currency": "USD", "meta_data": {"wallet_type": "main"}}))]
pub struct CreateBalance {
    pub ledger_id: String,
    pub currency: String,
    pub identity_id: Option<String>,
    /// Only in `general_ledger_id`: an indicator balance such as `@WorldUSD`.
    pub indicator: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub meta_data: Option<Metadata>,
}

/// Creates a balance: a wallet (credit-normal, cannot go below zero unless a
/// transaction allows it) in a Blnk ledger.
#[utoipa::path(post, path = "/blnk/balances", operation_id = "blnkCreateBalance", tag = "Blnk dialect",
    request_body = CreateBalance,
    responses((status = 201, description = "The balance: amounts are integers in minor units", body = Object),
        (status = 404, description = "LGR_NOT_FOUND / IDT_NOT_FOUND", body = Object)),
    security(("blnk_key" = [])))]
async fn create_balance(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Blnk, CreateBalance>,
) -> Answer {
    let r = body.value;
    let ccy = currency(&r.currency)?;
    let mut metadata = meta(r.meta_data)?;
    let group = render::parse_ledger_id(&r.ledger_id).ok_or_else(|| ApiError::not_found("ledger not found"))?;
    let identity = r
        .identity_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| render::parse_identity_id(s).ok_or_else(|| not_found("identity", s)))
        .transpose()?;
    let indicator = r.indicator;
    Ok(
        run_as::<Blnk, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
            book(svc)?;
            if group == GENERAL {
                general(svc)?;
            }
            let g = svc
                .get_group(group)
                .map_err(|_| ApiError::not_found("ledger not found"))?;
            if g.ledger_id != BOOK {
                return Err(ApiError::not_found("ledger not found"));
            }
            let account = match indicator {
                Some(indicator) if group == GENERAL => {
                    let code = indicator_code(&indicator, ccy)?;
                    if svc.find_account_by_code(BOOK, &code)?.is_some() {
                        return Err(ApiError::new(
                            ProblemType::Conflict,
                            format!(
                                "Balance already exists for indicator '{indicator}' and '{}'",
                                ccy.code()
                            ),
                        ));
                    }
                    indicator_balance(svc, &indicator, ccy, metadata)?
                }
                Some(_) => {
                    return Err(ApiError::validation(
                        "indicator",
                        "indicator balances belong to general_ledger_id",
                    ));
                }
                None => {
                    metadata.insert(LEDGER_KEY.into(), json!(group.0.to_string()));
                    svc.create_account(NewAccount {
                        ledger_id: BOOK,
                        name: format!("{} balance", ccy.code()),
                        code: None,
                        kind: AccountKind::Liability,
                        normal_balance: Some(NormalBalance::Credit),
                        currency: ccy,
                        identity_id: identity,
                        overdraft_limit: Some(OverdraftLimit::Limited(BigDecimal::from(0))),
                        metadata,
                    })?
                }
            };
            rendered(StatusCode::CREATED, &render::balance(&account))
        })
        .await?,
    )
}

/// Reads a balance.
#[utoipa::path(get, path = "/blnk/balances/{id}", operation_id = "blnkGetBalance", tag = "Blnk dialect",
    params(("id" = String, Path, description = "`bln_…`")),
    responses((status = 200, description = "The balance", body = Object), (status = 404, description = "BAL_NOT_FOUND", body = Object)),
    security(("blnk_key" = [])))]
async fn get_balance(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let body = read(&state, move |svc| Ok(render::balance(&balance_in_book(svc, &id)?))).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Reads an indicator balance such as `@WorldUSD` (404 before its first use).
#[utoipa::path(get, path = "/blnk/balances/indicator/{indicator}/currency/{currency}", operation_id = "blnkGetBalanceByIndicator", tag = "Blnk dialect",
    params(("indicator" = String, Path, description = "e.g. `@WorldUSD`"), ("currency" = String, Path, description = "ISO 4217")),
    responses((status = 200, description = "The balance", body = Object), (status = 404, description = "BAL_NOT_FOUND", body = Object)),
    security(("blnk_key" = [])))]
async fn get_balance_by_indicator(state: web::Data<AppState>, path: web::Path<(String, String)>) -> Answer {
    let (indicator, code) = path.into_inner();
    let body = read(&state, move |svc| {
        let ccy = currency(&code)?;
        let account = svc
            .find_account_by_code(BOOK, &indicator_code(&indicator, ccy)?)?
            .ok_or_else(|| ApiError::not_found(format!("balance with indicator '{indicator}' not found")))?;
        Ok(render::balance(&account))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

// ------------------------------------------------------------ transactions

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"precise_amount": 100000, "precision": 100, "reference": "DEP-20250225-103000", "description": "Initial deposit", "currency": "USD", "source": "@WorldUSD", "destination": "bln_0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01", "allow_overdraft": true}))]
pub struct CreateTransaction {
    /// Major units, read exactly from the number's text (`100.5`, `1e2`).
    #[schema(value_type = Option<f64>)]
    pub amount: Option<Number>,
    /// An integer of `1/precision` units.
    #[schema(value_type = Option<i64>)]
    pub precise_amount: Option<Number>,
    /// A power of ten; default 1.
    #[schema(value_type = Option<i64>)]
    pub precision: Option<Number>,
    /// Unique among pending and posted transactions (409 when taken).
    pub reference: String,
    pub description: Option<String>,
    pub currency: String,
    /// Debited: `bln_…` or an indicator (`@WorldUSD`, created on first use).
    pub source: String,
    /// Credited: `bln_…` or an indicator.
    pub destination: String,
    /// The source may go below zero in this transaction only.
    #[serde(default)]
    pub allow_overdraft: bool,
    /// Hold the amount (`INFLIGHT`) until committed or voided.
    #[serde(default)]
    pub inflight: bool,
    pub effective_date: Option<DateTime<Utc>>,
    #[schema(value_type = Option<Object>)]
    pub meta_data: Option<Metadata>,
}

/// Records a transaction, synchronously: the answer is `APPLIED` or
/// `INFLIGHT` and means committed, never `QUEUED`.
#[utoipa::path(post, path = "/blnk/transactions", operation_id = "blnkCreateTransaction", tag = "Blnk dialect",
    request_body = CreateTransaction,
    responses((status = 201, description = "The transaction, `APPLIED` or `INFLIGHT`", body = Object),
        (status = 400, description = "TXN_INSUFFICIENT_FUNDS, validation", body = Object),
        (status = 409, description = "TXN_DUPLICATE_REFERENCE", body = Object)),
    security(("blnk_key" = [])))]
async fn create_transaction(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Blnk, CreateTransaction>,
) -> Answer {
    let r = body.value;
    if r.reference.trim().is_empty() {
        return Err(ApiError::validation("reference", "cannot be blank").into());
    }
    let ccy = currency(&r.currency)?;
    let amount = money::requested(r.amount.as_ref(), r.precise_amount.as_ref(), r.precision.as_ref(), ccy)?;
    let metadata = meta(r.meta_data)?;
    Ok(
        run_as::<Blnk, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
            book(svc)?;
            let source = party(svc, &r.source, ccy)?;
            let destination = party(svc, &r.destination, ccy)?;
            if source.id == destination.id {
                return Err(ApiError::validation(
                    "destination",
                    "source and destination cannot be the same balance",
                ));
            }
            let line = |account: &Account, direction| EntryDraft {
                account_id: account.id,
                direction,
                amount: amount.value().clone(),
                currency: Some(ccy),
            };
            let draft = TransactionDraft {
                ledger_id: Some(BOOK),
                status: if r.inflight {
                    InitialStatus::Pending
                } else {
                    InitialStatus::Posted
                },
                entries: vec![line(&source, Direction::Debit), line(&destination, Direction::Credit)],
                description: r.description,
                metadata,
                effective_at: r.effective_date.map(ledger_domain::ports::truncate_to_micros),
                external_id: Some(r.reference),
                conditions: Default::default(),
                overdraft_allowed: if r.allow_overdraft {
                    [source.id].into()
                } else {
                    Default::default()
                },
            };
            Ok(Outcome::Recorded(svc.create_transaction(BOOK, draft, mark)?))
        })
        .await?,
    )
}

/// Reads a transaction.
#[utoipa::path(get, path = "/blnk/transactions/{id}", operation_id = "blnkGetTransaction", tag = "Blnk dialect",
    params(("id" = String, Path, description = "`txn_…`")),
    responses((status = 200, description = "The transaction", body = Object), (status = 404, description = "TXN_NOT_FOUND", body = Object)),
    security(("blnk_key" = [])))]
async fn get_transaction(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    let body = read(&state, move |svc| shown(svc, &transaction_in_book(svc, &id)?)).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Reads a transaction by its reference.
#[utoipa::path(get, path = "/blnk/transactions/reference/{reference}", operation_id = "blnkGetTransactionByReference", tag = "Blnk dialect",
    params(("reference" = String, Path, description = "The transaction's reference")),
    responses((status = 200, description = "The transaction", body = Object), (status = 404, description = "TXN_NOT_FOUND", body = Object)),
    security(("blnk_key" = [])))]
async fn get_transaction_by_reference(state: web::Data<AppState>, reference: web::Path<String>) -> Answer {
    let reference = reference.into_inner();
    let body = read(&state, move |svc| {
        let t = svc
            .find_transaction_by_external_id(BOOK, &reference)?
            .ok_or_else(|| ApiError::not_found(format!("transaction with reference '{reference}' not found")))?;
        shown(svc, &t)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"status": "commit", "precise_amount": 5000}))]
pub struct InflightUpdate {
    /// `commit` or `void`.
    pub status: String,
    /// Commit this much (major units) of what is held; default: all of it.
    #[schema(value_type = Option<f64>)]
    pub amount: Option<Number>,
    /// Commit this many minor units; wins over `amount`.
    #[schema(value_type = Option<i64>)]
    pub precise_amount: Option<Number>,
}

/// Why a transaction holds nothing any more: never held, all committed, or voided.
fn nothing_held(svc: &Service, original: &Transaction, action: &str) -> ApiError {
    if original.status() == TransactionStatus::Posted && original.partial_of().is_none() {
        return ApiError::new(ProblemType::InvalidTransition, "transaction is not in inflight status");
    }
    let root = original.partial_of().unwrap_or(original.id());
    let held: BigDecimal = original
        .entries()
        .iter()
        .filter(|e| e.direction == Direction::Debit)
        .map(|e| e.amount.clone())
        .sum();
    let committed: BigDecimal = svc
        .list_transactions(ledger_domain::ports::TransactionFilter {
            ledger_id: Some(BOOK),
            partial_of: Some(root),
            status: Some(TransactionStatus::Posted),
            page: PageRequest {
                limit: 100,
                after: None,
            },
            ..Default::default()
        })
        .map(|parts| {
            parts
                .iter()
                .flat_map(|t| {
                    t.entries()
                        .iter()
                        .filter(|e| e.direction == Direction::Debit)
                        .map(|e| e.amount.clone())
                })
                .sum()
        })
        .unwrap_or_default();
    if original.partial_of().is_none() && committed == held {
        ApiError::new(
            ProblemType::InvalidTransition,
            format!("cannot {action}. Transaction already committed"),
        )
    } else {
        ApiError::new(ProblemType::InvalidTransition, "transaction has already been voided")
    }
}

/// Commits (all or part of what is still held) or voids an inflight
/// transaction. A commit answers the committed part, a new `APPLIED`
/// transaction whose `parent_transaction` is the inflight one; a void answers
/// the released remainder, `VOID`.
#[utoipa::path(put, path = "/blnk/transactions/inflight/{id}", operation_id = "blnkUpdateInflight", tag = "Blnk dialect",
    request_body = InflightUpdate,
    params(("id" = String, Path, description = "The inflight transaction's `txn_…`")),
    responses((status = 200, description = "The committed part (`APPLIED`) or the voided remainder (`VOID`)", body = Object),
        (status = 400, description = "TXN_COMMIT_AMOUNT_EXCEEDED, TXN_NOT_INFLIGHT, TXN_INVALID_STATUS_ACTION", body = Object),
        (status = 409, description = "TXN_ALREADY_COMMITTED, TXN_ALREADY_VOIDED", body = Object)),
    security(("blnk_key" = [])))]
async fn update_inflight(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<String>,
    body: Json<Blnk, InflightUpdate>,
) -> Answer {
    let id = id.into_inner();
    let r = body.value;
    let commit = match r.status.as_str() {
        "commit" => true,
        "void" => false,
        _ => {
            return Err(ApiError::new(
                ProblemType::InvalidTransition,
                "status not supported. use either commit or void",
            )
            .into());
        }
    };
    Ok(
        run_as::<Blnk, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
            let original = transaction_in_book(svc, &id)?;
            let action = if commit { "commit" } else { "void" };
            let hold = svc
                .current_hold(original.id())?
                .ok_or_else(|| nothing_held(svc, &original, action))?;
            if !commit {
                let voided = svc.archive_transaction(hold.id())?;
                return rendered(StatusCode::OK, &render::transaction(&voided));
            }
            let leg = |d: Direction| hold.entries().iter().find(|e| e.direction == d).cloned();
            let (Some(source), Some(destination)) = (leg(Direction::Debit), leg(Direction::Credit)) else {
                return Err(ApiError::internal());
            };
            let amount = match (&r.amount, &r.precise_amount) {
                (None, None) => source.amount.clone(),
                (_, Some(p)) => {
                    money::requested(None, Some(p), Some(&minor_precision(source.currency)), source.currency)?
                        .value()
                        .clone()
                }
                (Some(a), None) => money::requested(Some(a), None, None, source.currency)?.value().clone(),
            };
            if amount > source.amount {
                return Err(ApiError::validation(
                    "amount",
                    format!(
                        "cannot commit more than the remaining amount: more than the pending transaction holds ({} {})",
                        source.amount, source.currency
                    ),
                ));
            }
            let lines = vec![
                (source.account_id, Direction::Debit, amount.clone()),
                (destination.account_id, Direction::Credit, amount),
            ];
            // a commit is answered with 200, as Blnk does, also on replay
            let mark = mark.map(|m| ledger_domain::access::IdempotencyMark {
                answer_status: 200,
                ..m
            });
            let committed = svc.partial_post_transaction(hold.id(), lines, ledger_domain::Rest::Hold, mark)?;
            Ok(Outcome::RecordedWith(StatusCode::OK, committed))
        })
        .await?,
    )
}

/// `precision` of a currency's minor unit, as a JSON number (USD → 100).
fn minor_precision(currency: Currency) -> Number {
    match money::precision_of(currency) {
        Value::Number(n) => n,
        _ => Number::from(1),
    }
}

/// Refunds an applied transaction once: a new `APPLIED` transaction with
/// source and destination swapped (a reversal); a second refund is 409.
#[utoipa::path(post, path = "/blnk/refund-transaction/{id}", operation_id = "blnkRefundTransaction", tag = "Blnk dialect",
    params(("id" = String, Path, description = "The applied transaction's `txn_…`")),
    responses((status = 201, description = "The refund (`reference` = `<id>_refund`)", body = Object),
        (status = 404, description = "no transaction to refund", body = Object),
        (status = 409, description = "already refunded (GEN_CONFLICT)", body = Object)),
    security(("blnk_key" = [])))]
async fn refund(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id.into_inner();
    if !body.is_empty() {
        // `{}` or Blnk's options (`skip_queue`: every answer here is synchronous)
        let _options: serde_json::Map<String, Value> = ledger_http::extract::parse_json(&body)?;
    }
    let fingerprint = ledger_http::extract::fingerprint(&req, b"");
    Ok(run_as::<Blnk, _>(&state, &req, &caller, fingerprint, move |svc, mark| {
        let original = transaction_in_book(svc, &id)?;
        if original.status() != TransactionStatus::Posted {
            return Err(ApiError::not_found("no transaction to refund"));
        }
        let refund = svc.reverse_transaction(original.id(), mark)?;
        Ok(Outcome::Recorded(refund))
    })
    .await?)
}

// ---------------------------------------------------------------- document

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wallet Ledger — Blnk dialect",
        description = "Blnk's API over Wallet Ledger, under `/blnk`: point a Blnk SDK at `http://HOST:PORT/blnk` and send your key as `X-Blnk-Key`.\n\n\
            * Answers are synchronous: a 201 transaction is `APPLIED` or `INFLIGHT`, never `QUEUED`.\n\
            * Amounts in answers are integers in minor units (`balance = credit_balance − debit_balance`); `amount` is read exactly from the JSON number's text.\n\
            * Errors are `{\"error\": message, \"error_detail\": {\"code\", \"message\"}}` with Blnk's codes and statuses.\n\
            * Blnk ledgers are groups inside one book (see the crate documentation of `ledger-blnk`).",
        license(name = "MIT"),
    ),
    paths(create_ledger, list_ledgers, get_ledger, create_identity, get_identity, create_balance, get_balance,
        get_balance_by_indicator, create_transaction, get_transaction, get_transaction_by_reference, update_inflight, refund),
    components(schemas(CreateLedger, CreateIdentity, CreateBalance, CreateTransaction, InflightUpdate)),
    tags((name = "Blnk dialect", description = "Blnk's API (its SDKs and curl commands work with the base URL and key changed).")),
)]
struct BlnkDoc;

pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
    ledger_http::dialect::document(
        <BlnkDoc as utoipa::OpenApi>::openapi(),
        "blnk_key",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-Blnk-Key",
            "A Wallet Ledger API key (`wlk_…`)",
        ))),
    )
}

/// The document as committed in `openapi/blnk.json`.
pub fn openapi_json() -> String {
    ledger_http::dialect::document_json(&openapi())
}
