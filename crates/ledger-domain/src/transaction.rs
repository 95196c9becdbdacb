//! The journal: balanced transactions, their status machine and reversals.

use std::collections::{BTreeMap, HashMap};

use bigdecimal::{BigDecimal, Zero};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Metadata;
use crate::account::Account;
use crate::error::LedgerError;
use crate::ids::{AccountId, LedgerId, TransactionId};
use crate::money::{Amount, Currency};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Debit,
    Credit,
}

crate::text_names!(Direction { Debit => "debit", Credit => "credit" });

impl Direction {
    pub fn opposite(&self) -> Self {
        match self {
            Self::Debit => Self::Credit,
            Self::Credit => Self::Debit,
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

crate::text_names!(TransactionStatus { Pending => "pending", Posted => "posted", Archived => "archived" });

impl TransactionStatus {
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
    /// The account's `version` right after the posting that wrote this line
    /// (Modern Treasury's `ledger_account_lock_version`): set by the store when
    /// the line is written, `None` before (and on lines stored before versions
    /// were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_version: Option<i64>,
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
    /// Accounts this posting may take below their overdraft limit (Blnk's
    /// `allow_overdraft`): a permission of this posting only, never stored on
    /// the account. Each must be an account of the transaction.
    pub overdraft_allowed: std::collections::BTreeSet<AccountId>,
    /// Conditions checked atomically with the posting, per account of the
    /// transaction (see [`crate::posting::AccountCondition`]).
    pub conditions: BTreeMap<AccountId, crate::posting::AccountCondition>,
}

/// A journal entry. Private fields: the only ways to obtain one are
/// [`Transaction::create`] (validates everything), [`Transaction::restore`]
/// (re-validates stored data) and the transitions below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TransactionRecord")]
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
    /// The pending transaction this one was split from by a partial post
    /// (the first hold of the chain): set on the posted part and on the
    /// pending remainder.
    partial_of: Option<TransactionId>,
    created_at: DateTime<Utc>,
    posted_at: Option<DateTime<Utc>>,
}

/// What a partial post does with what it does not post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// Keep holding it, as a new pending transaction.
    Hold,
    /// Release it.
    Release,
}

/// What a partial post of a pending transaction produces, stored as one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialPost {
    /// The pending transaction, now archived (its hold released).
    pub archived: Transaction,
    /// The part posted now.
    pub posted: Transaction,
    /// What is still held, pending; `None` when everything was posted.
    pub remainder: Option<Transaction>,
}

/// Stored fields of a transaction, for adapters rebuilding one.
#[derive(Debug, Clone, Deserialize)]
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
    #[serde(default)]
    pub partial_of: Option<TransactionId>,
    pub created_at: DateTime<Utc>,
    pub posted_at: Option<DateTime<Utc>>,
}

pub const MAX_ENTRIES: usize = 500;

impl TryFrom<TransactionRecord> for Transaction {
    type Error = LedgerError;
    fn try_from(record: TransactionRecord) -> Result<Self, LedgerError> {
        Self::restore(record)
    }
}

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
            return Err(LedgerError::validation(
                "entries",
                "a transaction needs at least two entries",
            ));
        }
        if draft.entries.len() > MAX_ENTRIES {
            return Err(LedgerError::validation(
                "entries",
                format!("at most {MAX_ENTRIES} entries"),
            ));
        }
        let mut entries = Vec::with_capacity(draft.entries.len());
        for (index, line) in draft.entries.into_iter().enumerate() {
            let account = accounts.get(&line.account_id).ok_or(LedgerError::NotFound {
                resource: "account",
                id: line.account_id.0,
            })?;
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
                account_version: None,
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
            partial_of: None,
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
            partial_of: record.partial_of,
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

    /// pending → `to` (posted or archived); anything else is an invalid transition.
    pub fn transition(&self, to: TransactionStatus, at: DateTime<Utc>) -> Result<Self, LedgerError> {
        if self.status != TransactionStatus::Pending || to == TransactionStatus::Pending {
            return Err(LedgerError::InvalidTransition { from: self.status, to });
        }
        let mut next = self.clone();
        next.status = to;
        if to == TransactionStatus::Posted {
            next.posted_at = Some(at);
        }
        Ok(next)
    }

    /// Builds the reversal of a posted transaction: every direction swapped,
    /// posted at once, linked to this one. A transaction is reversed at most once;
    /// a reversal is an ordinary posted transaction and may itself be reversed.
    pub fn reversal(&self, id: TransactionId, now: DateTime<Utc>) -> Result<Self, LedgerError> {
        if self.status != TransactionStatus::Posted {
            return Err(LedgerError::NotReversible { status: self.status });
        }
        if self.reversed_by_id.is_some() {
            return Err(LedgerError::AlreadyReversed { id: self.id });
        }
        let entries = self
            .entries
            .iter()
            .map(|e| Entry {
                direction: e.direction.opposite(),
                account_version: None,
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
            partial_of: None,
            created_at: now,
            posted_at: Some(now),
        })
    }

    /// Posts part of a pending transaction: `lines` (each on an account and in
    /// a direction of this transaction, together at most its amount there, and
    /// balanced per currency) become a new posted transaction; this one is
    /// archived. With [`Rest::Hold`] what is left of every line becomes a new
    /// pending transaction (none when nothing is left) — the archived hold's
    /// pending amounts reappear as the posted part plus the remainder; with
    /// [`Rest::Release`] the rest is released (Modern Treasury's partial post).
    pub fn partial_post(
        &self,
        lines: Vec<(AccountId, Direction, BigDecimal)>,
        posted_id: TransactionId,
        remainder_id: TransactionId,
        now: DateTime<Utc>,
        rest: Rest,
    ) -> Result<PartialPost, LedgerError> {
        if self.status != TransactionStatus::Pending {
            return Err(LedgerError::InvalidTransition {
                from: self.status,
                to: TransactionStatus::Posted,
            });
        }
        let mut left: Vec<Entry> = self
            .entries
            .iter()
            .map(|e| Entry {
                account_version: None,
                ..e.clone()
            })
            .collect();
        let mut posted = Vec::with_capacity(lines.len());
        for (index, (account_id, direction, amount)) in lines.into_iter().enumerate() {
            let field = format!("entries[{index}]");
            let currency = left
                .iter()
                .find(|e| e.account_id == account_id && e.direction == direction)
                .map(|e| e.currency)
                .ok_or_else(|| {
                    LedgerError::validation(&field, "not an account and direction of the pending transaction")
                })?;
            let amount = Amount::new(amount, currency)
                .map_err(|e| LedgerError::validation(format!("{field}.amount"), e.to_string()))?;
            // take the amount from this account's lines of that direction, in order
            let mut owed = amount.value().clone();
            for e in left
                .iter_mut()
                .filter(|e| e.account_id == account_id && e.direction == direction)
            {
                let take = if e.amount < owed {
                    e.amount.clone()
                } else {
                    owed.clone()
                };
                e.amount -= &take;
                owed -= &take;
            }
            if !owed.is_zero() {
                return Err(LedgerError::validation(
                    format!("{field}.amount"),
                    "more than the pending transaction holds on that account",
                ));
            }
            posted.push(Entry {
                account_id,
                direction,
                amount: amount.value().clone(),
                currency,
                account_version: None,
            });
        }
        if posted.len() < 2 {
            return Err(LedgerError::validation(
                "entries",
                "a transaction needs at least two entries",
            ));
        }
        check_balanced(&posted)?;
        left.retain(|e| !e.amount.is_zero());
        let root = self.partial_of.unwrap_or(self.id);
        let remainder = if left.is_empty() || rest == Rest::Release {
            None
        } else {
            check_balanced(&left)?;
            Some(Self {
                id: remainder_id,
                entries: left,
                external_id: None,
                partial_of: Some(root),
                created_at: now,
                ..self.clone()
            })
        };
        Ok(PartialPost {
            archived: self.transition(TransactionStatus::Archived, now)?,
            posted: Self {
                id: posted_id,
                status: TransactionStatus::Posted,
                entries: posted,
                external_id: None,
                effective_at: now,
                partial_of: Some(root),
                created_at: now,
                posted_at: Some(now),
                ..self.clone()
            },
            remainder,
        })
    }

    /// The same pending transaction with new metadata. Posted and archived
    /// transactions are final: their metadata does not change either.
    pub fn annotated(&self, metadata: Metadata) -> Result<Self, LedgerError> {
        if self.status.is_final() {
            return Err(LedgerError::validation(
                "metadata",
                format!(
                    "a {} transaction is final; only a pending one takes new metadata",
                    self.status.as_str()
                ),
            ));
        }
        Ok(Self {
            metadata,
            ..self.clone()
        })
    }

    /// The same transaction, effective at `at` when given.
    pub fn effective(mut self, at: Option<DateTime<Utc>>) -> Self {
        if let Some(at) = at {
            self.effective_at = at;
        }
        self
    }

    /// Links this transaction to its reversal.
    pub fn mark_reversed_by(&self, reversal: &Transaction) -> Result<Self, LedgerError> {
        if reversal.reverses_id != Some(self.id) {
            return Err(LedgerError::Unknown(anyhow::anyhow!(
                "{} does not reverse {}",
                reversal.id,
                self.id
            )));
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

    /// The transaction as stored: each line carries its account's version
    /// right after this posting (`versions` maps every account it touches).
    pub fn with_account_versions(mut self, versions: &std::collections::BTreeMap<AccountId, i64>) -> Self {
        for e in &mut self.entries {
            e.account_version = versions.get(&e.account_id).copied();
        }
        self
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
    pub fn partial_of(&self) -> Option<TransactionId> {
        self.partial_of
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
            return Err(LedgerError::Unbalanced {
                currency,
                difference: diff,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::account::{AccountKind, BalanceCounters};
    use std::str::FromStr;
    use uuid::Uuid;

    fn account(ledger: LedgerId, kind: AccountKind, code: &str) -> Account {
        Account {
            id: AccountId(Uuid::now_v7()),
            ledger_id: ledger,
            name: code.into(),
            code: Some(code.into()),
            kind,
            normal_balance: kind.default_normal_balance(),
            currency: Currency::parse(code).unwrap_or_else(|_| Currency::parse("USD").unwrap()),
            identity_id: None,
            overdraft_limit: kind.default_overdraft_limit(),
            metadata: Metadata::new(),
            created_at: Utc::now(),
            version: 0,
            counters: BalanceCounters::default(),
        }
    }

    fn line(a: &Account, direction: Direction, amount: &str) -> EntryDraft {
        EntryDraft {
            account_id: a.id,
            direction,
            amount: BigDecimal::from_str(amount).unwrap(),
            currency: None,
        }
    }

    fn setup() -> (LedgerId, Account, Account, HashMap<AccountId, Account>) {
        let ledger = LedgerId(Uuid::now_v7());
        let cash = account(ledger, AccountKind::Asset, "USD");
        let wallet = account(ledger, AccountKind::Liability, "USD");
        let map = HashMap::from([(cash.id, cash.clone()), (wallet.id, wallet.clone())]);
        (ledger, cash, wallet, map)
    }

    fn create(
        ledger: LedgerId,
        entries: Vec<EntryDraft>,
        status: InitialStatus,
        accounts: &HashMap<AccountId, Account>,
    ) -> Result<Transaction, LedgerError> {
        let draft = TransactionDraft {
            entries,
            status,
            ..Default::default()
        };
        Transaction::create(TransactionId(Uuid::now_v7()), ledger, draft, accounts, Utc::now())
    }

    #[test]
    fn a_balanced_transaction_is_created_posted_by_default() {
        let (l, cash, wallet, map) = setup();
        let t = create(
            l,
            vec![
                line(&cash, Direction::Debit, "10"),
                line(&wallet, Direction::Credit, "10"),
            ],
            InitialStatus::Posted,
            &map,
        )
        .unwrap();
        assert_eq!(t.status(), TransactionStatus::Posted);
        assert_eq!(t.posted_at(), Some(t.created_at()));
        assert_eq!(t.entries()[0].amount.to_string(), "10.00");
    }

    #[test]
    fn unbalanced_short_and_invalid_transactions_cannot_be_built() {
        let (l, cash, wallet, map) = setup();
        let unbalanced = create(
            l,
            vec![
                line(&cash, Direction::Debit, "10"),
                line(&wallet, Direction::Credit, "9"),
            ],
            InitialStatus::Posted,
            &map,
        );
        assert!(matches!(unbalanced, Err(LedgerError::Unbalanced { .. })));
        let one = create(
            l,
            vec![line(&cash, Direction::Debit, "10")],
            InitialStatus::Posted,
            &map,
        );
        assert!(matches!(one, Err(LedgerError::Validation { .. })));
        let negative = create(
            l,
            vec![
                line(&cash, Direction::Debit, "-10"),
                line(&wallet, Direction::Credit, "-10"),
            ],
            InitialStatus::Posted,
            &map,
        );
        assert!(matches!(negative, Err(LedgerError::Validation { .. })));
        let other_ledger = create(
            LedgerId(Uuid::now_v7()),
            vec![
                line(&cash, Direction::Debit, "1"),
                line(&wallet, Direction::Credit, "1"),
            ],
            InitialStatus::Posted,
            &map,
        );
        assert!(matches!(other_ledger, Err(LedgerError::CrossLedger)));
        let mut eur = line(&wallet, Direction::Credit, "1");
        eur.currency = Some(Currency::parse("EUR").unwrap());
        let mismatch = create(
            l,
            vec![line(&cash, Direction::Debit, "1"), eur],
            InitialStatus::Posted,
            &map,
        );
        assert!(matches!(mismatch, Err(LedgerError::CurrencyMismatch { .. })));
    }

    #[test]
    fn the_status_machine_allows_only_pending_to_posted_or_archived() {
        let (l, cash, wallet, map) = setup();
        let p = create(
            l,
            vec![
                line(&cash, Direction::Debit, "1"),
                line(&wallet, Direction::Credit, "1"),
            ],
            InitialStatus::Pending,
            &map,
        )
        .unwrap();
        assert_eq!(p.posted_at(), None);
        let posted = p.post(Utc::now()).unwrap();
        assert!(posted.posted_at().is_some());
        assert!(
            matches!(posted.post(Utc::now()), Err(LedgerError::InvalidTransition { .. })),
            "double post"
        );
        assert!(matches!(
            posted.archive(Utc::now()),
            Err(LedgerError::InvalidTransition { .. })
        ));
        let archived = p.archive(Utc::now()).unwrap();
        assert!(
            matches!(archived.post(Utc::now()), Err(LedgerError::InvalidTransition { .. })),
            "post after archive"
        );
        assert!(archived.status().is_final() && posted.status().is_final());
    }

    #[test]
    fn a_reversal_swaps_every_direction_and_happens_once() {
        let (l, cash, wallet, map) = setup();
        let t = create(
            l,
            vec![
                line(&cash, Direction::Debit, "5"),
                line(&wallet, Direction::Credit, "5"),
            ],
            InitialStatus::Posted,
            &map,
        )
        .unwrap();
        let r = t.reversal(TransactionId(Uuid::now_v7()), Utc::now()).unwrap();
        assert_eq!(r.reverses_id(), Some(t.id()));
        assert_eq!(r.entries()[0].direction, Direction::Credit);
        assert_eq!(r.entries()[1].direction, Direction::Debit);
        let linked = t.mark_reversed_by(&r).unwrap();
        assert_eq!(linked.reversed_by_id(), Some(r.id()));
        assert!(
            matches!(
                linked.reversal(TransactionId(Uuid::now_v7()), Utc::now()),
                Err(LedgerError::AlreadyReversed { .. })
            ),
            "second reversal"
        );
        assert!(linked.mark_reversed_by(&r).is_err());
        let pending = create(
            l,
            vec![
                line(&cash, Direction::Debit, "5"),
                line(&wallet, Direction::Credit, "5"),
            ],
            InitialStatus::Pending,
            &map,
        )
        .unwrap();
        assert!(pending.reversal(TransactionId(Uuid::now_v7()), Utc::now()).is_err());
    }
}
