//! The OpenAPI 3.1 document, generated from the handlers and DTOs. The
//! committed `openapi/openapi.json` must equal [`openapi_json`] (a test checks).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::dto::*;
use crate::error::{FieldError, Problem};
use crate::handlers::{accounts, categories, health, identities, ledgers, operations, transactions};

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
        transactions::post, transactions::archive, transactions::reverse,
        operations::deposit, operations::transfer, operations::withdraw,
        health::live, health::ready, health::metrics,
    ),
    components(schemas(
        Problem, FieldError,
        CreateLedgerRequest, LedgerResponse,
        CreateIdentityRequest, IdentityResponse, IdentityKindDto,
        CreateAccountRequest, AccountResponse, AccountKindDto, NormalBalanceDto, BalancesResponse, BalanceResponse,
        StatementLineResponse,
        CreateCategoryRequest, CategoryResponse, CategoryMemberDto, MemberType,
        CreateTransactionRequest, EntryRequest, TransactionResponse, EntryResponse, DirectionDto,
        TransactionStatusDto, InitialStatusDto,
        DepositRequest, TransferRequest, WithdrawalRequest, OperationFields,
        HealthResponse,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "Ledgers", description = "Books of accounts; nothing crosses ledgers."),
        (name = "Identities", description = "People and organisations that own wallets."),
        (name = "Accounts", description = "Ledger accounts and user wallets, with balances and statements."),
        (name = "Categories", description = "Groups of accounts with aggregate balances."),
        (name = "Transactions", description = "The journal: multi-leg entries, holds, posting, reversal."),
        (name = "Wallet operations", description = "Deposit, in-app transfer and withdrawal (2% fee)."),
        (name = "Operations", description = "Health and metrics (no key needed)."),
    )
)]
pub struct ApiDoc;

pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
