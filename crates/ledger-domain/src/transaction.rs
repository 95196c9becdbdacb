//! The journal: balanced transactions, their status machine and reversals.

use std::collections::{BTreeMap, HashMap};

use bigdecimal::{BigDecimal, Zero};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::error::LedgerError;
use crate::ids::{AccountId, LedgerId, TransactionId};
use crate::money::{Amount, Currency};
use crate::Metadata;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Debit,
    Credit,
}

impl Direction {
    pub fn opposite(&self) -> Self {
        match self {
            Self::Debit => Self::Credit,
            Self::Credit => Self::Debit,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Debit => "debit",
            Self::Credit => "credit",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "debit" => Some(Self::Debit),
            "credit" => Some(Self::Credit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionStatus {
    Pending,
    Posted,
    Archived,
}

impl TransactionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Posted => "posted",
            Self::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "posted" => Some(Self::Posted),
            "archived" => Some(Self::Archived),
            _ => None,
        }
    }

    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Pending)
    }
}

/// One line of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub account_id: AccountId,
    pub direction: Direction,
    pub amount: BigDecimal,
    pub currency: Currency,
}

/// An unvalidated line as a caller states it.
#[derive(Debug, Clone)]
pub struct EntryDraft {
    pub account_id: AccountId,
    pub direction: Direction,
    pub amount: BigDecimal,
    /// When given, must equal the account's currency.
    pub currency: Option<Currency>,
}

/// The status a new transaction may start in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitialStatus {
    Pending,
    #[default]
    Posted,
}

/// An unvalidated transaction as a caller states it.
#[derive(Debug, Clone, Default)]
pub struct TransactionDraft {
    pub ledger_id: Option<LedgerId>,
    pub status: InitialStatus,
    pub entries: Vec<EntryDraft>,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub effective_at: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
}

/// A journal entry. Private fields: the only ways to obtain one are
/// [`Transaction::create`] (validates everything), [`Transaction::restore`]
/// (re-validates stored data) and the transitions below.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transaction {
    id: TransactionId,
    ledger_id: LedgerId,
    status: TransactionStatus,
    entries: Vec<Entry>,
    description: Option<String>,
    metadata: Metadata,
    effective_at: DateTime<Utc>,
    external_id: Option<String>,
    reverses_id: Option<TransactionId>,
    reversed_by_id: Option<TransactionId>,
    created_at: DateTime<Utc>,
    posted_at: Option<DateTime<Utc>>,
}

/// Stored fields of a transaction, for adapters rebuilding one.
#[derive(Debug, Clone)]
pub struct TransactionRecord {
    pub id: TransactionId,
    pub ledger_id: LedgerId,
    pub status: TransactionStatus,
    pub entries: Vec<Entry>,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub effective_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub reverses_id: Option<TransactionId>,
    pub reversed_by_id: Option<TransactionId>,
    pub created_at: DateTime<Utc>,
    pub posted_at: Option<DateTime<Utc>>,
}

pub const MAX_ENTRIES: usize = 500;

impl Transaction {
    /// Validates a draft against the accounts it names and builds the transaction.
    ///
    /// Refuses: fewer than two entries; an unknown account; an account of another
    /// ledger; an entry currency that differs from its account's; an amount that is
    /// not a valid [`Amount`]; debits ≠ credits in any currency.
    pub fn create(
        id: TransactionId,
        ledger_id: LedgerId,
        draft: TransactionDraft,
        accounts: &HashMap<AccountId, Account>,
        now: DateTime<Utc>,
    ) -> Result<Self, LedgerError> {
        if draft.ledger_id.is_some_and(|l| l != ledger_id) {
            return Err(LedgerError::CrossLedger);
        }
        if draft.entries.len() < 2 {
            return Err(LedgerError::validation("entries", "a transaction needs at least two entries"));
        }
        if draft.entries.len() > MAX_ENTRIES {
            return Err(LedgerError::validation("entries", format!("at most {MAX_ENTRIES} entries")));
        }
        let mut entries = Vec::with_capacity(draft.entries.len());
        for (index, line) in draft.entries.into_iter().enumerate() {
            let account = accounts
                .get(&line.account_id)
                .ok_or(LedgerError::NotFound { resource: "account", id: line.account_id.0 })?;
            if account.ledger_id != ledger_id {
                return Err(LedgerError::CrossLedger);
            }
            if let Some(currency) = line.currency
                && currency != account.currency
            {
                return Err(LedgerError::CurrencyMismatch {
                    expected: account.currency,
                    found: currency,
                });
            }
            let amount = Amount::new(line.amount, account.currency)
                .map_err(|e| LedgerError::validation(format!("entries[{index}].amount"), e.to_string()))?;
            entries.push(Entry {
                account_id: account.id,
                direction: line.direction,
                amount: amount.value().clone(),
                currency: amount.currency(),
            });
        }
        check_balanced(&entries)?;
        let status = match draft.status {
            InitialStatus::Pending => TransactionStatus::Pending,
            InitialStatus::Posted => TransactionStatus::Posted,
        };
        Ok(Self {
            id,
            ledger_id,
            status,
            entries,
            description: draft.description,
            metadata: draft.metadata,
            effective_at: draft.effective_at.unwrap_or(now),
            external_id: draft.external_id,
            reverses_id: None,
            reversed_by_id: None,
            created_at: now,
            posted_at: (status == TransactionStatus::Posted).then_some(now),
        })
    }

    /// Rebuilds a stored transaction, re-checking that it is balanced.
    pub fn restore(record: TransactionRecord) -> Result<Self, LedgerError> {
        if record.entries.len() < 2 {
            return Err(LedgerError::Unknown(anyhow::anyhow!(
                "stored transaction {} has fewer than two entries",
                record.id
            )));
        }
        check_balanced(&record.entries)
            .map_err(|_| LedgerError::Unknown(anyhow::anyhow!("stored transaction {} is unbalanced", record.id)))?;
        Ok(Self {
            id: record.id,
            ledger_id: record.ledger_id,
            status: record.status,
            entries: record.entries,
            description: record.description,
            metadata: record.metadata,
            effective_at: record.effective_at,
            external_id: record.external_id,
            reverses_id: record.reverses_id,
            reversed_by_id: record.reversed_by_id,
            created_at: record.created_at,
            posted_at: record.posted_at,
        })
    }

    /// pending → posted.
    pub fn post(&self, at: DateTime<Utc>) -> Result<Self, LedgerError> {
        self.transition(TransactionStatus::Posted, at)
    }

    /// pending → archived (a hold released without moving money).
    pub fn archive(&self, at: DateTime<Utc>) -> Result<Self, LedgerError> {
        self.transition(TransactionStatus::Archived, at)
    }

    fn transition(&self, to: TransactionStatus, at: DateTime<Utc>) -> Result<Self, LedgerError> {
        if self.status != TransactionStatus::Pending {
            return Err(LedgerError::InvalidTransition {
                from: self.status,
                to,
            });
        }
        let mut next = self.clone();
        next.status = to;
        if to == TransactionStatus::Posted {
            next.posted_at = Some(at);
        }
        Ok(next)
    }

    /// Builds the reversal of a posted transaction: every direction swapped,
    /// posted at once, linked to this one. A transaction is reversed at most once,
    /// and a reversal cannot itself be reversed (post a new transaction instead).
    pub fn reversal(&self, id: TransactionId, now: DateTime<Utc>) -> Result<Self, LedgerError> {
        if self.status != TransactionStatus::Posted {
            return Err(LedgerError::Conflict(format!(
                "only posted transactions can be reversed; this one is {}",
                self.status.as_str()
            )));
        }
        if let Some(by) = self.reversed_by_id {
            return Err(LedgerError::Conflict(format!("transaction was already reversed by {by}")));
        }
        let entries = self
            .entries
            .iter()
            .map(|e| Entry {
                direction: e.direction.opposite(),
                ..e.clone()
            })
            .collect();
        let mut metadata = self.metadata.clone();
        metadata.insert("reversal_of".to_owned(), serde_json::Value::String(self.id.to_string()));
        Ok(Self {
            id,
            ledger_id: self.ledger_id,
            status: TransactionStatus::Posted,
            entries,
            description: Some(match &self.description {
                Some(d) => format!("Reversal of: {d}"),
                None => format!("Reversal of {}", self.id),
            }),
            metadata,
            effective_at: now,
            external_id: None,
            reverses_id: Some(self.id),
            reversed_by_id: None,
            created_at: now,
            posted_at: Some(now),
        })
    }

    /// Links this transaction to its reversal.
    pub fn mark_reversed_by(&self, reversal: &Transaction) -> Result<Self, LedgerError> {
        if reversal.reverses_id != Some(self.id) {
            return Err(LedgerError::Unknown(anyhow::anyhow!("{} does not reverse {}", reversal.id, self.id)));
        }
        // re-check under the adapter's lock: at most once
        self.reversal(reversal.id, reversal.created_at)?;
        let mut next = self.clone();
        next.reversed_by_id = Some(reversal.id);
        Ok(next)
    }

    pub fn id(&self) -> TransactionId {
        self.id
    }
    pub fn ledger_id(&self) -> LedgerId {
        self.ledger_id
    }
    pub fn status(&self) -> TransactionStatus {
        self.status
    }
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }
    pub fn effective_at(&self) -> DateTime<Utc> {
        self.effective_at
    }
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    pub fn reverses_id(&self) -> Option<TransactionId> {
        self.reverses_id
    }
    pub fn reversed_by_id(&self) -> Option<TransactionId> {
        self.reversed_by_id
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn posted_at(&self) -> Option<DateTime<Utc>> {
        self.posted_at
    }

    /// Accounts touched, sorted and without repeats: the order adapters lock in.
    pub fn account_ids(&self) -> Vec<AccountId> {
        let mut ids: Vec<AccountId> = self.entries.iter().map(|e| e.account_id).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// Σ debits = Σ credits for every currency.
fn check_balanced(entries: &[Entry]) -> Result<(), LedgerError> {
    let mut net: BTreeMap<Currency, BigDecimal> = BTreeMap::new();
    for e in entries {
        let slot = net.entry(e.currency).or_default();
        match e.direction {
            Direction::Debit => *slot += &e.amount,
            Direction::Credit => *slot -= &e.amount,
        }
    }
    for (currency, diff) in net {
        if !diff.is_zero() {
            return Err(LedgerError::Unbalanced { currency, difference: diff });
        }
    }
    Ok(())
}
