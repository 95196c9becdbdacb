//! Account categories: named groups of accounts and of other categories.

use std::collections::{HashSet, VecDeque};

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Metadata;
use crate::account::{Account, Balance, Balances, NormalBalance};
use crate::ids::{AccountId, CategoryId, LedgerId};
use crate::money::Currency;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub ledger_id: LedgerId,
    pub name: String,
    pub description: Option<String>,
    pub currency: Currency,
    pub normal_balance: NormalBalance,
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewCategory {
    pub ledger_id: LedgerId,
    pub name: String,
    pub description: Option<String>,
    pub currency: Currency,
    pub normal_balance: NormalBalance,
    pub metadata: Metadata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum CategoryMember {
    Account(AccountId),
    Category(CategoryId),
}

/// True when adding `child` under `parent` would close a cycle, given how to list
/// a category's sub-categories.
pub fn creates_cycle(
    parent: CategoryId,
    child: CategoryId,
    sub_categories: impl Fn(CategoryId) -> Vec<CategoryId>,
) -> bool {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([child]);
    while let Some(next) = queue.pop_front() {
        if next == parent {
            return true;
        }
        if seen.insert(next) {
            queue.extend(sub_categories(next));
        }
    }
    false
}

/// A category's balances: its member accounts' balances summed, each amount
/// sign-adjusted to the category's own normal balance. Debits and credits are
/// plain sums.
pub fn aggregate_balances(normal: NormalBalance, members: &[Account]) -> Balances {
    aggregate(normal, members.iter().map(|a| (a.normal_balance, a.balances())))
}

pub fn aggregate(normal: NormalBalance, members: impl Iterator<Item = (NormalBalance, Balances)>) -> Balances {
    let zero = || Balance {
        debits: BigDecimal::from(0),
        credits: BigDecimal::from(0),
        amount: BigDecimal::from(0),
    };
    let mut total = Balances {
        posted: zero(),
        pending: zero(),
        available: zero(),
    };
    for (member_normal, b) in members {
        for (sum, part) in [
            (&mut total.posted, &b.posted),
            (&mut total.pending, &b.pending),
            (&mut total.available, &b.available),
        ] {
            sum.debits += &part.debits;
            sum.credits += &part.credits;
            sum.amount += part.amount_as(member_normal, normal);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;
    use uuid::Uuid;

    #[test]
    fn a_category_cannot_contain_itself_directly_or_through_others() {
        let (a, b, c) = (
            CategoryId(Uuid::now_v7()),
            CategoryId(Uuid::now_v7()),
            CategoryId(Uuid::now_v7()),
        );
        let edges: HashMap<CategoryId, Vec<CategoryId>> = HashMap::from([(a, vec![b]), (b, vec![c])]);
        let subs = |id| edges.get(&id).cloned().unwrap_or_default();
        assert!(creates_cycle(a, a, subs));
        assert!(creates_cycle(c, a, subs)); // c → a while a → b → c
        assert!(!creates_cycle(a, c, subs)); // a → c as well: a diamond, no cycle
    }
}
