//! MT's objects, rendered from ours.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use chrono::{DateTime, SecondsFormat, Utc};
use ledger_domain::account::{Balance, Balances};
use ledger_domain::{Account, Category, Currency, Entry, Ledger, Metadata, NormalBalance, Transaction};
use serde_json::{Number, Value, json};

/// Account metadata keys this adapter keeps for itself (never shown).
pub const DESCRIPTION_KEY: &str = "mt_description";
pub const EXTERNAL_ID_KEY: &str = "mt_external_id";

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// MT metadata: string values; this adapter's own keys left out.
pub fn metadata(m: &Metadata) -> Value {
    Value::Object(
        m.iter()
            .filter(|(k, _)| ![DESCRIPTION_KEY, EXTERNAL_ID_KEY].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| json!(v.to_string()), |s| json!(s))))
            .collect(),
    )
}

/// `value` in minor units (USD 10.50 → 1050).
pub fn minor(value: &BigDecimal, currency: Currency) -> BigDecimal {
    (value * BigDecimal::new(1.into(), -i64::from(currency.exponent()))).with_scale(0)
}

fn number(v: &BigDecimal) -> Value {
    Number::from_str(&v.to_plain_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub fn balance(b: &Balance, currency: Currency) -> Value {
    let (amount, credits, debits) = (
        minor(&b.amount, currency),
        minor(&b.credits, currency),
        minor(&b.debits, currency),
    );
    json!({
        "amount": number(&amount), "amount_string": amount.to_plain_string(),
        "credits": number(&credits), "credits_string": credits.to_plain_string(),
        "debits": number(&debits), "debits_string": debits.to_plain_string(),
        "currency": currency.code(), "currency_exponent": currency.exponent(),
    })
}

pub fn balances(b: &Balances, currency: Currency) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    out.insert("pending_balance".into(), balance(&b.pending, currency));
    out.insert("posted_balance".into(), balance(&b.posted, currency));
    out.insert("available_balance".into(), balance(&b.available, currency));
    out
}

fn normal(n: NormalBalance) -> &'static str {
    n.as_str()
}

pub fn ledger(l: &Ledger) -> Value {
    json!({
        "id": l.id.0, "object": "ledger", "live_mode": true, "name": l.name, "description": l.description,
        "metadata": metadata(&l.metadata), "discarded_at": null,
        "created_at": time(l.created_at), "updated_at": time(l.created_at),
    })
}

/// An account with its balances, now or for `bounds` (as of the upper one).
pub fn account(a: &Account, b: &Balances, bounds: (Option<DateTime<Utc>>, Option<DateTime<Utc>>)) -> Value {
    let mut bal = balances(b, a.currency);
    bal.insert("effective_at_lower_bound".into(), json!(bounds.0.map(time)));
    bal.insert("effective_at_upper_bound".into(), json!(bounds.1.map(time)));
    json!({
        "id": a.id.0, "object": "ledger_account", "live_mode": true, "name": a.name,
        "description": a.metadata.get(DESCRIPTION_KEY).and_then(Value::as_str),
        "ledger_id": a.ledger_id.0, "normal_balance": normal(a.normal_balance), "lock_version": a.version,
        "metadata": metadata(&a.metadata),
        "external_id": a.metadata.get(EXTERNAL_ID_KEY).and_then(Value::as_str),
        "ledgerable_id": null, "ledgerable_type": null, "discarded_at": null,
        "created_at": time(a.created_at), "updated_at": time(a.created_at),
        "balances": bal,
    })
}

pub fn category(c: &Category, b: &Balances) -> Value {
    json!({
        "id": c.id.0, "object": "ledger_account_category", "live_mode": true, "name": c.name,
        "description": c.description, "ledger_id": c.ledger_id.0, "normal_balance": normal(c.normal_balance),
        "metadata": metadata(&c.metadata), "external_id": null, "discarded_at": null,
        "created_at": time(c.created_at), "updated_at": time(c.created_at),
        "balances": Value::Object(balances(b, c.currency)),
    })
}

/// An entry's id: its transaction's and its line's.
pub fn entry_id(t: &Transaction, line: usize) -> String {
    format!("{}.{line}", t.id().0)
}

pub fn entry(t: &Transaction, line: usize, e: &Entry) -> Value {
    let amount = minor(&e.amount, e.currency);
    json!({
        "id": entry_id(t, line), "object": "ledger_entry", "live_mode": true,
        "amount": number(&amount), "amount_string": amount.to_plain_string(),
        "direction": e.direction.as_str(), "status": t.status().as_str(),
        "ledger_account_id": e.account_id.0, "ledger_account_currency": e.currency.code(),
        "ledger_account_currency_exponent": e.currency.exponent(), "ledger_account_lock_version": e.account_version,
        "ledger_transaction_id": t.id().0, "effective_at": time(t.effective_at()), "metadata": {},
        "discarded_at": null, "resulting_ledger_account_balances": null,
        "created_at": time(t.created_at()), "updated_at": time(t.posted_at().unwrap_or(t.created_at())),
    })
}

pub fn transaction(t: &Transaction) -> Value {
    json!({
        "id": t.id().0, "object": "ledger_transaction", "live_mode": true, "ledger_id": t.ledger_id().0,
        "status": t.status().as_str(), "effective_at": time(t.effective_at()),
        "effective_date": t.effective_at().date_naive().to_string(),
        "posted_at": t.posted_at().map(time), "description": t.description(), "external_id": t.external_id(),
        "metadata": metadata(t.metadata()), "ledgerable_id": null, "ledgerable_type": null, "archived_reason": null,
        "reverses_ledger_transaction_id": t.reverses_id().map(|i| i.0),
        "reversed_by_ledger_transaction_id": t.reversed_by_id().map(|i| i.0),
        "partially_posts_ledger_transaction_id": t.partial_of().map(|i| i.0),
        "created_at": time(t.created_at()), "updated_at": time(t.posted_at().unwrap_or(t.created_at())),
        "ledger_entries": t.entries().iter().enumerate().map(|(i, e)| entry(t, i, e)).collect::<Vec<_>>(),
    })
}
