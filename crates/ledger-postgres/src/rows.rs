//! Diesel row models and their conversions to and from domain types.
//! Rows are neither API bodies nor domain entities.

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ledger_domain::transaction::TransactionRecord;
use ledger_domain::{
    Account, AccountGroup, AccountId, AccountKind, BalanceCounters, Category, CategoryId, Currency, Direction, Entry,
    GroupId, Identity, IdentityId, IdentityKind, Ledger, LedgerError, LedgerId, Metadata, NormalBalance, Transaction,
    TransactionId, TransactionStatus,
};
use serde_json::Value;
use uuid::Uuid;

use crate::error::corrupt;
use crate::schema::{account_groups, accounts, categories, entries, identities, ledgers, transactions};

/// Metadata as jsonb. jsonb keeps numbers as exact decimals in plain notation
/// (`-1.7976931348623157e308` comes back as a 309-digit integer); with
/// serde_json's `arbitrary_precision` every such number reads back exactly.
pub(crate) fn metadata_value(m: &Metadata) -> Result<Value, LedgerError> {
    Ok(Value::Object(m.clone()))
}

pub(crate) fn metadata_from(v: Value) -> Result<Metadata, LedgerError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(corrupt("metadata", &other.to_string())),
    }
}

fn currency(code: &str) -> Result<Currency, LedgerError> {
    Currency::parse(code).map_err(|_| corrupt("currency", code))
}

fn normal(text: &str) -> Result<NormalBalance, LedgerError> {
    NormalBalance::parse(text).ok_or_else(|| corrupt("normal balance", text))
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = account_groups, check_for_backend(diesel::pg::Pg))]
pub(crate) struct GroupRow {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub name: String,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<&AccountGroup> for GroupRow {
    type Error = LedgerError;
    fn try_from(g: &AccountGroup) -> Result<Self, LedgerError> {
        Ok(Self {
            id: g.id.0,
            ledger_id: g.ledger_id.0,
            name: g.name.clone(),
            metadata: metadata_value(&g.metadata)?,
            created_at: g.created_at,
        })
    }
}

impl TryFrom<GroupRow> for AccountGroup {
    type Error = LedgerError;
    fn try_from(r: GroupRow) -> Result<Self, LedgerError> {
        Ok(Self {
            id: GroupId(r.id),
            ledger_id: LedgerId(r.ledger_id),
            name: r.name,
            metadata: metadata_from(r.metadata)?,
            created_at: r.created_at,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledgers, check_for_backend(diesel::pg::Pg))]
pub(crate) struct LedgerRow {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub metadata: Value,
    pub withdrawal_fee_rate: BigDecimal,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<&Ledger> for LedgerRow {
    type Error = LedgerError;
    fn try_from(l: &Ledger) -> Result<Self, LedgerError> {
        Ok(Self {
            id: l.id.0,
            name: l.name.clone(),
            description: l.description.clone(),
            metadata: metadata_value(&l.metadata)?,
            withdrawal_fee_rate: l.withdrawal_fee_rate.value().clone(),
            created_at: l.created_at,
        })
    }
}

impl TryFrom<LedgerRow> for Ledger {
    type Error = LedgerError;
    fn try_from(r: LedgerRow) -> Result<Self, LedgerError> {
        Ok(Ledger {
            id: LedgerId(r.id),
            name: r.name,
            description: r.description,
            metadata: metadata_from(r.metadata)?,
            withdrawal_fee_rate: ledger_domain::FeeRate::new(r.withdrawal_fee_rate.clone())
                .map_err(|_| corrupt("fee rate", &r.withdrawal_fee_rate.to_string()))?,
            created_at: r.created_at,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = identities, check_for_backend(diesel::pg::Pg))]
pub(crate) struct IdentityRow {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub kind: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub organization_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<&Identity> for IdentityRow {
    type Error = LedgerError;
    fn try_from(i: &Identity) -> Result<Self, LedgerError> {
        Ok(Self {
            id: i.id.0,
            ledger_id: i.ledger_id.0,
            kind: i.kind.as_str().to_owned(),
            first_name: i.first_name.clone(),
            last_name: i.last_name.clone(),
            organization_name: i.organization_name.clone(),
            email: i.email.clone(),
            phone: i.phone.clone(),
            metadata: metadata_value(&i.metadata)?,
            created_at: i.created_at,
        })
    }
}

impl TryFrom<IdentityRow> for Identity {
    type Error = LedgerError;
    fn try_from(r: IdentityRow) -> Result<Self, LedgerError> {
        Ok(Identity {
            id: IdentityId(r.id),
            ledger_id: LedgerId(r.ledger_id),
            kind: IdentityKind::parse(&r.kind).ok_or_else(|| corrupt("identity kind", &r.kind))?,
            first_name: r.first_name,
            last_name: r.last_name,
            organization_name: r.organization_name,
            email: r.email,
            phone: r.phone,
            metadata: metadata_from(r.metadata)?,
            created_at: r.created_at,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts, check_for_backend(diesel::pg::Pg))]
pub(crate) struct AccountRow {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub kind: String,
    pub normal_balance: String,
    pub currency: String,
    pub identity_id: Option<Uuid>,
    pub overdraft_limit: Option<BigDecimal>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<&Account> for AccountRow {
    type Error = LedgerError;
    fn try_from(a: &Account) -> Result<Self, LedgerError> {
        Ok(Self {
            id: a.id.0,
            ledger_id: a.ledger_id.0,
            name: a.name.clone(),
            code: a.code.clone(),
            kind: a.kind.as_str().to_owned(),
            normal_balance: a.normal_balance.as_str().to_owned(),
            currency: a.currency.code().to_owned(),
            identity_id: a.identity_id.map(|i| i.0),
            overdraft_limit: a.overdraft_limit.clone(),
            metadata: metadata_value(&a.metadata)?,
            created_at: a.created_at,
        })
    }
}

impl AccountRow {
    pub fn into_account(self, totals: Option<Totals>) -> Result<Account, LedgerError> {
        let currency = currency(&self.currency)?;
        let head = Account {
            id: AccountId(self.id),
            ledger_id: LedgerId(self.ledger_id),
            name: self.name,
            code: self.code,
            kind: AccountKind::parse(&self.kind).ok_or_else(|| corrupt("account kind", &self.kind))?,
            normal_balance: normal(&self.normal_balance)?,
            currency,
            identity_id: self.identity_id.map(IdentityId),
            overdraft_limit: self.overdraft_limit,
            metadata: metadata_from(self.metadata)?,
            created_at: self.created_at,
            version: 0,
            counters: BalanceCounters::default(),
        };
        Ok(with_counters(head, totals))
    }
}

/// An account head with its counters, at the currency's scale.
pub(crate) fn with_counters(account: Account, totals: Option<Totals>) -> Account {
    let exponent = i64::from(account.currency.exponent());
    match totals {
        Some((c, version)) => Account {
            counters: BalanceCounters {
                posted_debits: c.posted_debits.with_scale(exponent),
                posted_credits: c.posted_credits.with_scale(exponent),
                pending_debits: c.pending_debits.with_scale(exponent),
                pending_credits: c.pending_credits.with_scale(exponent),
            },
            version,
            ..account
        },
        None => account,
    }
}

/// An account's counters and version, summed over its counter rows (one per
/// account since the group-commit migration).
pub(crate) type Totals = (BalanceCounters, i64);

/// Read side only: postings are written by [`crate::fast`].
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = transactions, check_for_backend(diesel::pg::Pg))]
pub(crate) struct TransactionRow {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub status: String,
    pub description: Option<String>,
    pub metadata: Value,
    pub effective_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub reverses_id: Option<Uuid>,
    pub reversed_by_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub posted_at: Option<DateTime<Utc>>,
    pub partial_of: Option<Uuid>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = entries, check_for_backend(diesel::pg::Pg))]
pub(crate) struct EntryRow {
    pub transaction_id: Uuid,
    pub account_id: Uuid,
    pub direction: String,
    pub amount: BigDecimal,
    pub currency: String,
    pub account_version: Option<i64>,
}

pub(crate) fn to_transaction(row: TransactionRow, entries: Vec<EntryRow>) -> Result<Transaction, LedgerError> {
    let entries = entries
        .into_iter()
        .map(|e| {
            let currency = currency(&e.currency)?;
            Ok(Entry {
                account_id: AccountId(e.account_id),
                direction: Direction::parse(&e.direction).ok_or_else(|| corrupt("direction", &e.direction))?,
                amount: e.amount.with_scale(i64::from(currency.exponent())),
                currency,
                account_version: e.account_version,
            })
        })
        .collect::<Result<Vec<_>, LedgerError>>()?;
    Transaction::restore(TransactionRecord {
        id: TransactionId(row.id),
        ledger_id: LedgerId(row.ledger_id),
        status: TransactionStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?,
        entries,
        description: row.description,
        metadata: metadata_from(row.metadata)?,
        effective_at: row.effective_at,
        external_id: row.external_id,
        reverses_id: row.reverses_id.map(TransactionId),
        reversed_by_id: row.reversed_by_id.map(TransactionId),
        partial_of: row.partial_of.map(TransactionId),
        created_at: row.created_at,
        posted_at: row.posted_at,
    })
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = categories, check_for_backend(diesel::pg::Pg))]
pub(crate) struct CategoryRow {
    pub id: Uuid,
    pub ledger_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub currency: String,
    pub normal_balance: String,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<&Category> for CategoryRow {
    type Error = LedgerError;
    fn try_from(c: &Category) -> Result<Self, LedgerError> {
        Ok(Self {
            id: c.id.0,
            ledger_id: c.ledger_id.0,
            name: c.name.clone(),
            description: c.description.clone(),
            currency: c.currency.code().to_owned(),
            normal_balance: c.normal_balance.as_str().to_owned(),
            metadata: metadata_value(&c.metadata)?,
            created_at: c.created_at,
        })
    }
}

impl TryFrom<CategoryRow> for Category {
    type Error = LedgerError;
    fn try_from(r: CategoryRow) -> Result<Self, LedgerError> {
        Ok(Category {
            id: CategoryId(r.id),
            ledger_id: LedgerId(r.ledger_id),
            name: r.name,
            description: r.description,
            currency: currency(&r.currency)?,
            normal_balance: normal(&r.normal_balance)?,
            metadata: metadata_from(r.metadata)?,
            created_at: r.created_at,
        })
    }
}
