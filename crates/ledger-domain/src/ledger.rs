//! Ledgers and identities.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Metadata;
use crate::ids::{GroupId, IdentityId, LedgerId};
use crate::money::FeeRate;

/// One book of accounts. Nothing crosses ledgers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub id: LedgerId,
    pub name: String,
    pub description: Option<String>,
    pub metadata: Metadata,
    pub withdrawal_fee_rate: FeeRate,
    pub created_at: DateTime<Utc>,
}

/// What a caller supplies to open a ledger.
#[derive(Debug, Clone, Default)]
pub struct NewLedger {
    pub name: String,
    pub description: Option<String>,
    pub metadata: Metadata,
    /// `None` means the default 2%.
    pub withdrawal_fee_rate: Option<FeeRate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Individual,
    Organization,
}

crate::text_names!(IdentityKind { Individual => "individual", Organization => "organization" });

impl IdentityKind {}

/// The person or organisation that owns wallets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id: IdentityId,
    /// Identities belong to one ledger like everything else.
    pub ledger_id: LedgerId,
    pub kind: IdentityKind,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub organization_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewIdentity {
    pub ledger_id: LedgerId,
    pub kind: IdentityKind,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub organization_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub metadata: Metadata,
}

/// A named grouping of accounts inside one book, with no accounting meaning:
/// what Blnk calls a "ledger". Postings may cross groups (never books); an
/// account names its group in its metadata (`group_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountGroup {
    pub id: GroupId,
    pub ledger_id: LedgerId,
    pub name: String,
    pub metadata: Metadata,
    pub created_at: DateTime<Utc>,
}
