//! The Modern Treasury Ledgers dialect: MT's API (its Python SDK with
//! `base_url = "http://HOST:PORT/mt"`) over the same domain service as the
//! native API, mounted under `/mt/api`.
//!
//! The mapping is direct: an MT ledger is one of our ledgers (MT transactions
//! do not cross ledgers either), a ledger account is an account (credit-normal
//! ones are liabilities, debit-normal ones assets; no overdraft limit — MT
//! states limits per posting, as balance constraints), a ledger transaction is
//! a transaction with its entries, a category is a category. What MT users get
//! besides: a 201 means committed, an `Idempotency-Key` (the SDK sends one with
//! every POST and PUT) executes once even across a crash, amounts are exact.
//!
//! Amounts travel as integers in the currency's minor unit (`currency_exponent`
//! is the ISO 4217 one), with `*_string` copies. MT's `lock_version` is the
//! account's `version`; entry conditions (`lock_version`, `*_balance_amount`)
//! are checked atomically with the posting. A partial post posts the given
//! lines and releases the rest. Statements are kept as generated. Each entry
//! carries the account's version right after its posting
//! (`ledger_account_lock_version`), so `as_of_lock_version` lists what an
//! account held at a version.
//!
//! Not served: updating accounts or categories, balances as of a lock version,
//! transaction versions, ledgerable links, `archived` at creation — each
//! answers 422 with what to do instead.

mod api;
mod dialect;
mod render;

pub use api::{configure, openapi, openapi_json};
pub use dialect::Mt;
