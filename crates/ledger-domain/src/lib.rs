//! Wallet Ledger domain.
//!
//! Money ([`money`]), the chart of accounts ([`account`]), the journal
//! ([`transaction`]), the posting rules adapters apply atomically ([`posting`]),
//! categories ([`category`]), the ports ([`ports`]) and the use cases
//! ([`service`]). No I/O, no database, no web framework.

/// `ALL`, `as_str` and `parse` for an enum stored and shown as lower-case text
/// (the same names serde uses).
#[macro_export]
macro_rules! text_names {
    ($name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

pub mod access;
pub mod account;
pub mod category;
pub mod error;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod ports;
pub mod posting;
pub mod service;
pub mod transaction;

pub use account::{
    Account, AccountKind, Balance, BalanceCounters, Balances, NewAccount, NormalBalance, OverdraftLimit,
};
pub use category::{Category, CategoryMember, NewCategory};
pub use error::LedgerError;
pub use ids::{AccountId, CategoryId, GroupId, IdentityId, LedgerId, StatementId, TransactionId};
pub use ledger::{AccountGroup, Identity, IdentityKind, Ledger, NewIdentity, NewLedger};
pub use money::{Amount, Currency, FeeRate};
pub use service::LedgerService;
pub use transaction::{
    Direction, Entry, EntryDraft, InitialStatus, PartialPost, Rest, Transaction, TransactionDraft, TransactionStatus,
};

/// Free-form JSON object attached to ledgers, accounts, transactions, …
pub type Metadata = serde_json::Map<String, serde_json::Value>;
