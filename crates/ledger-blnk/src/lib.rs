//! The Blnk dialect: Blnk's API (its SDKs, its tutorial's curl commands) over
//! the same domain service as the native API, mounted under `/blnk`.
//!
//! # The ledger model, decided
//!
//! In Blnk a "ledger" is a grouping: transactions cross ledgers (a wallet in
//! "Customer Wallets Ledger" is paid from `@WorldUSD` in Blnk's General
//! Ledger). Ours are books in which every transaction balances and nothing
//! crosses. The mapping that keeps our invariants:
//!
//! * **One book per tenant.** The Blnk dialect of a server keeps all its data
//!   in one of our ledgers (the *tenant book*, at a fixed id, opened on first
//!   use). Every Blnk transaction is therefore inside one book, balanced.
//!   Today a server has one tenant; when API keys can be restricted to
//!   ledgers, the book will be the key's.
//! * **Blnk ledgers are account groups** inside the book
//!   ([`ledger_domain::AccountGroup`]): a name, metadata, a creation time, and
//!   the balances that name them. Blnk's `general_ledger_id` is a group at a
//!   fixed id, opened on first use; indicator balances (`@WorldUSD`) belong to
//!   it, as in Blnk.
//! * **Balances are accounts**: a balance created with `POST /balances` is a
//!   `liability` (a user's wallet); an indicator balance is an `asset` (money
//!   held outside, e.g. at the bank). Both are credit-normal with an overdraft
//!   limit of zero, so Blnk's `balance = credit − debit` is our balance and
//!   Blnk's "insufficient funds unless `allow_overdraft`" is our limit rule,
//!   with `allow_overdraft` a permission of that posting only.
//! * **Transactions are ours**: `source` is debited, `destination` credited;
//!   `reference` is our `external_id`; `inflight` is `pending`; a commit is a
//!   (partial) post, a void archives what is still held, a refund is a
//!   reversal (at most once).
//!
//! What Blnk users get that Blnk does not give them: a 201 means committed
//! (`APPLIED` or `INFLIGHT`, never `QUEUED`), a refused posting is refused in
//! the answer (insufficient funds 400, duplicate reference 409), amounts are
//! exact (a JSON number is read from its text), refunds happen once.
//!
//! Ids keep Blnk's prefixes (`ldg_`, `idt_`, `bln_`, `txn_`) around our UUIDs.

mod api;
mod dialect;
mod money;
mod render;

pub use api::{configure, openapi, openapi_json};
pub use dialect::Blnk;
