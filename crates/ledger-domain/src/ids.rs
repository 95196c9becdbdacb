//! Typed identifiers. All ids are UUID v7 (time-ordered) issued by the
//! [`IdGenerator`](crate::ports::IdGenerator) port.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

id_type!(/// Identifies a ledger (one book of accounts).
    LedgerId);
id_type!(/// Identifies an account; a user's wallet is one.
    AccountId);
id_type!(/// Identifies an identity (the owner of wallets).
    IdentityId);
id_type!(/// Identifies a transaction (journal entry).
    TransactionId);
id_type!(/// Identifies an account category.
    CategoryId);
id_type!(/// Identifies an account group (a grouping of accounts inside one book).
    GroupId);
id_type!(/// Identifies an account statement.
    StatementId);
