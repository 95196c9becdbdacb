//! The OpenAPI 3.1 document, generated from the handlers and DTOs. The
//! committed `openapi/openapi.json` must equal [`openapi_json`] (a test checks).

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::dto::*;
use crate::error::{FieldError, Problem, ProblemType};
use crate::handlers::{accounts, categories, health, identities, keys, ledgers, operations, transactions};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("API key")
                    .description(Some(
                        "An API key (`wlk_…`). `make run` prints one; `wallet-ledger create-api-key` makes more.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The problem types a route answers besides the ones every route of its kind
/// does (validation, not found, auth, …): what its 409 and 422 examples show.
fn route_problems(operation_id: &str) -> &'static [ProblemType] {
    use ProblemType as P;
    match operation_id {
        "createAccount" => &[P::CodeTaken, P::IdempotencyKeyInFlight, P::IdempotencyKeyReused],
        "createTransaction" => &[
            P::ExternalIdTaken,
            P::IdempotencyKeyInFlight,
            P::InsufficientFunds,
            P::ConditionFailed,
            P::UnbalancedTransaction,
            P::CurrencyMismatch,
            P::IdempotencyKeyReused,
        ],
        "createDeposit" | "createTransfer" | "createWithdrawal" => &[
            P::ExternalIdTaken,
            P::SystemAccountMismatch,
            P::IdempotencyKeyInFlight,
            P::InsufficientFunds,
            P::NotAWallet,
            P::CurrencyMismatch,
            P::IdempotencyKeyReused,
        ],
        "postTransaction" => &[P::InvalidTransition, P::InsufficientFunds],
        "partialPostTransaction" => &[
            P::InvalidTransition,
            P::IdempotencyKeyInFlight,
            P::UnbalancedTransaction,
            P::IdempotencyKeyReused,
        ],
        "archiveTransaction" => &[P::InvalidTransition],
        "revokeApiKey" => &[P::Conflict],
        "reverseTransaction" => &[
            P::AlreadyReversed,
            P::InvalidTransition,
            P::IdempotencyKeyInFlight,
            P::InsufficientFunds,
            P::IdempotencyKeyReused,
        ],
        "createLedger" | "createIdentity" | "createCategory" | "addCategoryMember" => {
            &[P::IdempotencyKeyInFlight, P::IdempotencyKeyReused]
        }
        _ => &[],
    }
}

/// Every error response shows examples of exactly the problem types that
/// route answers with that status; every `/v1` route documents 500 and 503
/// (and 429 if it needs a key), and every route with a body 415.
struct ErrorResponses;

fn problem_response(description: &str, kinds: &[ProblemType]) -> Response {
    let mut content = ContentBuilder::new().schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem"))));
    for kind in kinds {
        content = content.examples_from_iter([(
            kind.as_str(),
            ExampleBuilder::new()
                .summary(kind.title())
                .value(serde_json::to_value(kind.example()).ok())
                .build(),
        )]);
    }
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", content.build())
        .build()
}

fn document_errors(path: &str, op: &mut Operation) {
    let id = op.operation_id.clone().unwrap_or_default();
    let responses = &mut op.responses.responses;
    if path.starts_with("/v1") {
        responses.entry("500".to_owned()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description("Internal error (logged; never shown)")
                    .build(),
            )
        });
        responses.entry("503".to_owned()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description("The database is unavailable; retry later")
                    .build(),
            )
        });
        if op.security.is_some() {
            responses.entry("429".to_owned()).or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(
                            "This API key sent more requests than its rate limit allows; `Retry-After` says in how many seconds to retry",
                        )
                        .build(),
                )
            });
        }
    }
    if op.request_body.is_some() {
        responses.entry("415".to_owned()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description("The body is not `application/json`")
                    .build(),
            )
        });
    }
    for (status, response) in responses.iter_mut() {
        let Ok(code) = status.parse::<u16>() else { continue };
        if code < 400 {
            continue;
        }
        let RefOr::T(r) = response else { continue };
        let kinds: Vec<ProblemType> = ProblemType::ALL
            .into_iter()
            .filter(|k| k.status().as_u16() == code)
            .filter(|k| {
                let specific = route_problems(&id);
                match code {
                    409 => specific.contains(k),
                    422 => *k == ProblemType::Validation || specific.contains(k),
                    _ => true,
                }
            })
            .collect();
        let headers = std::mem::take(&mut r.headers);
        *r = problem_response(&r.description, &kinds);
        r.headers = headers;
        if code == 429 {
            r.headers.insert(
                "Retry-After".to_owned(),
                RefOr::T(
                    utoipa::openapi::header::HeaderBuilder::new()
                        .schema(Some(
                            utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer),
                        ))
                        .description(Some("Seconds to wait before retrying"))
                        .build(),
                ),
            );
        }
    }
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut table = String::from(
            "\n\n### Problem types\n\nEvery error is an `application/problem+json` document whose `type` is one of:\n\n\
             | type | status | title |\n|---|---:|---|\n",
        );
        for kind in ProblemType::ALL {
            table.push_str(&format!(
                "| `{}` | {} | {} |\n",
                kind.as_str(),
                kind.status().as_u16(),
                kind.title()
            ));
        }
        let description = openapi.info.description.get_or_insert_with(String::new);
        description.push_str(&table);
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                document_errors(path, op);
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wallet Ledger API",
        description = "A double-entry ledger for companies that hold money for their users in digital wallets.\n\n\
            * Amounts are decimal **strings** with the currency's decimals (`\"1000.00\"`), never floats.\n\
            * Every POST that creates accepts an `Idempotency-Key` header: a repeat returns the first response.\n\
            * Errors are RFC 9457 `application/problem+json` documents with a stable `type`.\n\
            * Lists use cursor pagination: `limit` (≤ 100) and the `next_cursor` of the previous page.\n\
            * Authenticate with `Authorization: Bearer <api key>` (Authorize button above).",
        license(name = "MIT"),
    ),
    paths(
        ledgers::create, ledgers::list, ledgers::get,
        identities::create, identities::list, identities::get,
        accounts::create, accounts::list, accounts::get, accounts::entries,
        categories::create, categories::list, categories::get, categories::add_member,
        transactions::create, transactions::list, transactions::get,
        transactions::post, transactions::archive, transactions::reverse, transactions::partial_post,
        operations::deposit, operations::transfer, operations::withdraw,
        keys::create, keys::list, keys::revoke,
        health::live, health::ready, health::metrics,
    ),
    components(schemas(
        Problem, FieldError,
        CreateLedgerRequest, LedgerResponse,
        CreateIdentityRequest, IdentityResponse, IdentityKindDto,
        CreateAccountRequest, AccountResponse, AccountKindDto, NormalBalanceDto, BalancesResponse, BalanceResponse,
        StatementLineResponse,
        CreateCategoryRequest, CategoryResponse, CategoryMemberDto, MemberType,
        CreateTransactionRequest, BoundsRequest, PartialPostRequest, PartialPostEntry, EntryRequest, TransactionResponse, EntryResponse, DirectionDto,
        TransactionStatusDto, InitialStatusDto,
        DepositRequest, TransferRequest, WithdrawalRequest,
        HealthResponse,
        CreateApiKeyRequest, ApiKeyResponse, CreatedApiKeyResponse, ScopeDto, ApiKeyPage,
        LedgerPage, IdentityPage, AccountPage, StatementPage, CategoryPage, TransactionPage,
    )),
    modifiers(&BearerAuth, &ErrorResponses),
    tags(
        (name = "Ledgers", description = "Books of accounts; nothing crosses ledgers."),
        (name = "Identities", description = "People and organisations that own wallets."),
        (name = "Accounts", description = "Ledger accounts and user wallets, with balances and statements."),
        (name = "Categories", description = "Groups of accounts with aggregate balances."),
        (name = "Transactions", description = "The journal: multi-leg entries, holds, posting, reversal."),
        (name = "Wallet operations", description = "Deposit, in-app transfer and withdrawal (2% fee)."),
        (name = "API keys", description = "Create (secret shown once), list and revoke keys; `admin` keys only."),
        (name = "Operations", description = "Health and metrics (no key needed)."),
    )
)]
pub struct ApiDoc;

pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The document as served at `/openapi.json` and committed in
/// `openapi/openapi.json`: the generated one, refined by [`refine`].
pub fn openapi_json() -> String {
    let mut doc = serde_json::to_value(openapi()).unwrap_or_default();
    refine(&mut doc);
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// OpenAPI links from each create's answer to what a client does next with it
/// (Swagger UI shows them; schemathesis's stateful phase follows them).
fn add_links(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let id = "$response.body#/id";
    let by_id = |op: &str| json!({"operationId": op, "parameters": {"path.id": id}});
    /// (path, method, status, named links)
    type Links<'a> = (&'a str, &'a str, &'a str, Vec<(&'a str, Value)>);
    let links: [Links; 8] = [
        (
            "/v1/ledgers",
            "post",
            "201",
            vec![
                ("getLedger", by_id("getLedger")),
                (
                    "createAccount",
                    json!({"operationId": "createAccount", "requestBody": {"ledger_id": id}}),
                ),
                (
                    "createIdentity",
                    json!({"operationId": "createIdentity", "requestBody": {"ledger_id": id}}),
                ),
                (
                    "listAccounts",
                    json!({"operationId": "listAccounts", "parameters": {"query.ledger_id": id}}),
                ),
            ],
        ),
        (
            "/v1/identities",
            "post",
            "201",
            vec![
                ("getIdentity", by_id("getIdentity")),
                (
                    "createAccount",
                    json!({"operationId": "createAccount", "requestBody": {"ledger_id": "$response.body#/ledger_id", "identity_id": id}}),
                ),
            ],
        ),
        (
            "/v1/accounts",
            "post",
            "201",
            vec![
                ("getAccount", by_id("getAccount")),
                ("listAccountEntries", by_id("listAccountEntries")),
                (
                    "createDeposit",
                    json!({"operationId": "createDeposit", "requestBody": {
                "ledger_id": "$response.body#/ledger_id", "wallet_id": id, "currency": "$response.body#/currency"}}),
                ),
            ],
        ),
        (
            "/v1/categories",
            "post",
            "201",
            vec![
                ("getCategory", by_id("getCategory")),
                ("addCategoryMember", by_id("addCategoryMember")),
            ],
        ),
        ("/v1/transactions", "post", "201", vec![]),
        ("/v1/deposits", "post", "201", vec![]),
        ("/v1/transfers", "post", "201", vec![]),
        ("/v1/withdrawals", "post", "201", vec![]),
    ];
    let transaction_links = [
        "getTransaction",
        "postTransaction",
        "archiveTransaction",
        "reverseTransaction",
    ];
    for (path, method, status, mut named) in links {
        if path.starts_with("/v1/transactions") || ["/v1/deposits", "/v1/transfers", "/v1/withdrawals"].contains(&path)
        {
            named.extend(transaction_links.iter().map(|op| (*op, by_id(op))));
        }
        let pointer = format!("/paths/{}/{method}/responses/{status}", path.replace('/', "~1"));
        if let Some(Value::Object(response)) = doc.pointer_mut(&pointer) {
            response.insert(
                "links".to_owned(),
                Value::Object(named.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
            );
        }
    }
}

fn set(target: Option<&mut serde_json::Value>, key: &str, value: serde_json::Value) {
    if let Some(serde_json::Value::Object(map)) = target {
        map.insert(key.to_owned(), value);
    }
}

/// Rules the server enforces that the derive macros cannot state, added to the
/// document so that a schema-valid request is one the server accepts (JSON
/// Schema 2020-12 keywords: `enum`, `not`, `if`/`then`, `propertyNames`).
fn refine(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let currencies: Vec<Value> = ledger_domain::Currency::all().iter().map(|c| json!(c.code())).collect();
    let currency = json!({"$ref": "#/components/schemas/Currency"});
    let request_metadata = |m: &mut Value| {
        set(Some(m), "maxProperties", json!(64));
        set(
            Some(m),
            "propertyNames",
            json!({"type": "string", "minLength": 1, "maxLength": 64}),
        );
    };
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        schemas.insert(
            "Currency".to_owned(),
            json!({"type": "string", "description": "An ISO 4217 code with a minor unit.", "enum": currencies, "example": "USD"}),
        );
        for (name, schema) in schemas.iter_mut() {
            let request = name.ends_with("Request");
            {
                let Some(Value::Object(p)) = schema.get_mut("properties") else {
                    continue;
                };
                if let Some(c) = p.get_mut("currency")
                    && c.get("pattern").is_some()
                {
                    let nullable = c.get("type").is_some_and(Value::is_array);
                    *c = if nullable {
                        json!({"oneOf": [currency, {"type": "null"}]})
                    } else {
                        currency.clone()
                    };
                }
                // A posting's amount (beside a direction) or a request's amount is
                // an `Amount`: the domain's pattern, stated once.
                if (request || p.contains_key("direction"))
                    && let Some(a) = p.get_mut("amount")
                {
                    set(Some(a), "pattern", json!(ledger_domain::money::AMOUNT_PATTERN));
                }
                if request && let Some(m) = p.get_mut("metadata") {
                    request_metadata(m);
                }
            }
        }
        if let Some(code) = schemas
            .get_mut("CreateAccountRequest")
            .and_then(|s| s.pointer_mut("/properties/code"))
        {
            set(
                Some(code),
                "not",
                json!({"type": "string", "pattern": "^(cash|revenue):"}),
            );
            set(
                Some(code),
                "description",
                json!(
                    "Unique in the ledger. Codes starting with `cash:` or `revenue:` are reserved for system accounts."
                ),
            );
        }
        if let Some(Value::Object(identity)) = schemas.get_mut("CreateIdentityRequest") {
            identity.insert(
                "allOf".to_owned(),
                json!([
                    {"if": {"properties": {"kind": {"const": "individual"}}},
                     "then": {"anyOf": [
                        {"required": ["first_name"], "properties": {"first_name": {"type": "string", "pattern": "\\S"}}},
                        {"required": ["last_name"], "properties": {"last_name": {"type": "string", "pattern": "\\S"}}}]}},
                    {"if": {"properties": {"kind": {"const": "organization"}}},
                     "then": {"required": ["organization_name"], "properties": {"organization_name": {"type": "string", "pattern": "\\S"}}}}
                ]),
            );
        }
    }
    add_links(doc);
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut() {
        let Value::Object(ops) = item else { continue };
        for op in ops.values_mut() {
            let Some(Value::Array(params)) = op.get_mut("parameters") else {
                continue;
            };
            for param in params {
                match param.get("name").and_then(Value::as_str) {
                    Some("Idempotency-Key") => set(
                        Some(param),
                        "schema",
                        json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"}),
                    ),
                    Some("currency") => set(Some(param), "schema", currency.clone()),
                    Some("metadata") => {
                        if let Some(schema) = param.get_mut("schema") {
                            set(
                                Some(schema),
                                "propertyNames",
                                json!({"type": "string", "minLength": 1, "pattern": "^[^\\[\\]]+$"}),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
