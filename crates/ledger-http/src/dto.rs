//! Request and response bodies. Neither domain types nor rows: requests are
//! validated and converted with `TryFrom`, responses are built from domain
//! values. Amounts travel as decimal strings, never as JSON numbers.

use chrono::{DateTime, Utc};
use ledger_domain::access::Scope;
use ledger_domain::money::{format_fixed, parse_decimal};
use ledger_domain::service::StatementLine;
use ledger_domain::{
    Account, AccountKind, Balance, Balances, Category, CategoryMember, Currency, Direction, Identity, IdentityKind,
    InitialStatus, Ledger, Metadata, NormalBalance, Transaction, TransactionStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::ApiError;

// ------------------------------------------------------------------ enums

macro_rules! api_enum {
    ($(#[$doc:meta])* $name:ident => $domain:ty { $($variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl From<$name> for $domain {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => <$domain>::$variant),* }
            }
        }

        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                match v { $(<$domain>::$variant => $name::$variant),* }
            }
        }
    };
}

api_enum!(/// `asset`, `liability` (user wallets), `equity`, `revenue` or `expense`.
    AccountKindDto => AccountKind { Asset, Liability, Equity, Revenue, Expense });
api_enum!(/// Which side increases the account.
    NormalBalanceDto => NormalBalance { Debit, Credit });
api_enum!(/// `debit` or `credit`.
    DirectionDto => Direction { Debit, Credit });
api_enum!(/// `pending` → `posted` | `archived`.
    TransactionStatusDto => TransactionStatus { Pending, Posted, Archived });
api_enum!(/// `individual` or `organization`.
    IdentityKindDto => IdentityKind { Individual, Organization });
api_enum!(/// `read`, `write` or `admin`.
    ScopeDto => Scope { Read, Write, Admin });

/// Status a new transaction starts in: `posted` (default) or `pending` (a hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum InitialStatusDto {
    Pending,
    #[default]
    Posted,
}

impl From<InitialStatusDto> for InitialStatus {
    fn from(v: InitialStatusDto) -> Self {
        match v {
            InitialStatusDto::Pending => InitialStatus::Pending,
            InitialStatusDto::Posted => InitialStatus::Posted,
        }
    }
}

// ---------------------------------------------------------------- helpers

pub fn currency(field: &str, code: &str) -> Result<Currency, ApiError> {
    Currency::parse(code).map_err(|e| ApiError::validation(field, e.to_string()))
}

pub fn amount(field: &str, text: &str, currency: Currency) -> Result<ledger_domain::money::Amount, ApiError> {
    ledger_domain::money::Amount::parse(text, currency).map_err(|e| ApiError::validation(field, e.to_string()))
}

pub fn decimal(field: &str, text: &str) -> Result<bigdecimal::BigDecimal, ApiError> {
    parse_decimal(text).map_err(|e| ApiError::validation(field, e.to_string()))
}

fn validated<T: Validate>(value: &T) -> Result<(), ApiError> {
    value.validate().map_err(|errors| {
        let mut fields: Vec<crate::error::FieldError> = Vec::new();
        for (field, errs) in errors.field_errors() {
            for e in errs {
                fields.push(crate::error::FieldError {
                    field: field.to_string(),
                    message: e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| e.code.to_string()),
                });
            }
        }
        let mut err = ApiError::validation("body", "invalid fields");
        err.detail = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        err.errors = fields;
        err
    })
}

/// Metadata is a JSON object of at most 64 keys.
pub fn check_metadata(metadata: &Option<Metadata>) -> Result<Metadata, ApiError> {
    let m = metadata.clone().unwrap_or_default();
    if m.len() > 64 {
        return Err(ApiError::validation("metadata", "at most 64 keys"));
    }
    if m.keys().any(|k| k.is_empty() || k.chars().count() > 64) {
        return Err(ApiError::validation("metadata", "keys are 1 to 64 characters"));
    }
    Ok(m)
}

// ----------------------------------------------------------------- ledgers

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme wallets", "description": "Production book", "withdrawal_fee_rate": "0.02"}))]
pub struct CreateLedgerRequest {
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
    /// Decimal in [0, 1); default `"0.02"` (2%).
    #[schema(example = "0.02", pattern = "^0(\\.[0-9]{1,8})?$")]
    pub withdrawal_fee_rate: Option<String>,
}

impl TryFrom<CreateLedgerRequest> for ledger_domain::NewLedger {
    type Error = ApiError;
    fn try_from(r: CreateLedgerRequest) -> Result<Self, ApiError> {
        validated(&r)?;
        let rate = r
            .withdrawal_fee_rate
            .as_deref()
            .map(|t| {
                let value = decimal("withdrawal_fee_rate", t)?;
                ledger_domain::FeeRate::new(value)
                    .map_err(|e| ApiError::validation("withdrawal_fee_rate", e.to_string()))
            })
            .transpose()?;
        Ok(Self {
            metadata: check_metadata(&r.metadata)?,
            name: r.name,
            description: r.description,
            withdrawal_fee_rate: rate,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LedgerResponse {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    #[schema(example = "0.02")]
    pub withdrawal_fee_rate: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Ledger> for LedgerResponse {
    fn from(l: &Ledger) -> Self {
        Self {
            id: l.id.0,
            name: l.name.clone(),
            description: l.description.clone(),
            metadata: l.metadata.clone(),
            withdrawal_fee_rate: l.withdrawal_fee_rate.value().to_plain_string(),
            created_at: l.created_at,
        }
    }
}

// -------------------------------------------------------------- identities

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ledger_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b", "kind": "individual", "first_name": "Alice", "last_name": "Johnson", "email": "alice@example.com"}))]
pub struct CreateIdentityRequest {
    pub ledger_id: Uuid,
    pub kind: IdentityKindDto,
    /// An `individual` needs a first or a last name.
    #[validate(length(max = 255, message = "at most 255 characters"))]
    #[schema(max_length = 255)]
    pub first_name: Option<String>,
    #[validate(length(max = 255, message = "at most 255 characters"))]
    #[schema(max_length = 255)]
    pub last_name: Option<String>,
    /// An `organization` needs one.
    #[validate(length(max = 255, message = "at most 255 characters"))]
    #[schema(max_length = 255)]
    pub organization_name: Option<String>,
    #[validate(email(message = "must be an email address"))]
    #[schema(format = Email)]
    pub email: Option<String>,
    #[validate(length(min = 3, max = 32, message = "3 to 32 characters"))]
    #[schema(min_length = 3, max_length = 32)]
    pub phone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
}

impl TryFrom<CreateIdentityRequest> for ledger_domain::NewIdentity {
    type Error = ApiError;
    fn try_from(r: CreateIdentityRequest) -> Result<Self, ApiError> {
        validated(&r)?;
        Ok(Self {
            metadata: check_metadata(&r.metadata)?,
            ledger_id: r.ledger_id.into(),
            kind: r.kind.into(),
            first_name: r.first_name,
            last_name: r.last_name,
            organization_name: r.organization_name,
            email: r.email,
            phone: r.phone,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IdentityResponse {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub kind: IdentityKindDto,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub organization_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
}

impl From<&Identity> for IdentityResponse {
    fn from(i: &Identity) -> Self {
        Self {
            id: i.id.0,
            ledger_id: i.ledger_id.0,
            kind: i.kind.into(),
            first_name: i.first_name.clone(),
            last_name: i.last_name.clone(),
            organization_name: i.organization_name.clone(),
            email: i.email.clone(),
            phone: i.phone.clone(),
            metadata: i.metadata.clone(),
            created_at: i.created_at,
        }
    }
}

// ---------------------------------------------------------------- accounts

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ledger_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b", "name": "Alice main wallet", "kind": "liability", "currency": "USD", "identity_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6c", "metadata": {"wallet_type": "main"}}))]
pub struct CreateAccountRequest {
    pub ledger_id: Uuid,
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// Unique per ledger, e.g. `bank:reserve`. `cash:` and `revenue:` are reserved.
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128, pattern = "^[A-Za-z0-9:_.-]+$")]
    pub code: Option<String>,
    pub kind: AccountKindDto,
    /// Defaults to the kind's (debit for asset and expense, credit otherwise);
    /// give the opposite for a contra account.
    pub normal_balance: Option<NormalBalanceDto>,
    /// ISO 4217 code.
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    pub identity_id: Option<Uuid>,
    /// How far the available balance may go below zero: a decimal string, or
    /// `"unlimited"`. Default: `"0"` for liabilities (wallets), unlimited otherwise.
    #[schema(example = "0", pattern = "^((0|[1-9][0-9]{0,29})(\\.[0-9]{1,4})?|unlimited)$")]
    pub overdraft_limit: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
}

impl TryFrom<CreateAccountRequest> for ledger_domain::NewAccount {
    type Error = ApiError;
    fn try_from(r: CreateAccountRequest) -> Result<Self, ApiError> {
        validated(&r)?;
        let overdraft_limit = match r.overdraft_limit.as_deref() {
            None => None,
            Some("unlimited") => Some(ledger_domain::OverdraftLimit::Unlimited),
            Some(t) => Some(ledger_domain::OverdraftLimit::Limited(decimal("overdraft_limit", t)?)),
        };
        Ok(Self {
            metadata: check_metadata(&r.metadata)?,
            currency: currency("currency", &r.currency)?,
            ledger_id: r.ledger_id.into(),
            name: r.name,
            code: r.code,
            kind: r.kind.into(),
            normal_balance: r.normal_balance.map(Into::into),
            identity_id: r.identity_id.map(Into::into),
            overdraft_limit,
        })
    }
}

/// One balance: debits, credits and the amount signed by the normal balance.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct BalanceResponse {
    #[schema(example = "100.00")]
    pub debits: String,
    #[schema(example = "1000.00")]
    pub credits: String,
    #[schema(example = "900.00")]
    pub amount: String,
}

impl BalanceResponse {
    fn new(b: &Balance, exponent: u16) -> Self {
        Self {
            debits: format_fixed(&b.debits, exponent),
            credits: format_fixed(&b.credits, exponent),
            amount: format_fixed(&b.amount, exponent),
        }
    }
}

/// `posted`: posted entries. `pending`: posted and pending. `available`:
/// posted, minus pending outgoing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct BalancesResponse {
    pub posted: BalanceResponse,
    pub pending: BalanceResponse,
    pub available: BalanceResponse,
}

impl BalancesResponse {
    pub fn new(b: &Balances, currency: Currency) -> Self {
        let e = currency.exponent();
        Self {
            posted: BalanceResponse::new(&b.posted, e),
            pending: BalanceResponse::new(&b.pending, e),
            available: BalanceResponse::new(&b.available, e),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountResponse {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub kind: AccountKindDto,
    pub normal_balance: NormalBalanceDto,
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    pub identity_id: Option<Uuid>,
    /// `null` means unlimited.
    #[schema(example = "0.00")]
    pub overdraft_limit: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
    /// Incremented by every posting that touches the account.
    pub version: i64,
    pub balances: BalancesResponse,
    /// Set when the balances are "as of" a time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

impl AccountResponse {
    pub fn new(a: &Account, balances: &Balances, as_of: Option<DateTime<Utc>>) -> Self {
        Self {
            id: a.id.0,
            ledger_id: a.ledger_id.0,
            name: a.name.clone(),
            code: a.code.clone(),
            kind: a.kind.into(),
            normal_balance: a.normal_balance.into(),
            currency: a.currency.code().to_owned(),
            identity_id: a.identity_id.map(|i| i.0),
            overdraft_limit: a
                .overdraft_limit
                .as_ref()
                .map(|l| format_fixed(l, a.currency.exponent())),
            metadata: a.metadata.clone(),
            created_at: a.created_at,
            version: a.version,
            balances: BalancesResponse::new(balances, a.currency),
            as_of,
        }
    }
}

impl From<&Account> for AccountResponse {
    fn from(a: &Account) -> Self {
        Self::new(a, &a.balances(), None)
    }
}

/// One posted entry with the account's posted balance after it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatementLineResponse {
    pub transaction_id: Uuid,
    pub line: i32,
    pub direction: DirectionDto,
    /// Decimal string > 0 with at most the currency's decimals (USD 2, JPY 0, BHD 3).
    #[schema(example = "200.00")]
    pub amount: String,
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    pub effective_at: DateTime<Utc>,
    pub description: Option<String>,
    #[schema(example = "700.00")]
    pub running_balance: String,
}

impl StatementLineResponse {
    pub fn new(l: &StatementLine, currency: Currency) -> Self {
        let e = currency.exponent();
        Self {
            transaction_id: l.entry.transaction_id.0,
            line: l.entry.line,
            direction: l.entry.direction.into(),
            amount: format_fixed(&l.entry.amount, e),
            currency: currency.code().to_owned(),
            effective_at: l.entry.effective_at,
            description: l.entry.description.clone(),
            running_balance: format_fixed(&l.running_balance, e),
        }
    }
}

// -------------------------------------------------------------- categories

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ledger_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b", "name": "User balances", "currency": "USD", "normal_balance": "credit"}))]
pub struct CreateCategoryRequest {
    pub ledger_id: Uuid,
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    pub normal_balance: NormalBalanceDto,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
}

impl TryFrom<CreateCategoryRequest> for ledger_domain::NewCategory {
    type Error = ApiError;
    fn try_from(r: CreateCategoryRequest) -> Result<Self, ApiError> {
        validated(&r)?;
        Ok(Self {
            metadata: check_metadata(&r.metadata)?,
            currency: currency("currency", &r.currency)?,
            ledger_id: r.ledger_id.into(),
            name: r.name,
            description: r.description,
            normal_balance: r.normal_balance.into(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberType {
    Account,
    Category,
}

/// An account or a category inside a category.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "account", "id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b"}))]
pub struct CategoryMemberDto {
    #[serde(rename = "type")]
    pub member_type: MemberType,
    pub id: Uuid,
}

impl From<CategoryMemberDto> for CategoryMember {
    fn from(m: CategoryMemberDto) -> Self {
        match m.member_type {
            MemberType::Account => CategoryMember::Account(m.id.into()),
            MemberType::Category => CategoryMember::Category(m.id.into()),
        }
    }
}

impl From<&CategoryMember> for CategoryMemberDto {
    fn from(m: &CategoryMember) -> Self {
        match m {
            CategoryMember::Account(a) => Self {
                member_type: MemberType::Account,
                id: a.0,
            },
            CategoryMember::Category(c) => Self {
                member_type: MemberType::Category,
                id: c.0,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryResponse {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    pub normal_balance: NormalBalanceDto,
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
    pub members: Vec<CategoryMemberDto>,
    /// Sums of the members' balances, sign-adjusted to this normal balance.
    pub balances: BalancesResponse,
}

impl CategoryResponse {
    pub fn new(c: &Category, members: &[CategoryMember], balances: &Balances) -> Self {
        Self {
            id: c.id.0,
            ledger_id: c.ledger_id.0,
            name: c.name.clone(),
            description: c.description.clone(),
            currency: c.currency.code().to_owned(),
            normal_balance: c.normal_balance.into(),
            metadata: c.metadata.clone(),
            created_at: c.created_at,
            members: members.iter().map(Into::into).collect(),
            balances: BalancesResponse::new(balances, c.currency),
        }
    }
}

// ------------------------------------------------------------ transactions

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    pub account_id: Uuid,
    pub direction: DirectionDto,
    /// Decimal string, > 0, at most the currency's decimals.
    #[schema(example = "100.00")]
    pub amount: String,
    /// Optional; must equal the account's currency when given.
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// The account's `version` must still be this: a posting computed from a
    /// balance the client read is refused (422 `condition_failed`) if anything
    /// touched the account since.
    /// An integer (`7` or `7.0`: JSON does not tell them apart).
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub lock_version: Option<serde_json::Number>,
    /// Bounds on the account's pending balance after the posting.
    pub pending_balance_amount: Option<BoundsRequest>,
    /// Bounds on the account's posted balance after the posting.
    pub posted_balance_amount: Option<BoundsRequest>,
    /// Bounds on the account's available balance after the posting.
    pub available_balance_amount: Option<BoundsRequest>,
}

/// Bounds a balance must satisfy after the posting; all given ones apply.
/// Decimal strings, may be negative.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"gte": "0.00"}))]
pub struct BoundsRequest {
    #[schema(pattern = "^-?(0|[1-9][0-9]{0,29})(\\.[0-9]{1,4})?$")]
    pub gt: Option<String>,
    #[schema(pattern = "^-?(0|[1-9][0-9]{0,29})(\\.[0-9]{1,4})?$")]
    pub gte: Option<String>,
    #[schema(pattern = "^-?(0|[1-9][0-9]{0,29})(\\.[0-9]{1,4})?$")]
    pub lt: Option<String>,
    #[schema(pattern = "^-?(0|[1-9][0-9]{0,29})(\\.[0-9]{1,4})?$")]
    pub lte: Option<String>,
    #[schema(pattern = "^-?(0|[1-9][0-9]{0,29})(\\.[0-9]{1,4})?$")]
    pub eq: Option<String>,
}

/// A lock version from a JSON number: an integer, whether written `7` or `7.0`.
fn version(field: &str, n: &serde_json::Number) -> Result<i64, ApiError> {
    let text = n.to_string();
    let value: bigdecimal::BigDecimal = text.parse().map_err(|_| ApiError::validation(field, "not a number"))?;
    if !value.is_integer() {
        return Err(ApiError::validation(field, "an integer"));
    }
    bigdecimal::ToPrimitive::to_i64(&value)
        .filter(|v| *v >= 0)
        .ok_or_else(|| ApiError::validation(field, "0 to 2^63 − 1"))
}

/// The conditions a transaction's entries state, per account (several entries
/// on one account add up their conditions).
pub fn entry_conditions<'a>(
    entries: impl Iterator<Item = (usize, Uuid, Option<i64>, [Option<&'a BoundsRequest>; 3])>,
) -> Result<std::collections::BTreeMap<ledger_domain::AccountId, ledger_domain::posting::AccountCondition>, ApiError> {
    use ledger_domain::posting::{AccountCondition, BalanceBound, BalanceKind, BoundOp};
    let mut out: std::collections::BTreeMap<ledger_domain::AccountId, AccountCondition> = Default::default();
    for (i, account, lock_version, bounds) in entries {
        let mut condition = AccountCondition {
            lock_version,
            bounds: Vec::new(),
        };
        for (kind, b) in [BalanceKind::Pending, BalanceKind::Posted, BalanceKind::Available]
            .into_iter()
            .zip(bounds)
        {
            let Some(b) = b else { continue };
            for (op, value) in [
                (BoundOp::Gt, &b.gt),
                (BoundOp::Gte, &b.gte),
                (BoundOp::Lt, &b.lt),
                (BoundOp::Lte, &b.lte),
                (BoundOp::Eq, &b.eq),
            ] {
                if let Some(v) = value {
                    let field = format!("entries[{i}].{}_balance_amount.{}", kind.as_str(), op.as_str());
                    condition.bounds.push(BalanceBound {
                        balance: kind,
                        op,
                        value: decimal(&field, v)?,
                    });
                }
            }
        }
        if condition == AccountCondition::default() {
            continue;
        }
        let merged = out.entry(account.into()).or_default();
        if let (Some(a), Some(b)) = (merged.lock_version, condition.lock_version)
            && a != b
        {
            return Err(ApiError::validation(
                format!("entries[{i}].lock_version"),
                "two entries on one account expect different lock versions",
            ));
        }
        merged.lock_version = merged.lock_version.or(condition.lock_version);
        merged.bounds.extend(condition.bounds);
    }
    Ok(out)
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "ledger_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b",
    "entries": [
        {"account_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01", "direction": "debit", "amount": "50.00", "currency": "USD"},
        {"account_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a02", "direction": "credit", "amount": "50.00", "currency": "USD"}
    ],
    "description": "Card fee paid to the processor"
}))]
pub struct CreateTransactionRequest {
    pub ledger_id: Uuid,
    #[serde(default)]
    pub status: InitialStatusDto,
    #[validate(length(min = 2, max = 500))]
    #[schema(min_items = 2, max_items = 500)]
    pub entries: Vec<EntryRequest>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
    /// For reporting: back- or future-dating. Default: now.
    pub effective_at: Option<DateTime<Utc>>,
    /// Unique per ledger among pending and posted transactions.
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub external_id: Option<String>,
    /// Lets every account of this transaction go below its overdraft limit,
    /// for this posting only (e.g. an external source such as a bank).
    #[serde(default)]
    pub allow_overdraft: bool,
}

impl TryFrom<CreateTransactionRequest> for ledger_domain::TransactionDraft {
    type Error = ApiError;
    fn try_from(r: CreateTransactionRequest) -> Result<Self, ApiError> {
        validated(&r)?;
        let entries = r
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Ok(ledger_domain::EntryDraft {
                    account_id: e.account_id.into(),
                    direction: e.direction.into(),
                    amount: decimal(&format!("entries[{i}].amount"), &e.amount)?,
                    currency: e
                        .currency
                        .as_deref()
                        .map(|c| currency(&format!("entries[{i}].currency"), c))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let overdraft_allowed = if r.allow_overdraft {
            entries.iter().map(|e| e.account_id).collect()
        } else {
            Default::default()
        };
        let versions = r
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                e.lock_version
                    .as_ref()
                    .map(|n| version(&format!("entries[{i}].lock_version"), n))
                    .transpose()
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let conditions = entry_conditions(r.entries.iter().zip(versions).enumerate().map(|(i, (e, v))| {
            (
                i,
                e.account_id,
                v,
                [
                    e.pending_balance_amount.as_ref(),
                    e.posted_balance_amount.as_ref(),
                    e.available_balance_amount.as_ref(),
                ],
            )
        }))?;
        Ok(Self {
            metadata: check_metadata(&r.metadata)?,
            ledger_id: Some(r.ledger_id.into()),
            status: r.status.into(),
            entries,
            description: r.description,
            effective_at: r.effective_at,
            external_id: r.external_id,
            overdraft_allowed,
            conditions,
        })
    }
}

/// The part of a pending transaction to post now; the rest stays pending as a
/// new transaction, and the original is archived.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "entries": [
        {"account_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01", "direction": "debit", "amount": "30.00"},
        {"account_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a02", "direction": "credit", "amount": "30.00"}
    ]
}))]
pub struct PartialPostRequest {
    /// Lines of the pending transaction with the amounts to post (at most what
    /// it holds on each), balanced per currency.
    #[validate(length(min = 2, max = 500))]
    #[schema(min_items = 2, max_items = 500)]
    pub entries: Vec<PartialPostEntry>,
}

/// An account and direction of the pending transaction, and how much of it to
/// post now (in the pending transaction's currency for that account).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartialPostEntry {
    pub account_id: Uuid,
    pub direction: DirectionDto,
    /// Decimal string, > 0, at most the currency's decimals.
    #[schema(example = "30.00")]
    pub amount: String,
}

impl PartialPostRequest {
    pub fn lines(
        &self,
    ) -> Result<
        Vec<(
            ledger_domain::AccountId,
            ledger_domain::Direction,
            bigdecimal::BigDecimal,
        )>,
        ApiError,
    > {
        validated(self)?;
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Ok((
                    e.account_id.into(),
                    e.direction.into(),
                    decimal(&format!("entries[{i}].amount"), &e.amount)?,
                ))
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct EntryResponse {
    pub account_id: Uuid,
    pub direction: DirectionDto,
    /// Decimal string > 0 with at most the currency's decimals (USD 2, JPY 0, BHD 3).
    #[schema(example = "100.00")]
    pub amount: String,
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TransactionResponse {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub status: TransactionStatusDto,
    pub entries: Vec<EntryResponse>,
    pub description: Option<String>,
    /// Wallet operations set `transaction_type`: `deposit`, `transfer` or `withdrawal`.
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    pub effective_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub reverses_id: Option<Uuid>,
    pub reversed_by_id: Option<Uuid>,
    /// Set on the posted part and on the pending remainder of a partial post:
    /// the pending transaction they were split from.
    pub partial_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub posted_at: Option<DateTime<Utc>>,
}

impl From<&Transaction> for TransactionResponse {
    fn from(t: &Transaction) -> Self {
        Self {
            id: t.id().0,
            ledger_id: t.ledger_id().0,
            status: t.status().into(),
            entries: t
                .entries()
                .iter()
                .map(|e| EntryResponse {
                    account_id: e.account_id.0,
                    direction: e.direction.into(),
                    amount: format_fixed(&e.amount, e.currency.exponent()),
                    currency: e.currency.code().to_owned(),
                })
                .collect(),
            description: t.description().map(str::to_owned),
            metadata: t.metadata().clone(),
            effective_at: t.effective_at(),
            external_id: t.external_id().map(str::to_owned),
            reverses_id: t.reverses_id().map(|i| i.0),
            reversed_by_id: t.reversed_by_id().map(|i| i.0),
            partial_of: t.partial_of().map(|i| i.0),
            created_at: t.created_at(),
            posted_at: t.posted_at(),
        }
    }
}

// ------------------------------------------------------ wallet operations

/// Declares a wallet operation's request: its own fields plus the fields every
/// wallet operation accepts, inline (a `#[serde(flatten)]` would buffer the
/// body through serde's `Content`, which cannot hold the exact big numbers a
/// metadata value may carry).
macro_rules! wallet_operation {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        #[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
        #[serde(deny_unknown_fields)]
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// `pending` to hold (e.g. an ACH deposit not yet cleared); default `posted`.
            #[serde(default)]
            pub status: InitialStatusDto,
            pub effective_at: Option<DateTime<Utc>>,
            #[validate(length(min = 1, max = 255))]
            #[schema(min_length = 1, max_length = 255)]
            pub external_id: Option<String>,
            #[validate(length(max = 1000))]
            #[schema(max_length = 1000)]
            pub description: Option<String>,
            #[schema(value_type = Option<Object>)]
            pub metadata: Option<Metadata>,
            /// Lets the debited wallet (transfer, withdrawal) go below its
            /// overdraft limit, for this posting only.
            #[serde(default)]
            pub allow_overdraft: bool,
        }

        impl $name {
            /// The fields every wallet operation accepts, checked.
            fn options(&self) -> Result<ledger_domain::service::OperationOptions, ApiError> {
                validated(self)?;
                Ok(ledger_domain::service::OperationOptions {
                    metadata: check_metadata(&self.metadata)?,
                    status: self.status.into(),
                    effective_at: self.effective_at,
                    external_id: self.external_id.clone(),
                    description: self.description.clone(),
                    idempotency: None,
                    overdraft_allowed: self.allow_overdraft,
                })
            }
        }
    };
}

wallet_operation! {
    /// Money in from outside: debits cash, credits the wallet.
    #[schema(example = json!({"ledger_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b", "wallet_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01", "amount": "1000.00", "currency": "USD", "description": "Top-up"}))]
    pub struct DepositRequest {
        pub ledger_id: Uuid,
        pub wallet_id: Uuid,
        /// Decimal string > 0 with at most the currency's decimals (USD 2, JPY 0, BHD 3).
        #[schema(example = "1000.00")]
        pub amount: String,
        #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
        pub currency: String,
        /// Another cash (asset) account than the ledger's `cash:<CCY>`.
        pub cash_account_id: Option<Uuid>,
    }
}

wallet_operation! {
    /// Between two wallets of one ledger and currency.
    #[schema(example = json!({"ledger_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b", "from_wallet_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01", "to_wallet_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a02", "amount": "200.00", "currency": "USD"}))]
    pub struct TransferRequest {
        pub ledger_id: Uuid,
        pub from_wallet_id: Uuid,
        pub to_wallet_id: Uuid,
        /// Decimal string > 0 with at most the currency's decimals (USD 2, JPY 0, BHD 3).
        #[schema(example = "200.00")]
        pub amount: String,
        #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
        pub currency: String,
    }
}

wallet_operation! {
    /// Money out: debits the wallet by the amount, credits cash by amount − fee and
    /// fee revenue by the fee (ledger's rate, rounded half-up).
    #[schema(example = json!({"ledger_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a6b", "wallet_id": "0193a0c4-7d2e-7b5e-8f0a-3c1d2e4f5a01", "amount": "100.00", "currency": "USD"}))]
    pub struct WithdrawalRequest {
        pub ledger_id: Uuid,
        pub wallet_id: Uuid,
        /// Decimal string > 0 with at most the currency's decimals (USD 2, JPY 0, BHD 3).
        #[schema(example = "100.00")]
        pub amount: String,
        #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
        pub currency: String,
        /// Another cash (asset) account than the ledger's `cash:<CCY>`.
        pub cash_account_id: Option<Uuid>,
    }
}

impl TryFrom<DepositRequest> for ledger_domain::service::Deposit {
    type Error = ApiError;
    fn try_from(r: DepositRequest) -> Result<Self, ApiError> {
        Ok(Self {
            ledger_id: r.ledger_id.into(),
            wallet_id: r.wallet_id.into(),
            amount: amount("amount", &r.amount, currency("currency", &r.currency)?)?,
            cash_account_id: r.cash_account_id.map(Into::into),
            options: r.options()?,
        })
    }
}

impl TryFrom<TransferRequest> for ledger_domain::service::Transfer {
    type Error = ApiError;
    fn try_from(r: TransferRequest) -> Result<Self, ApiError> {
        Ok(Self {
            ledger_id: r.ledger_id.into(),
            from_wallet_id: r.from_wallet_id.into(),
            to_wallet_id: r.to_wallet_id.into(),
            amount: amount("amount", &r.amount, currency("currency", &r.currency)?)?,
            options: r.options()?,
        })
    }
}

impl TryFrom<WithdrawalRequest> for ledger_domain::service::Withdrawal {
    type Error = ApiError;
    fn try_from(r: WithdrawalRequest) -> Result<Self, ApiError> {
        Ok(Self {
            ledger_id: r.ledger_id.into(),
            wallet_id: r.wallet_id.into(),
            amount: amount("amount", &r.amount, currency("currency", &r.currency)?)?,
            cash_account_id: r.cash_account_id.map(Into::into),
            options: r.options()?,
        })
    }
}

// ---------------------------------------------------------------- API keys

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "payouts service", "scope": "write"}))]
pub struct CreateApiKeyRequest {
    /// To recognise the key by in lists.
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    pub scope: ScopeDto,
}

impl CreateApiKeyRequest {
    /// The name and scope, checked.
    pub fn parse(self) -> Result<(String, Scope), ApiError> {
        validated(&self)?;
        Ok((self.name, self.scope.into()))
    }
}

/// An API key as listed: never its secret, only the secret's first characters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the secret.
    #[schema(example = "wlk_3f9a2c1b")]
    pub prefix: String,
    pub scope: ScopeDto,
    pub created_at: DateTime<Utc>,
    /// When it was revoked; `null` while it works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&ledger_domain::access::ApiKey> for ApiKeyResponse {
    fn from(k: &ledger_domain::access::ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scope: k.scope.into(),
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new API key with its secret, which is shown this once (only a hash of
/// it is stored).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    #[serde(flatten)]
    pub key: ApiKeyResponse,
    /// Send it as `Authorization: Bearer <secret>`. Shown once.
    #[schema(example = "wlk_3f9a2c1b0d6e4f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b")]
    pub secret: String,
}

// ------------------------------------------------------------------- lists

/// A page of results. Pass `next_cursor` as `cursor` for the next page; `null`
/// means this is the last page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The documented shape of each list: a named page type whose items
/// reference the same schema as a single read (generated clients get one
/// model per concept). Serialised by [`Page`].
macro_rules! page_schemas {
    ($($page:ident => $item:ident),* $(,)?) => {$(
        #[doc = concat!("A page of `", stringify!($item), "`. Pass `next_cursor` as `cursor` for the next page; `null` means this is the last page.")]
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
        pub struct $page {
            pub data: Vec<$item>,
            pub next_cursor: Option<String>,
        }
    )*};
}

page_schemas!(
    LedgerPage => LedgerResponse,
    IdentityPage => IdentityResponse,
    AccountPage => AccountResponse,
    StatementPage => StatementLineResponse,
    CategoryPage => CategoryResponse,
    TransactionPage => TransactionResponse,
    ApiKeyPage => ApiKeyResponse,
);

/// Liveness and readiness.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    #[schema(example = "ok")]
    pub status: String,
}
