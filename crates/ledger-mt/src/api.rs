//! The MT routes: decode MT's request, call the service (through the shared
//! idempotency and blocking-pool machinery), render MT's answer.

use std::collections::BTreeMap;
use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use ledger_domain::ports::{AccountFilter, AccountStore, PageRequest, TransactionFilter};
use ledger_domain::posting::{AccountCondition, BalanceBound, BalanceKind, BoundOp};
use ledger_domain::{
    Account, AccountId, AccountKind, CategoryId, CategoryMember, Currency, Direction, EntryDraft, InitialStatus,
    LedgerError, LedgerId, Metadata, NewAccount, NewCategory, NewLedger, NormalBalance, OverdraftLimit, Rest,
    Transaction, TransactionDraft, TransactionId, TransactionStatus,
};
use ledger_http::auth::{Caller, authenticate};
use ledger_http::dialect::{DialectError, Json};
use ledger_http::error::ApiError;
use ledger_http::handlers::{read, rendered};
use ledger_http::idempotency::{Outcome, run_as};
use ledger_http::state::{AppState, Service};
use serde::Deserialize;
use serde_json::{Number, Value, json};
use uuid::Uuid;

use crate::dialect::Mt;
use crate::render::{self, DESCRIPTION_KEY, EXTERNAL_ID_KEY};

type Answer = Result<HttpResponse, DialectError<Mt>>;

// ------------------------------------------------------------------ shared

/// A query string as the SDK writes it: `k=v`, `k[]=v`, `k[sub]=v`.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(req: &HttpRequest) -> Result<Self, ApiError> {
        serde_urlencoded::from_str(req.query_string())
            .map(Self)
            .map_err(|e| ApiError::malformed(format!("query string: {e}")))
    }

    fn one(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// `key=v` and every `key[]=v`.
    fn many(&self, key: &str) -> Vec<&str> {
        let list = format!("{key}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == key || *k == list)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every `key[sub]=v` as `(sub, v)`.
    fn map(&self, key: &str) -> Vec<(String, String)> {
        let prefix = format!("{key}[");
        self.0
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(&prefix)
                    .and_then(|s| s.strip_suffix(']'))
                    .map(|s| (s.to_owned(), v.clone()))
            })
            .collect()
    }

    fn per_page(&self) -> Result<usize, ApiError> {
        match self.one("per_page").map(str::parse::<usize>) {
            None => Ok(25),
            Some(Ok(n)) if (1..=100).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::validation("per_page", "1 to 100")),
        }
    }

    fn after(&self) -> Result<Option<String>, ApiError> {
        self.one("after_cursor")
            .filter(|c| !c.is_empty())
            .map(ledger_http::extract::decode_cursor)
            .transpose()
    }

    fn uuid(&self, key: &str) -> Result<Option<Uuid>, ApiError> {
        self.one(key)
            .map(|v| Uuid::parse_str(v).map_err(|_| ApiError::validation(key, "not an id")))
            .transpose()
    }
}

/// Keeps `per_page` of the matches and the position of the last one kept, but
/// only when a further match exists (the SDK asks for a next page whenever
/// `X-After-Cursor` is present).
fn cut<T>(mut found: Vec<(T, String)>, per_page: usize) -> (Vec<T>, Option<String>) {
    let more = found.len() > per_page;
    found.truncate(per_page);
    let next = if more {
        found.last().map(|(_, p)| p.clone())
    } else {
        None
    };
    (found.into_iter().map(|(t, _)| t).collect(), next)
}

/// A page as the SDK reads it: a JSON array, `X-After-Cursor` while more follow.
fn page(items: Vec<Value>, next: Option<String>, per_page: usize) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    answer.insert_header(("X-Per-Page", per_page.to_string()));
    if let Some(position) = next {
        answer.insert_header(("X-After-Cursor", ledger_http::extract::encode_cursor(&position)));
    }
    answer.json(Value::Array(items))
}

/// A time as the SDK sends it: RFC 3339, `str(datetime)` (a space for the
/// `T`), a naive date-time (UTC), or a date (its start, UTC).
fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    let t = text.trim().replacen(' ', "T", 1);
    if let Ok(at) = DateTime::parse_from_rfc3339(&t) {
        return Ok(ledger_domain::ports::truncate_to_micros(at.with_timezone(&Utc)));
    }
    if let Ok(naive) = NaiveDateTime::from_str(&t) {
        return Ok(ledger_domain::ports::truncate_to_micros(naive.and_utc()));
    }
    if let Ok(day) = NaiveDate::from_str(&t)
        && let Some(start) = day.and_hms_opt(0, 0, 0)
    {
        return Ok(start.and_utc());
    }
    Err(ApiError::validation(
        field,
        format!("`{text}` is not an ISO 8601 time or date"),
    ))
}

fn uuid_path(what: &'static str, text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| ApiError::not_found(format!("{what} {text} not found")))
}

/// MT metadata: string values.
fn meta(m: Option<BTreeMap<String, String>>) -> Result<Metadata, ApiError> {
    let m: Metadata = m.unwrap_or_default().into_iter().map(|(k, v)| (k, json!(v))).collect();
    if let Some(k) = m
        .keys()
        .find(|k| [DESCRIPTION_KEY, EXTERNAL_ID_KEY].contains(&k.as_str()))
    {
        return Err(ApiError::validation("metadata", format!("`{k}` is reserved")));
    }
    ledger_http::dto::check_metadata(&Some(m))
}

/// A refusal of what this ledger does not do; `parameter` names the field that
/// asks for it (`request` when it is the request as a whole).
fn unsupported(parameter: &str, what: &str) -> ApiError {
    ApiError::validation(parameter, format!("{what} is not supported by this ledger"))
}

fn currency(code: &str, exponent: Option<u16>) -> Result<Currency, ApiError> {
    let c = Currency::parse(code).map_err(|e| ApiError::validation("currency", e.to_string()))?;
    if exponent.is_some_and(|e| e != c.exponent()) {
        return Err(ApiError::validation(
            "currency_exponent",
            format!("{code} has {} decimals", c.exponent()),
        ));
    }
    Ok(c)
}

fn normal(text: &str) -> Result<NormalBalance, ApiError> {
    NormalBalance::parse(text).ok_or_else(|| ApiError::validation("normal_balance", "credit or debit"))
}

fn direction(field: &str, text: &str) -> Result<Direction, ApiError> {
    Direction::parse(text).ok_or_else(|| ApiError::validation(field, "credit or debit"))
}

/// An integer of minor units (a JSON number's text, or `amount_string`) in
/// `currency`, as a decimal amount.
fn minor_to_amount(field: &str, units: &str, currency: Currency) -> Result<BigDecimal, ApiError> {
    let int = units.strip_prefix('-').unwrap_or(units);
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::validation(
            field,
            format!("`{units}` is not an integer of minor units"),
        ));
    }
    let n =
        bigdecimal::num_bigint::BigInt::from_str(units).map_err(|_| ApiError::validation(field, "not an integer"))?;
    Ok(BigDecimal::new(n, i64::from(currency.exponent())))
}

fn the_ledger(svc: &Service, id: Uuid) -> Result<ledger_domain::Ledger, ApiError> {
    svc.get_ledger(LedgerId(id)).map_err(|e| match e {
        LedgerError::NotFound { .. } => ApiError::not_found(format!("ledger {id} not found")),
        other => other.into(),
    })
}

/// Balances of an account now, or as of `balances[effective_at]` /
/// `balances[as_of_date]` (the end of that day) / the upper of two bounds.
fn account_answer(svc: &Service, account: &Account, q: &Query) -> Result<Value, ApiError> {
    let b = q.map("balances");
    let get = |k: &str| b.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let lower = get("effective_at_lower_bound")
        .map(|t| parse_time("balances[effective_at_lower_bound]", t))
        .transpose()?;
    let upper = get("effective_at_upper_bound")
        .map(|t| parse_time("balances[effective_at_upper_bound]", t))
        .transpose()?;
    let at = match (get("effective_at"), get("as_of_date"), upper) {
        (Some(t), _, _) => Some(parse_time("balances[effective_at]", t)?),
        (None, Some(d), _) => {
            Some(parse_time("balances[as_of_date]", d)? + TimeDelta::days(1) - TimeDelta::microseconds(1))
        }
        (None, None, Some(u)) => Some(u - TimeDelta::microseconds(1)),
        _ => None,
    };
    if get("as_of_lock_version").is_some() {
        return Err(unsupported(
            "balances[as_of_lock_version]",
            "balances[as_of_lock_version]",
        ));
    }
    let balances = match at {
        Some(at) => svc.balances_as_of(account.id, at)?.1,
        None => account.balances(),
    };
    Ok(render::account(account, &balances, (lower, upper)))
}

// -------------------------------------------------------------- routes

/// The MT routes, to mount under `/mt/api`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/mt/openapi.json").route(ledger_http::dialect::serve_document(openapi_json)));
    cfg.service(
        web::scope("/mt/api")
            .wrap(from_fn(authenticate::<Mt, _>))
            .service(
                web::resource("/ledgers")
                    .route(web::post().to(create_ledger))
                    .route(web::get().to(list_ledgers)),
            )
            .service(
                web::resource("/ledgers/{id}")
                    .route(web::get().to(get_ledger))
                    .route(web::patch().to(update_ledger)),
            )
            .service(
                web::resource("/ledger_accounts")
                    .route(web::post().to(create_account))
                    .route(web::get().to(list_accounts)),
            )
            .service(
                web::resource("/ledger_accounts/{id}")
                    .route(web::get().to(get_account))
                    .route(web::patch().to(not_supported)),
            )
            .service(
                web::resource("/ledger_transactions")
                    .route(web::post().to(create_transaction))
                    .route(web::get().to(list_transactions)),
            )
            .service(
                web::resource("/ledger_transactions/{id}")
                    .route(web::get().to(get_transaction))
                    .route(web::patch().to(update_transaction)),
            )
            .service(web::resource("/ledger_transactions/{id}/reversal").route(web::post().to(reverse)))
            .service(web::resource("/ledger_transactions/{id}/partial_post").route(web::post().to(partial_post)))
            .service(web::resource("/ledger_entries").route(web::get().to(list_entries)))
            .service(web::resource("/ledger_entries/{id}").route(web::get().to(get_entry)))
            .service(
                web::resource("/ledger_account_categories")
                    .route(web::post().to(create_category))
                    .route(web::get().to(list_categories)),
            )
            .service(web::resource("/ledger_account_categories/{id}").route(web::get().to(get_category)))
            .service(
                web::resource("/ledger_account_categories/{id}/ledger_accounts/{member}")
                    .route(web::put().to(add_account_to_category))
                    .route(web::delete().to(remove_account_from_category)),
            )
            .service(
                web::resource("/ledger_account_categories/{id}/ledger_account_categories/{member}")
                    .route(web::put().to(add_category_to_category))
                    .route(web::delete().to(remove_category_from_category)),
            )
            .service(web::resource("/ledger_account_statements").route(web::post().to(create_statement)))
            .service(web::resource("/ledger_account_statements/{id}").route(web::get().to(get_statement)))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(DialectError::<Mt>::new(ApiError::not_found("no such route")))
            })),
    );
}

async fn not_supported() -> Answer {
    Err(unsupported("request", "changing or removing this resource").into())
}

// ----------------------------------------------------------------- ledgers

#[derive(Debug, Deserialize)]
struct CreateLedger {
    name: String,
    description: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
}

#[utoipa::path(post, path = "/mt/api/ledgers", operation_id = "mtCreateLedger", tag = "Modern Treasury dialect", summary = "Creates a ledger (one book).", request_body = Object,
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn create_ledger(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Mt, CreateLedger>,
) -> Answer {
    let r = body.value;
    let new = NewLedger {
        name: r.name,
        description: r.description,
        metadata: meta(r.metadata)?,
        withdrawal_fee_rate: None,
    };
    Ok(run_as::<Mt, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        rendered(StatusCode::OK, &render::ledger(&svc.create_ledger(new)?))
    })
    .await?)
}

#[utoipa::path(get, path = "/mt/api/ledgers/{id}", operation_id = "mtGetLedger", tag = "Modern Treasury dialect", summary = "Reads a ledger.", params(("id" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn get_ledger(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let id = uuid_path("ledger", &id)?;
    let body = read(&state, move |svc| Ok(render::ledger(&the_ledger(svc, id)?))).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
struct UpdateLedger {
    name: Option<String>,
    description: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
}

/// The keys given are set; a key given `""` is removed.
fn merged(current: &Metadata, changes: BTreeMap<String, String>) -> Result<Metadata, ApiError> {
    let mut metadata = current.clone();
    for (k, v) in changes {
        if v.is_empty() {
            metadata.remove(&k);
        } else {
            metadata.insert(k, json!(v));
        }
    }
    meta(Some(
        metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect(),
    ))
}

/// Renames, redescribes or re-tags a ledger (PATCH: idempotent by nature).
#[utoipa::path(patch, path = "/mt/api/ledgers/{id}", operation_id = "mtUpdateLedger", tag = "Modern Treasury dialect", summary = "Renames, redescribes or re-tags a ledger (metadata: keys given are set, \"\" removes one).", params(("id" = String, Path)), request_body = Object,
    responses((status = 200, description = "The ledger", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn update_ledger(state: web::Data<AppState>, id: web::Path<String>, body: Json<Mt, UpdateLedger>) -> Answer {
    let id = uuid_path("ledger", &id)?;
    let r = body.value;
    let answer = read(&state, move |svc| {
        let current = the_ledger(svc, id)?;
        let metadata = r.metadata.map(|m| merged(&current.metadata, m)).transpose()?;
        let ledger = svc.update_ledger(LedgerId(id), r.name, r.description.map(Some), metadata)?;
        Ok(render::ledger(&ledger))
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

#[utoipa::path(get, path = "/mt/api/ledgers", operation_id = "mtListLedgers", tag = "Modern Treasury dialect", summary = "Lists ledgers (`id[]`, `metadata[k]`; `per_page`, `after_cursor`).",
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn list_ledgers(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let q = Query::parse(&req)?;
    let per_page = q.per_page()?;
    let after = q.after()?.map(|c| uuid_path("cursor", &c)).transpose()?;
    let ids: Vec<String> = q.many("id").into_iter().map(str::to_owned).collect();
    let wanted = q.map("metadata");
    let (items, next) = read(&state, move |svc| {
        // scan in id order, keeping those the filters want, one page of them
        let mut out = Vec::new();
        let mut cursor = after;
        loop {
            let batch = svc.list_ledgers(PageRequest {
                limit: 100,
                after: cursor,
            })?;
            let full = batch.len() == 100;
            for l in batch {
                cursor = Some(l.id.0);
                let id_ok = ids.is_empty() || ids.contains(&l.id.0.to_string());
                let meta_ok = wanted
                    .iter()
                    .all(|(k, v)| l.metadata.get(k).and_then(Value::as_str) == Some(v));
                if id_ok && meta_ok {
                    out.push((render::ledger(&l), l.id.0.to_string()));
                    if out.len() > per_page {
                        return Ok(cut(out, per_page));
                    }
                }
            }
            if !full {
                return Ok(cut(out, per_page));
            }
        }
    })
    .await?;
    Ok(page(items, next, per_page))
}

// --------------------------------------------------------- ledger accounts

#[derive(Debug, Deserialize)]
struct CreateAccount {
    name: String,
    ledger_id: Uuid,
    currency: String,
    normal_balance: String,
    currency_exponent: Option<u16>,
    description: Option<String>,
    external_id: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    ledger_account_category_ids: Vec<Uuid>,
    ledgerable_id: Option<String>,
}

#[utoipa::path(post, path = "/mt/api/ledger_accounts", operation_id = "mtCreateLedgerAccount", tag = "Modern Treasury dialect", summary = "Creates a ledger account.", request_body = Object,
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn create_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Mt, CreateAccount>,
) -> Answer {
    let r = body.value;
    if r.ledgerable_id.is_some() {
        return Err(unsupported("ledgerable_id", "ledgerable_id").into());
    }
    let ccy = currency(&r.currency, r.currency_exponent)?;
    let normal_balance = normal(&r.normal_balance)?;
    let mut metadata = meta(r.metadata)?;
    if let Some(d) = r.description {
        metadata.insert(DESCRIPTION_KEY.into(), json!(d));
    }
    if let Some(x) = r.external_id {
        metadata.insert(EXTERNAL_ID_KEY.into(), json!(x));
    }
    let categories = r.ledger_account_category_ids;
    let new = NewAccount {
        ledger_id: LedgerId(r.ledger_id),
        name: r.name,
        code: None,
        // credit-normal: money owed (a liability); debit-normal: money held (an asset)
        kind: match normal_balance {
            NormalBalance::Credit => AccountKind::Liability,
            NormalBalance::Debit => AccountKind::Asset,
        },
        normal_balance: Some(normal_balance),
        currency: ccy,
        identity_id: None,
        // MT has no overdraft limits: constraints are stated per posting
        overdraft_limit: Some(OverdraftLimit::Unlimited),
        metadata,
    };
    Ok(run_as::<Mt, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        the_ledger(svc, new.ledger_id.0)?;
        let account = svc.create_account(new)?;
        for c in categories {
            svc.add_category_member(CategoryId(c), CategoryMember::Account(account.id))?;
        }
        rendered(
            StatusCode::OK,
            &render::account(&account, &account.balances(), (None, None)),
        )
    })
    .await?)
}

#[utoipa::path(get, path = "/mt/api/ledger_accounts/{id}", operation_id = "mtGetLedgerAccount", tag = "Modern Treasury dialect", summary = "Reads a ledger account with its balances, now or `balances[effective_at]` / `balances[as_of_date]`.", params(("id" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn get_account(state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>) -> Answer {
    let id = AccountId(uuid_path("ledger account", &id)?);
    let q = Query::parse(&req)?;
    let body = read(&state, move |svc| account_answer(svc, &svc.get_account(id)?, &q)).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(get, path = "/mt/api/ledger_accounts", operation_id = "mtListLedgerAccounts", tag = "Modern Treasury dialect", summary = "Lists ledger accounts with their balances.",
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn list_accounts(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let q = Query::parse(&req)?;
    let per_page = q.per_page()?;
    let after = q.after()?.map(|c| uuid_path("cursor", &c)).transpose()?;
    let mut metadata = q.map("metadata");
    if let Some(x) = q.one("external_id") {
        metadata.push((EXTERNAL_ID_KEY.to_owned(), x.to_owned()));
    }
    let ids: Vec<String> = q.many("id").into_iter().map(str::to_owned).collect();
    let names: Vec<String> = q.many("name").into_iter().map(str::to_owned).collect();
    let normal_balance = q.one("normal_balance").map(normal).transpose()?;
    let in_category = q.uuid("ledger_account_category_id")?.map(CategoryId);
    let filter = AccountFilter {
        ledger_id: q.uuid("ledger_id")?.map(LedgerId),
        currency: q.one("currency").map(|c| currency(c, None)).transpose()?,
        metadata,
        page: PageRequest { limit: 100, after },
        ..AccountFilter::default()
    };
    let (items, next) = read(&state, move |svc| {
        let members: Option<std::collections::HashSet<AccountId>> = in_category
            .map(|c| {
                svc.store()
                    .category_accounts(c)
                    .map(|a| a.into_iter().map(|a| a.id).collect())
            })
            .transpose()?;
        let mut out = Vec::new();
        let mut filter = filter;
        loop {
            let batch = svc.list_accounts(filter.clone())?;
            let full = batch.len() == 100;
            for a in batch {
                filter.page.after = Some(a.id.0);
                let keep = (ids.is_empty() || ids.contains(&a.id.0.to_string()))
                    && (names.is_empty() || names.contains(&a.name))
                    && normal_balance.is_none_or(|n| a.normal_balance == n)
                    && members.as_ref().is_none_or(|m| m.contains(&a.id));
                if keep {
                    out.push((account_answer(svc, &a, &q)?, a.id.0.to_string()));
                    if out.len() > per_page {
                        return Ok(cut(out, per_page));
                    }
                }
            }
            if !full {
                return Ok(cut(out, per_page));
            }
        }
    })
    .await?;
    Ok(page(items, next, per_page))
}

// ----------------------------------------------------- ledger transactions

type Bounds = BTreeMap<String, Number>;

#[derive(Debug, Deserialize)]
struct EntryIn {
    amount: Option<Number>,
    amount_string: Option<String>,
    direction: String,
    ledger_account_id: Uuid,
    lock_version: Option<i64>,
    pending_balance_amount: Option<Bounds>,
    posted_balance_amount: Option<Bounds>,
    available_balance_amount: Option<Bounds>,
}

impl EntryIn {
    fn units(&self, i: usize) -> Result<String, ApiError> {
        match (&self.amount, &self.amount_string) {
            (Some(n), _) => Ok(n.to_string()),
            (None, Some(s)) => Ok(s.clone()),
            (None, None) => Err(ApiError::validation(
                format!("ledger_entries[{i}].amount"),
                "amount or amount_string is required",
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
struct CreateTransaction {
    ledger_entries: Vec<EntryIn>,
    description: Option<String>,
    effective_at: Option<String>,
    effective_date: Option<String>,
    external_id: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    status: Option<String>,
    ledgerable_id: Option<String>,
}

/// Entries and their conditions, in the accounts' currencies.
fn entries(
    svc: &Service,
    field: &str,
    lines: &[EntryIn],
) -> Result<(Vec<EntryDraft>, BTreeMap<AccountId, AccountCondition>), ApiError> {
    let ids: Vec<AccountId> = lines.iter().map(|e| AccountId(e.ledger_account_id)).collect();
    let heads = svc.store().account_heads(&ids)?;
    let mut drafts = Vec::new();
    let mut conditions: BTreeMap<AccountId, AccountCondition> = BTreeMap::new();
    for (i, e) in lines.iter().enumerate() {
        let id = AccountId(e.ledger_account_id);
        let account = heads
            .get(&id)
            .ok_or_else(|| ApiError::not_found(format!("ledger account {} not found", id.0)))?;
        let ccy = account.currency;
        drafts.push(EntryDraft {
            account_id: id,
            direction: direction(&format!("{field}[{i}].direction"), &e.direction)?,
            amount: minor_to_amount(&format!("{field}[{i}].amount"), &e.units(i)?, ccy)?,
            currency: None,
        });
        let condition = conditions.entry(id).or_default();
        if let Some(v) = e.lock_version {
            if condition.lock_version.is_some_and(|x| x != v) {
                return Err(ApiError::validation(
                    format!("{field}[{i}].lock_version"),
                    "two lock versions for one account",
                ));
            }
            condition.lock_version = Some(v);
        }
        for (kind, bounds) in [
            (BalanceKind::Pending, &e.pending_balance_amount),
            (BalanceKind::Posted, &e.posted_balance_amount),
            (BalanceKind::Available, &e.available_balance_amount),
        ] {
            for (op, value) in bounds.iter().flatten() {
                let name = format!("{field}[{i}].{}_balance_amount.{op}", kind.as_str());
                let op = BoundOp::parse(op).ok_or_else(|| ApiError::validation(&name, "gt, gte, lt, lte or eq"))?;
                condition.bounds.push(BalanceBound {
                    balance: kind,
                    op,
                    value: minor_to_amount(&name, &value.to_string(), ccy)?,
                });
            }
        }
    }
    conditions.retain(|_, c| *c != AccountCondition::default());
    Ok((drafts, conditions))
}

#[utoipa::path(post, path = "/mt/api/ledger_transactions", operation_id = "mtCreateLedgerTransaction", tag = "Modern Treasury dialect", summary = "Creates a ledger transaction; entry conditions (`lock_version`, `*_balance_amount`) are checked atomically.", request_body = Object,
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn create_transaction(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Mt, CreateTransaction>,
) -> Answer {
    let r = body.value;
    if r.ledgerable_id.is_some() {
        return Err(unsupported("ledgerable_id", "ledgerable_id").into());
    }
    let status = match r.status.as_deref() {
        None | Some("pending") => InitialStatus::Pending,
        Some("posted") => InitialStatus::Posted,
        Some("archived") => return Err(unsupported("status", "creating an archived transaction").into()),
        Some(_) => return Err(ApiError::validation("status", "pending or posted").into()),
    };
    let effective_at = match (&r.effective_at, &r.effective_date) {
        (Some(t), _) => Some(parse_time("effective_at", t)?),
        (None, Some(d)) => Some(parse_time("effective_date", d)?),
        (None, None) => None,
    };
    let metadata = meta(r.metadata)?;
    Ok(
        run_as::<Mt, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
            let (lines, conditions) = entries(svc, "ledger_entries", &r.ledger_entries)?;
            let heads = svc
                .store()
                .account_heads(&lines.iter().map(|l| l.account_id).collect::<Vec<_>>())?;
            let ledger =
                heads.values().next().map(|a| a.ledger_id).ok_or_else(|| {
                    ApiError::validation("ledger_entries", "a transaction needs at least two entries")
                })?;
            let draft = TransactionDraft {
                ledger_id: None,
                status,
                entries: lines,
                description: r.description,
                metadata,
                effective_at,
                external_id: r.external_id,
                overdraft_allowed: Default::default(),
                conditions,
            };
            Ok(Outcome::Recorded(svc.create_transaction(ledger, draft, mark)?))
        })
        .await?,
    )
}

fn transaction_id(text: &str) -> Result<TransactionId, ApiError> {
    Ok(TransactionId(uuid_path("ledger transaction", text)?))
}

#[utoipa::path(get, path = "/mt/api/ledger_transactions/{id}", operation_id = "mtGetLedgerTransaction", tag = "Modern Treasury dialect", summary = "Reads a ledger transaction.", params(("id" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn get_transaction(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let id = transaction_id(&id)?;
    let body = read(&state, move |svc| Ok(render::transaction(&svc.get_transaction(id)?))).await?;
    Ok(HttpResponse::Ok().json(body))
}

fn statuses(q: &Query) -> Result<Vec<TransactionStatus>, ApiError> {
    q.many("status")
        .into_iter()
        .map(|s| {
            TransactionStatus::parse(s).ok_or_else(|| ApiError::validation("status", "pending, posted or archived"))
        })
        .collect()
}

/// `effective_at[gte|gt|lte|lt|eq]=t` as a predicate.
fn time_range(q: &Query, key: &str) -> Result<Vec<(String, DateTime<Utc>)>, ApiError> {
    q.map(key)
        .into_iter()
        .map(|(op, t)| Ok((op.clone(), parse_time(&format!("{key}[{op}]"), &t)?)))
        .collect()
}

fn in_range(at: DateTime<Utc>, range: &[(String, DateTime<Utc>)]) -> bool {
    range.iter().all(|(op, t)| match op.as_str() {
        "gt" => at > *t,
        "gte" => at >= *t,
        "lt" => at < *t,
        "lte" => at <= *t,
        "eq" => at == *t,
        _ => true,
    })
}

#[utoipa::path(get, path = "/mt/api/ledger_transactions", operation_id = "mtListLedgerTransactions", tag = "Modern Treasury dialect", summary = "Lists ledger transactions (`metadata[k]`, `status`, `effective_at[gte]`, `ledger_account_id`, …).",
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn list_transactions(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let q = Query::parse(&req)?;
    let per_page = q.per_page()?;
    let after = q.after()?.map(|c| uuid_path("cursor", &c)).transpose()?;
    let wanted = statuses(&q)?;
    let range = time_range(&q, "effective_at")?;
    let ids: Vec<String> = q.many("id").into_iter().map(str::to_owned).collect();
    let external_id = q.one("external_id").map(str::to_owned);
    let reverses = q.uuid("reverses_ledger_transaction_id")?;
    let filter = TransactionFilter {
        ledger_id: q.uuid("ledger_id")?.map(LedgerId),
        account_id: q.uuid("ledger_account_id")?.map(AccountId),
        status: None,
        metadata: q.map("metadata"),
        partial_of: q.uuid("partially_posts_ledger_transaction_id")?.map(TransactionId),
        page: PageRequest { limit: 100, after },
        ..TransactionFilter::default()
    };
    let (items, next) = read(&state, move |svc| {
        let mut out = Vec::new();
        let mut filter = filter;
        loop {
            let batch = svc.list_transactions(filter.clone())?;
            let full = batch.len() == 100;
            for t in batch {
                filter.page.after = Some(t.id().0);
                let keep = (wanted.is_empty() || wanted.contains(&t.status()))
                    && in_range(t.effective_at(), &range)
                    && (ids.is_empty() || ids.contains(&t.id().0.to_string()))
                    && external_id.as_deref().is_none_or(|x| t.external_id() == Some(x))
                    && reverses.is_none_or(|r| t.reverses_id() == Some(TransactionId(r)));
                if keep {
                    out.push((render::transaction(&t), t.id().0.to_string()));
                    if out.len() > per_page {
                        return Ok(cut(out, per_page));
                    }
                }
            }
            if !full {
                return Ok(cut(out, per_page));
            }
        }
    })
    .await?;
    Ok(page(items, next, per_page))
}

#[derive(Debug, Deserialize)]
struct UpdateTransaction {
    status: Option<String>,
    description: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    ledger_entries: Option<Vec<Value>>,
    effective_at: Option<String>,
    external_id: Option<String>,
}

/// Posts or archives a pending transaction (`status`); a transaction's other
/// fields do not change once written.
#[utoipa::path(patch, path = "/mt/api/ledger_transactions/{id}", operation_id = "mtUpdateLedgerTransaction", tag = "Modern Treasury dialect", summary = "Posts or archives a pending ledger transaction (`status`).", params(("id" = String, Path)), request_body = Object,
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn update_transaction(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<String>,
    body: Json<Mt, UpdateTransaction>,
) -> Answer {
    let id = transaction_id(&id)?;
    let r = body.value;
    if r.description.is_some() || r.ledger_entries.is_some() || r.effective_at.is_some() || r.external_id.is_some() {
        return Err(unsupported("request", "changing a transaction other than its status and metadata").into());
    }
    // the keys given are set, a key given "" is removed
    let changes = r.metadata;
    let to = match r.status.as_deref() {
        Some("posted") => Some(TransactionStatus::Posted),
        Some("archived") => Some(TransactionStatus::Archived),
        None if changes.is_some() => None,
        _ => return Err(ApiError::validation("status", "posted or archived").into()),
    };
    Ok(run_as::<Mt, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        // metadata first: a transaction that becomes final keeps what it was given
        if let Some(changes) = changes {
            let metadata = merged(svc.get_transaction(id)?.metadata(), changes)?;
            svc.annotate_transaction(id, metadata)?;
        }
        let t = match to {
            Some(TransactionStatus::Posted) => svc.post_transaction(id)?,
            Some(_) => svc.archive_transaction(id)?,
            None => svc.get_transaction(id)?,
        };
        rendered(StatusCode::OK, &render::transaction(&t))
    })
    .await?)
}

#[utoipa::path(post, path = "/mt/api/ledger_transactions/{id}/reversal", operation_id = "mtReverseLedgerTransaction", tag = "Modern Treasury dialect", summary = "Reverses a posted ledger transaction, once.", params(("id" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn reverse(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = transaction_id(&id)?;
    let mut effective_at = None;
    if !body.is_empty() {
        let options: serde_json::Map<String, Value> = ledger_http::extract::parse_json(&body)?;
        if options.get("status").is_some_and(|s| s != "posted") {
            return Err(unsupported("status", "a reversal that is not posted").into());
        }
        if let Some(Value::String(t)) = options.get("effective_at") {
            effective_at = Some(parse_time("effective_at", t)?);
        }
    }
    let fingerprint = ledger_http::extract::fingerprint(&req, &body);
    Ok(run_as::<Mt, _>(&state, &req, &caller, fingerprint, move |svc, mark| {
        // MT: effective when the original was, unless told otherwise
        let at = match effective_at {
            Some(at) => at,
            None => svc.get_transaction(id)?.effective_at(),
        };
        Ok(Outcome::Recorded(svc.reverse_transaction_effective(
            id,
            Some(at),
            mark,
        )?))
    })
    .await?)
}

#[derive(Debug, Deserialize)]
struct PartialPostIn {
    posted_ledger_entries: Vec<EntryIn>,
}

/// Posts the given lines of a pending transaction and releases the rest.
#[utoipa::path(post, path = "/mt/api/ledger_transactions/{id}/partial_post", operation_id = "mtPartialPostLedgerTransaction", tag = "Modern Treasury dialect", summary = "Posts the given lines of a pending transaction and releases the rest.", params(("id" = String, Path)), request_body = Object,
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn partial_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: web::Path<String>,
    body: Json<Mt, PartialPostIn>,
) -> Answer {
    let id = transaction_id(&id)?;
    let r = body.value;
    Ok(
        run_as::<Mt, _>(&state, &req, &caller, body.fingerprint, move |svc, mark| {
            let (lines, _) = entries(svc, "posted_ledger_entries", &r.posted_ledger_entries)?;
            let lines = lines
                .into_iter()
                .map(|l| (l.account_id, l.direction, l.amount))
                .collect();
            Ok(Outcome::Recorded(svc.partial_post_transaction(
                id,
                lines,
                Rest::Release,
                mark,
            )?))
        })
        .await?,
    )
}

// ---------------------------------------------------------- ledger entries

/// An entry id: `<transaction id>.<line>`.
fn parse_entry_id(text: &str) -> Result<(TransactionId, usize), ApiError> {
    let missing = || ApiError::not_found(format!("ledger entry {text} not found"));
    let (tx, line) = text.split_once('.').ok_or_else(missing)?;
    Ok((
        TransactionId(Uuid::parse_str(tx).map_err(|_| missing())?),
        line.parse().map_err(|_| missing())?,
    ))
}

#[utoipa::path(get, path = "/mt/api/ledger_entries/{id}", operation_id = "mtGetLedgerEntry", tag = "Modern Treasury dialect", summary = "Reads a ledger entry.", params(("id" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn get_entry(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let (tx, line) = parse_entry_id(&id)?;
    let text = id.into_inner();
    let body = read(&state, move |svc| {
        let t = svc.get_transaction(tx)?;
        let e = t
            .entries()
            .get(line)
            .ok_or_else(|| ApiError::not_found(format!("ledger entry {text} not found")))?;
        Ok(render::entry(&t, line, e))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Entries of an account (or of a transaction), in transaction order.
#[utoipa::path(get, path = "/mt/api/ledger_entries", operation_id = "mtListLedgerEntries", tag = "Modern Treasury dialect", summary = "Lists the entries of an account or a transaction.",
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn list_entries(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let q = Query::parse(&req)?;
    let per_page = q.per_page()?;
    let account = q.uuid("ledger_account_id")?.map(AccountId);
    // the entries the account had at that version: each entry records the
    // account's version right after its posting
    let as_of_version = q
        .one("as_of_lock_version")
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| ApiError::validation("as_of_lock_version", "a lock_version (an integer ≥ 0)"))
        })
        .transpose()?;
    if as_of_version.is_some() && account.is_none() {
        return Err(
            ApiError::validation("as_of_lock_version", "give ledger_account_id with as_of_lock_version").into(),
        );
    }
    let transaction = q.uuid("ledger_transaction_id")?.map(TransactionId);
    if account.is_none() && transaction.is_none() {
        return Err(
            ApiError::validation("ledger_account_id", "give ledger_account_id or ledger_transaction_id").into(),
        );
    }
    let after = q.after()?.map(|c| parse_entry_id(&c)).transpose()?;
    let status = q
        .one("status")
        .map(|s| {
            TransactionStatus::parse(s).ok_or_else(|| ApiError::validation("status", "pending, posted or archived"))
        })
        .transpose()?;
    let direction_filter = q.one("direction").map(|d| direction("direction", d)).transpose()?;
    let range = time_range(&q, "effective_at")?;
    let (items, next) = read(&state, move |svc| {
        let keep = |t: &Transaction, e: &ledger_domain::Entry| {
            account.is_none_or(|a| e.account_id == a)
                && status.is_none_or(|s| t.status() == s)
                && direction_filter.is_none_or(|d| e.direction == d)
                && in_range(t.effective_at(), &range)
                && as_of_version.is_none_or(|v| e.account_version.is_some_and(|x| x <= v))
        };
        let mut out = Vec::new();
        // the cursor's own transaction may have more lines after the cursor's
        let mut pending: Vec<Transaction> = Vec::new();
        if let Some((tx, _)) = after {
            pending.push(svc.get_transaction(tx)?);
        }
        let mut filter = TransactionFilter {
            account_id: account,
            page: PageRequest {
                limit: 100,
                after: after.map(|(t, _)| t.0),
            },
            ..TransactionFilter::default()
        };
        if let Some(t) = transaction {
            pending.clear();
            if after.is_none() {
                pending.push(svc.get_transaction(t)?);
            } else if let Some((tx, _)) = after {
                pending.push(svc.get_transaction(tx)?);
            }
        }
        loop {
            for t in &pending {
                for (line, e) in t.entries().iter().enumerate() {
                    if after.is_some_and(|(tx, l)| t.id() == tx && line <= l) || !keep(t, e) {
                        continue;
                    }
                    out.push((render::entry(t, line, e), render::entry_id(t, line)));
                    if out.len() > per_page {
                        return Ok(cut(out, per_page));
                    }
                }
            }
            if transaction.is_some() {
                return Ok(cut(out, per_page));
            }
            let batch = svc.list_transactions(filter.clone())?;
            let full = batch.len() == 100;
            filter.page.after = batch.last().map(|t| t.id().0).or(filter.page.after);
            pending = batch;
            if pending.is_empty() {
                return Ok(cut(out, per_page));
            }
            if !full {
                // one more round over this last batch, then stop
                for t in &pending {
                    for (line, e) in t.entries().iter().enumerate() {
                        if !keep(t, e) {
                            continue;
                        }
                        out.push((render::entry(t, line, e), render::entry_id(t, line)));
                        if out.len() > per_page {
                            return Ok(cut(out, per_page));
                        }
                    }
                }
                return Ok(cut(out, per_page));
            }
        }
    })
    .await?;
    Ok(page(items, next, per_page))
}

// ------------------------------------------------------------- categories

#[derive(Debug, Deserialize)]
struct CreateCategory {
    name: String,
    ledger_id: Uuid,
    currency: String,
    normal_balance: String,
    currency_exponent: Option<u16>,
    description: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    ledger_account_category_ids: Vec<Uuid>,
}

fn category_answer(svc: &Service, id: CategoryId) -> Result<Value, ApiError> {
    let (category, balances) = svc.category_balances(id)?;
    Ok(render::category(&category, &balances))
}

#[utoipa::path(post, path = "/mt/api/ledger_account_categories", operation_id = "mtCreateLedgerAccountCategory", tag = "Modern Treasury dialect", summary = "Creates a category.", request_body = Object,
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn create_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Mt, CreateCategory>,
) -> Answer {
    let r = body.value;
    let new = NewCategory {
        ledger_id: LedgerId(r.ledger_id),
        name: r.name,
        description: r.description,
        currency: currency(&r.currency, r.currency_exponent)?,
        normal_balance: normal(&r.normal_balance)?,
        metadata: meta(r.metadata)?,
    };
    let parents = r.ledger_account_category_ids;
    Ok(run_as::<Mt, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        let category = svc.create_category(new)?;
        for parent in parents {
            svc.add_category_member(CategoryId(parent), CategoryMember::Category(category.id))?;
        }
        rendered(StatusCode::OK, &category_answer(svc, category.id)?)
    })
    .await?)
}

#[utoipa::path(get, path = "/mt/api/ledger_account_categories/{id}", operation_id = "mtGetLedgerAccountCategory", tag = "Modern Treasury dialect", summary = "Reads a category with its balances.", params(("id" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn get_category(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let id = CategoryId(uuid_path("ledger account category", &id)?);
    let body = read(&state, move |svc| category_answer(svc, id)).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(get, path = "/mt/api/ledger_account_categories", operation_id = "mtListLedgerAccountCategories", tag = "Modern Treasury dialect", summary = "Lists a ledger's categories.",
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn list_categories(state: web::Data<AppState>, req: HttpRequest) -> Answer {
    let q = Query::parse(&req)?;
    let per_page = q.per_page()?;
    let ledger = q
        .uuid("ledger_id")?
        .map(LedgerId)
        .ok_or_else(|| ApiError::validation("ledger_id", "required"))?;
    let after = q.after()?.map(|c| uuid_path("cursor", &c)).transpose()?;
    let (items, next) = read(&state, move |svc| {
        let found = svc.list_categories(ledger, PageRequest { limit: per_page, after })?;
        let next = (found.len() == per_page)
            .then(|| found.last().map(|c| c.id.0.to_string()))
            .flatten();
        let items = found
            .iter()
            .map(|c| category_answer(svc, c.id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, next))
    })
    .await?;
    Ok(page(items, next, per_page))
}

/// Takes a member out of a category (idempotent by nature: DELETE carries no key).
async fn remove_member(state: web::Data<AppState>, id: String, member: CategoryMember) -> Answer {
    let id = CategoryId(uuid_path("ledger account category", &id)?);
    let body = read(&state, move |svc| {
        svc.remove_category_member(id, member)?;
        category_answer(svc, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Takes a ledger account out of a category.
async fn remove_account_from_category(state: web::Data<AppState>, path: web::Path<(String, String)>) -> Answer {
    let (id, member) = path.into_inner();
    let member = CategoryMember::Account(AccountId(uuid_path("ledger account", &member)?));
    remove_member(state, id, member).await
}

/// Takes a nested category out of a category.
async fn remove_category_from_category(state: web::Data<AppState>, path: web::Path<(String, String)>) -> Answer {
    let (id, member) = path.into_inner();
    let member = CategoryMember::Category(CategoryId(uuid_path("ledger account category", &member)?));
    remove_member(state, id, member).await
}

async fn add_member(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    id: String,
    member: CategoryMember,
) -> Answer {
    let id = CategoryId(uuid_path("ledger account category", &id)?);
    let fingerprint = ledger_http::extract::fingerprint(&req, b"");
    Ok(run_as::<Mt, _>(&state, &req, &caller, fingerprint, move |svc, _| {
        svc.add_category_member(id, member)?;
        rendered(StatusCode::OK, &category_answer(svc, id)?)
    })
    .await?)
}

#[utoipa::path(put, path = "/mt/api/ledger_account_categories/{id}/ledger_accounts/{member}", operation_id = "mtAddLedgerAccountToCategory", tag = "Modern Treasury dialect", summary = "Adds a ledger account to a category.", params(("id" = String, Path), ("member" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn add_account_to_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    path: web::Path<(String, String)>,
) -> Answer {
    let (id, member) = path.into_inner();
    let member = CategoryMember::Account(AccountId(uuid_path("ledger account", &member)?));
    add_member(state, req, caller, id, member).await
}

#[utoipa::path(put, path = "/mt/api/ledger_account_categories/{id}/ledger_account_categories/{member}", operation_id = "mtNestLedgerAccountCategory", tag = "Modern Treasury dialect", summary = "Nests a category in a category.", params(("id" = String, Path), ("member" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn add_category_to_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    path: web::Path<(String, String)>,
) -> Answer {
    let (id, member) = path.into_inner();
    let member = CategoryMember::Category(CategoryId(uuid_path("ledger account category", &member)?));
    add_member(state, req, caller, id, member).await
}

// ------------------------------------------------------------- statements

#[derive(Debug, Deserialize)]
struct CreateStatement {
    ledger_account_id: Uuid,
    effective_at_lower_bound: String,
    effective_at_upper_bound: String,
    description: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
}

fn statement(st: &ledger_domain::account::AccountStatement) -> Value {
    json!({
        "id": st.id.0, "object": "ledger_account_statement", "live_mode": true,
        "description": st.description, "ledger_account_id": st.account_id.0, "ledger_id": st.ledger_id.0,
        "ledger_account_lock_version": st.account_version,
        "ledger_account_normal_balance": st.normal_balance.as_str(),
        "effective_at_lower_bound": render::time(st.effective_from),
        "effective_at_upper_bound": render::time(st.effective_to),
        "starting_balance": Value::Object(render::balances(&st.starting.balances(st.normal_balance), st.currency)),
        "ending_balance": Value::Object(render::balances(&st.ending.balances(st.normal_balance), st.currency)),
        "metadata": render::metadata(&st.metadata),
        "created_at": render::time(st.created_at), "updated_at": render::time(st.created_at),
    })
}

#[utoipa::path(post, path = "/mt/api/ledger_account_statements", operation_id = "mtCreateLedgerAccountStatement", tag = "Modern Treasury dialect", summary = "Creates a statement: starting and ending balances between two `effective_at` bounds.", request_body = Object,
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn create_statement(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: web::ReqData<Caller>,
    body: Json<Mt, CreateStatement>,
) -> Answer {
    let r = body.value;
    let lower = parse_time("effective_at_lower_bound", &r.effective_at_lower_bound)?;
    let upper = parse_time("effective_at_upper_bound", &r.effective_at_upper_bound)?;
    let metadata = meta(r.metadata)?;
    let account = AccountId(r.ledger_account_id);
    Ok(run_as::<Mt, _>(&state, &req, &caller, body.fingerprint, move |svc, _| {
        let st = svc.create_account_statement(account, lower, upper, r.description, metadata)?;
        rendered(StatusCode::OK, &statement(&st))
    })
    .await?)
}

#[utoipa::path(get, path = "/mt/api/ledger_account_statements/{id}", operation_id = "mtGetLedgerAccountStatement", tag = "Modern Treasury dialect", summary = "Reads a statement as it was generated.", params(("id" = String, Path)),
    responses((status = 200, description = "MT's object (or a JSON array with `X-After-Cursor` for lists)", body = Object), (status = 422, description = "`{errors: {code, message, parameter}}`", body = Object)),
    security(("basic" = [])))]
async fn get_statement(state: web::Data<AppState>, id: web::Path<String>) -> Answer {
    let id = ledger_domain::StatementId(uuid_path("ledger account statement", &id)?);
    let body = read(&state, move |svc| Ok(statement(&svc.get_account_statement(id)?))).await?;
    Ok(HttpResponse::Ok().json(body))
}

// ---------------------------------------------------------------- document

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Wallet Ledger — Modern Treasury dialect",
        description = "Modern Treasury Ledgers' API over Wallet Ledger, under `/mt/api`: point the SDK at `base_url = http://HOST:PORT/mt`; HTTP Basic with a Wallet Ledger API key as the password. Amounts are integers in minor units. What is not served yet answers 422 (see the README).",
        license(name = "MIT"),
    ),
    paths(create_ledger, get_ledger, list_ledgers, update_ledger, create_account, get_account, list_accounts, create_transaction,
        get_transaction, list_transactions, update_transaction, reverse, partial_post, list_entries, get_entry,
        create_category, get_category, list_categories, add_account_to_category, add_category_to_category,
        create_statement, get_statement),
    tags((name = "Modern Treasury dialect", description = "Modern Treasury Ledgers' API (its Python SDK works with base_url changed).")),
)]
struct MtDoc;

pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
    ledger_http::dialect::document(
        <MtDoc as utoipa::OpenApi>::openapi(),
        "basic",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Basic)
                .description(Some(
                    "user: your organization id (not checked); password: a Wallet Ledger API key",
                ))
                .build(),
        ),
    )
}

/// The document as committed in `openapi/mt.json`.
pub fn openapi_json() -> String {
    ledger_http::dialect::document_json(&openapi())
}
