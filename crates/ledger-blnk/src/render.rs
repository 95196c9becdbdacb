//! Blnk's objects, rendered from ours, and Blnk's prefixed ids.

use bigdecimal::BigDecimal;
use chrono::{DateTime, SecondsFormat, Utc};
use ledger_domain::{
    Account, AccountGroup, AccountId, Direction, GroupId, Identity, IdentityId, LedgerId, Metadata, Transaction,
    TransactionId, TransactionStatus,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::money::{minor_units, number, precision_of};

/// The tenant book every Blnk object lives in (see the crate documentation).
pub const BOOK: LedgerId = LedgerId(Uuid::from_u128(0x626c_6e6b_0000_8000_8000_0000_0000_0001));
/// Blnk's General Ledger, where indicator balances live.
pub const GENERAL: GroupId = GroupId(Uuid::from_u128(0x626c_6e6b_0000_8000_8000_0000_0000_0002));
pub const GENERAL_LEDGER_ID: &str = "general_ledger_id";

/// Account metadata keys this adapter keeps for itself (never shown).
pub const LEDGER_KEY: &str = "blnk_ledger_id";
pub const INDICATOR_KEY: &str = "blnk_indicator";
/// Identity metadata key holding Blnk's identity fields we have no column for.
pub const IDENTITY_FIELDS_KEY: &str = "blnk_identity";

const NEVER: &str = "0001-01-01T00:00:00Z";

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `prefix_<uuid>`; parsing accepts the bare UUID too.
fn parse(prefix: &str, text: &str) -> Option<Uuid> {
    Uuid::parse_str(text.strip_prefix(prefix).unwrap_or(text)).ok()
}

pub fn ledger_id(g: GroupId) -> String {
    if g == GENERAL {
        GENERAL_LEDGER_ID.to_owned()
    } else {
        format!("ldg_{}", g.0)
    }
}
pub fn parse_ledger_id(text: &str) -> Option<GroupId> {
    if text == GENERAL_LEDGER_ID {
        Some(GENERAL)
    } else {
        parse("ldg_", text).map(GroupId)
    }
}
pub fn identity_id(i: IdentityId) -> String {
    format!("idt_{}", i.0)
}
pub fn parse_identity_id(text: &str) -> Option<IdentityId> {
    parse("idt_", text).map(IdentityId)
}
pub fn balance_id(a: AccountId) -> String {
    format!("bln_{}", a.0)
}
pub fn parse_balance_id(text: &str) -> Option<AccountId> {
    parse("bln_", text).map(AccountId)
}
pub fn transaction_id(t: TransactionId) -> String {
    format!("txn_{}", t.0)
}
pub fn parse_transaction_id(text: &str) -> Option<TransactionId> {
    parse("txn_", text).map(TransactionId)
}

/// The caller's metadata, without this adapter's own keys; `null` when empty.
fn visible(metadata: &Metadata) -> Value {
    let shown: Metadata = metadata
        .iter()
        .filter(|(k, _)| ![LEDGER_KEY, INDICATOR_KEY, IDENTITY_FIELDS_KEY].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if shown.is_empty() {
        Value::Null
    } else {
        Value::Object(shown.into_iter().collect())
    }
}

pub fn ledger(g: &AccountGroup) -> Value {
    json!({
        "ledger_id": ledger_id(g.id),
        "name": g.name,
        "created_at": time(g.created_at),
        "meta_data": visible(&g.metadata),
    })
}

/// Blnk's identity fields we keep in metadata.
pub const IDENTITY_EXTRA_FIELDS: [&str; 10] = [
    "category",
    "other_names",
    "gender",
    "nationality",
    "street",
    "country",
    "state",
    "post_code",
    "city",
    "dob",
];

pub fn identity(i: &Identity) -> Value {
    let extra = i.metadata.get(IDENTITY_FIELDS_KEY).cloned().unwrap_or(Value::Null);
    let field = |name: &str| extra.get(name).cloned().unwrap_or(Value::String(String::new()));
    let mut out = serde_json::Map::new();
    for name in IDENTITY_EXTRA_FIELDS {
        out.insert(name.to_owned(), field(name));
    }
    if out.get("dob") == Some(&json!("")) {
        out.insert("dob".to_owned(), json!(NEVER));
    }
    let fixed = json!({
        "identity_id": identity_id(i.id),
        "identity_type": i.kind.as_str(),
        "organization_name": i.organization_name.clone().unwrap_or_default(),
        "first_name": i.first_name.clone().unwrap_or_default(),
        "last_name": i.last_name.clone().unwrap_or_default(),
        "email_address": i.email.clone().unwrap_or_default(),
        "phone_number": i.phone.clone().unwrap_or_default(),
        "created_at": time(i.created_at),
        "meta_data": visible(&i.metadata),
    });
    if let Value::Object(fixed) = fixed {
        out.extend(fixed);
    }
    Value::Object(out)
}

/// The Blnk ledger an account belongs to.
pub fn group_of(a: &Account) -> GroupId {
    a.metadata
        .get(LEDGER_KEY)
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .map(GroupId)
        .unwrap_or(GENERAL)
}

pub fn balance(a: &Account) -> Value {
    let c = &a.counters;
    let ccy = a.currency;
    let mut out = json!({
        "balance": minor_units(&(&c.posted_credits - &c.posted_debits), ccy),
        "version": a.version,
        "inflight_balance": minor_units(&(&c.pending_credits - &c.pending_debits), ccy),
        "credit_balance": minor_units(&c.posted_credits, ccy),
        "inflight_credit_balance": minor_units(&c.pending_credits, ccy),
        "debit_balance": minor_units(&c.posted_debits, ccy),
        "inflight_debit_balance": minor_units(&c.pending_debits, ccy),
        "ledger_id": ledger_id(group_of(a)),
        "identity_id": a.identity_id.map(identity_id).unwrap_or_default(),
        "balance_id": balance_id(a.id),
        "currency": ccy.code(),
        "created_at": time(a.created_at),
        "inflight_expires_at": NEVER,
        "meta_data": visible(&a.metadata),
        "track_fund_lineage": false,
        "allocation_strategy": "FIFO",
    });
    if let (Some(indicator), Value::Object(fields)) = (a.metadata.get(INDICATOR_KEY), &mut out) {
        fields.insert("indicator".to_owned(), indicator.clone());
    }
    out
}

/// Blnk's status of a transaction: pending is `INFLIGHT`, posted `APPLIED`,
/// archived (a released hold) `VOID` — except a hold that commits were split
/// from: Blnk never rewrites a hold, its commits and void are new records, so
/// it stays `INFLIGHT` (what it holds now is in its balances).
fn status(t: &Transaction, split: bool) -> &'static str {
    match t.status() {
        TransactionStatus::Pending => "INFLIGHT",
        TransactionStatus::Archived if split => "INFLIGHT",
        TransactionStatus::Posted => "APPLIED",
        TransactionStatus::Archived => "VOID",
    }
}

/// A transaction as created or committed (never a split hold).
pub fn transaction(t: &Transaction) -> Value {
    transaction_as(t, false)
}

/// A transaction; `split` when commits were split from it.
pub fn transaction_as(t: &Transaction, split: bool) -> Value {
    let first = |d: Direction| t.entries().iter().find(|e| e.direction == d);
    let (source, destination) = (first(Direction::Debit), first(Direction::Credit));
    let amount: BigDecimal = source.map(|e| e.amount.clone()).unwrap_or_default();
    let currency = source.map(|e| e.currency);
    let parent = t
        .partial_of()
        .or(t.reverses_id())
        .map(transaction_id)
        .unwrap_or_default();
    let reference = match (t.external_id(), t.reverses_id()) {
        (Some(r), _) => r.to_owned(),
        (None, Some(orig)) => format!("{}_refund", transaction_id(orig)),
        (None, None) => String::new(),
    };
    json!({
        "precise_amount": currency.map(|c| minor_units(&amount, c)).unwrap_or(Value::Null),
        "amount": number(&amount),
        "amount_string": amount.normalized().to_plain_string(),
        "precision": currency.map(precision_of).unwrap_or(Value::Null),
        "overdraft_limit": 0,
        "transaction_id": transaction_id(t.id()),
        "parent_transaction": parent,
        "source": source.map(|e| balance_id(e.account_id)).unwrap_or_default(),
        "destination": destination.map(|e| balance_id(e.account_id)).unwrap_or_default(),
        "reference": reference,
        "currency": currency.map(|c| c.code()).unwrap_or_default(),
        "description": t.description().unwrap_or_default(),
        "status": status(t, split),
        "allow_overdraft": false,
        "inflight": t.status() == TransactionStatus::Pending || split,
        "skip_queue": true,
        "atomic": false,
        "created_at": time(t.created_at()),
        "effective_date": time(t.effective_at()),
        "scheduled_for": NEVER,
        "inflight_expiry_date": NEVER,
        "inflight_commit_date": NEVER,
        // the reversal's link is `parent_transaction`
        "meta_data": visible(&t.metadata().iter().filter(|(k, _)| *k != "reversal_of").map(|(k, v)| (k.clone(), v.clone())).collect()),
    })
}
