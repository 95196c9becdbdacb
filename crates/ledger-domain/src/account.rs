//! Chart-of-accounts rules: kinds, normal balances, overdraft limits, balances.

use bigdecimal::{BigDecimal, Signed, Zero};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Metadata;
use crate::ids::{AccountId, IdentityId, LedgerId};
use crate::money::Currency;
use crate::transaction::{Direction, TransactionStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Asset,
    Liability,
    Equity,
    Revenue,
    Expense,
}

crate::text_names!(AccountKind { Asset => "asset", Liability => "liability", Equity => "equity", Revenue => "revenue", Expense => "expense" });

impl AccountKind {
    /// Assets and expenses grow with debits; liabilities, equity and revenue
    /// grow with credits.
    pub fn default_normal_balance(&self) -> NormalBalance {
        match self {
            Self::Asset | Self::Expense => NormalBalance::Debit,
            Self::Liability | Self::Equity | Self::Revenue => NormalBalance::Credit,
        }
    }

    /// Wallets (liabilities: money owed to users) cannot go negative by default;
    /// every other kind is unlimited unless a limit is given.
    pub fn default_overdraft_limit(&self) -> Option<BigDecimal> {
        match self {
            Self::Liability => Some(BigDecimal::zero()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormalBalance {
    Debit,
    Credit,
}

crate::text_names!(NormalBalance { Debit => "debit", Credit => "credit" });

impl NormalBalance {
    /// The direction that decreases an account of this normal balance.
    pub fn decreasing_direction(&self) -> Direction {
        match self {
            Self::Debit => Direction::Credit,
            Self::Credit => Direction::Debit,
        }
    }

    /// Signed amount of a balance from its debit and credit sides.
    pub fn amount(&self, debits: &BigDecimal, credits: &BigDecimal) -> BigDecimal {
        match self {
            Self::Debit => debits - credits,
            Self::Credit => credits - debits,
        }
    }
}

/// A ledger account. A user's wallet is one (a liability: money owed to the user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub ledger_id: LedgerId,
    pub name: String,
    pub code: Option<String>,
    pub kind: AccountKind,
    pub normal_balance: NormalBalance,
    pub currency: Currency,
    pub identity_id: Option<IdentityId>,
    /// How far the available balance may go below zero; `None` is unlimited.
    pub overdraft_limit: Option<BigDecimal>,
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
    /// Incremented by every posting that touches the account.
    pub version: i64,
    pub counters: BalanceCounters,
}

impl Account {
    /// A user's wallet: money the platform owes a user, a credit-normal
    /// liability. The wallet operations act on wallets only.
    pub fn is_wallet(&self) -> bool {
        self.kind == AccountKind::Liability && self.normal_balance == NormalBalance::Credit
    }

    pub fn balances(&self) -> Balances {
        self.counters.balances(self.normal_balance)
    }

    /// The lowest available balance this account may reach, if any.
    pub fn floor(&self) -> Option<BigDecimal> {
        self.overdraft_limit.as_ref().map(|limit| -limit)
    }
}

/// What a caller supplies to open an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub ledger_id: LedgerId,
    pub name: String,
    pub code: Option<String>,
    pub kind: AccountKind,
    /// `None` follows the kind; give the opposite to model a contra account.
    pub normal_balance: Option<NormalBalance>,
    pub currency: Currency,
    pub identity_id: Option<IdentityId>,
    /// `None` takes the kind's default (see [`AccountKind::default_overdraft_limit`]).
    pub overdraft_limit: Option<OverdraftLimit>,
    pub metadata: Metadata,
}

/// An explicit overdraft setting.
#[derive(Debug, Clone, PartialEq)]
pub enum OverdraftLimit {
    Unlimited,
    /// A non-negative amount the available balance may go below zero.
    Limited(BigDecimal),
}

/// The four maintained counters behind every balance. `pending_*` hold the sums
/// of entries of *pending* transactions only; `posted_*` of posted ones.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BalanceCounters {
    pub posted_debits: BigDecimal,
    pub posted_credits: BigDecimal,
    pub pending_debits: BigDecimal,
    pub pending_credits: BigDecimal,
}

/// One reported balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub debits: BigDecimal,
    pub credits: BigDecimal,
    /// Signed by the account's normal balance.
    pub amount: BigDecimal,
}

impl Balance {
    fn new(normal: NormalBalance, debits: BigDecimal, credits: BigDecimal) -> Self {
        let amount = normal.amount(&debits, &credits);
        Self {
            debits,
            credits,
            amount,
        }
    }

    /// Re-expresses this balance under another normal balance (for categories).
    pub fn amount_as(&self, from: NormalBalance, to: NormalBalance) -> BigDecimal {
        if from == to {
            self.amount.clone()
        } else {
            -self.amount.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    pub posted: Balance,
    pub pending: Balance,
    pub available: Balance,
}

impl BalanceCounters {
    /// The three balances of the SPEC's table.
    pub fn balances(&self, normal: NormalBalance) -> Balances {
        let posted = Balance::new(normal, self.posted_debits.clone(), self.posted_credits.clone());
        let pending = Balance::new(
            normal,
            &self.posted_debits + &self.pending_debits,
            &self.posted_credits + &self.pending_credits,
        );
        // Available: posted, minus pending *outgoing* (the decreasing side only).
        let available = match normal {
            NormalBalance::Credit => Balance::new(
                normal,
                &self.posted_debits + &self.pending_debits,
                self.posted_credits.clone(),
            ),
            NormalBalance::Debit => Balance::new(
                normal,
                self.posted_debits.clone(),
                &self.posted_credits + &self.pending_credits,
            ),
        };
        Balances {
            posted,
            pending,
            available,
        }
    }

    pub fn available(&self, normal: NormalBalance) -> BigDecimal {
        self.balances(normal).available.amount
    }

    /// Adds (`sign = 1`) or removes (`sign = -1`) one entry of a transaction in
    /// `status` from the counters. Archived entries count nowhere.
    pub fn apply(&mut self, status: TransactionStatus, direction: Direction, amount: &BigDecimal, add: bool) {
        let slot = match (status, direction) {
            (TransactionStatus::Posted, Direction::Debit) => &mut self.posted_debits,
            (TransactionStatus::Posted, Direction::Credit) => &mut self.posted_credits,
            (TransactionStatus::Pending, Direction::Debit) => &mut self.pending_debits,
            (TransactionStatus::Pending, Direction::Credit) => &mut self.pending_credits,
            (TransactionStatus::Archived, _) => return,
        };
        if add {
            *slot += amount;
        } else {
            *slot -= amount;
        }
    }

    /// Sum of two sets of counters (sharded or per-member counters).
    pub fn add(&mut self, other: &BalanceCounters) {
        self.posted_debits += &other.posted_debits;
        self.posted_credits += &other.posted_credits;
        self.pending_debits += &other.pending_debits;
        self.pending_credits += &other.pending_credits;
    }

    pub fn is_non_negative(&self) -> bool {
        !(self.posted_debits.is_negative()
            || self.posted_credits.is_negative()
            || self.pending_debits.is_negative()
            || self.pending_credits.is_negative())
    }
}

/// True when an account with this floor (−overdraft limit) may hold `available`.
pub fn within_floor(available: &BigDecimal, floor: Option<&BigDecimal>) -> bool {
    floor.is_none_or(|floor| available >= floor)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> BigDecimal {
        BigDecimal::from_str(s).unwrap()
    }

    #[test]
    fn kinds_have_their_default_normal_balance_and_limit() {
        use AccountKind::*;
        assert_eq!(Asset.default_normal_balance(), NormalBalance::Debit);
        assert_eq!(Expense.default_normal_balance(), NormalBalance::Debit);
        assert_eq!(Liability.default_normal_balance(), NormalBalance::Credit);
        assert_eq!(Equity.default_normal_balance(), NormalBalance::Credit);
        assert_eq!(Revenue.default_normal_balance(), NormalBalance::Credit);
        assert_eq!(Liability.default_overdraft_limit(), Some(BigDecimal::zero()));
        for kind in [Asset, Equity, Revenue, Expense] {
            assert_eq!(kind.default_overdraft_limit(), None);
        }
    }

    #[test]
    fn text_names_round_trip_and_match_serde() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + Serialize>(
            all: &[T],
            as_str: fn(&T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for v in all {
                assert_eq!(parse(as_str(v)), Some(*v));
                assert_eq!(serde_json::to_value(v).unwrap(), as_str(v));
            }
            assert_eq!(parse("Nonsense"), None);
        }
        check(AccountKind::ALL, AccountKind::as_str, AccountKind::parse);
        check(NormalBalance::ALL, NormalBalance::as_str, NormalBalance::parse);
        check(Direction::ALL, Direction::as_str, Direction::parse);
        check(
            TransactionStatus::ALL,
            TransactionStatus::as_str,
            TransactionStatus::parse,
        );
        check(
            crate::IdentityKind::ALL,
            crate::IdentityKind::as_str,
            crate::IdentityKind::parse,
        );
        check(
            crate::access::Scope::ALL,
            crate::access::Scope::as_str,
            crate::access::Scope::parse,
        );
        assert_eq!(AccountKind::ALL.len(), 5);
    }

    #[test]
    fn balances_follow_the_spec_table_for_a_credit_normal_wallet() {
        let c = BalanceCounters {
            posted_debits: d("100"),
            posted_credits: d("1000"),
            pending_debits: d("50"),
            pending_credits: d("300"),
        };
        let b = c.balances(NormalBalance::Credit);
        assert_eq!(b.posted.amount, d("900"));
        assert_eq!(b.pending.amount, d("1150"));
        assert_eq!(
            (b.pending.debits.clone(), b.pending.credits.clone()),
            (d("150"), d("1300"))
        );
        assert_eq!(b.available.amount, d("850"));
    }

    #[test]
    fn balances_follow_the_spec_table_for_debit_normal_cash() {
        let c = BalanceCounters {
            posted_debits: d("1000"),
            posted_credits: d("98"),
            pending_debits: d("500"),
            pending_credits: d("10"),
        };
        let b = c.balances(NormalBalance::Debit);
        assert_eq!(b.posted.amount, d("902"));
        assert_eq!(b.pending.amount, d("1392"));
        assert_eq!(b.available.amount, d("892"));
    }

    #[test]
    fn floors_allow_exactly_the_limit() {
        assert!(within_floor(&d("0"), Some(&d("0"))));
        assert!(!within_floor(&d("-0.01"), Some(&d("0"))));
        assert!(within_floor(&d("-50"), Some(&d("-50"))));
        assert!(within_floor(&d("-1000000"), None));
    }
}

/// An account's balances at the two ends of a period, kept as generated: what
/// the account was when the statement was made, not what a later back-dated
/// posting makes of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountStatement {
    pub id: crate::ids::StatementId,
    pub account_id: AccountId,
    pub ledger_id: LedgerId,
    /// Inclusive.
    pub effective_from: DateTime<Utc>,
    /// Exclusive.
    pub effective_to: DateTime<Utc>,
    /// Counters of the entries effective before `effective_from`.
    pub starting: BalanceCounters,
    /// Counters of the entries effective before `effective_to`.
    pub ending: BalanceCounters,
    pub normal_balance: NormalBalance,
    pub currency: Currency,
    /// The account's version when the statement was made.
    pub account_version: i64,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
}
