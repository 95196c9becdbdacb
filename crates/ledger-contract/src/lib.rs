//! One contract test suite for every [`LedgerStore`] adapter.
//!
//! An adapter's test file provides a [`StoreFactory`] and invokes
//! [`contract_tests!`]; the same generic tests then run against it, so the
//! in-memory reference and the PostgreSQL adapter answer alike.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod invariants;
pub mod properties;
pub mod scenarios;

use std::str::FromStr;

use bigdecimal::BigDecimal;
use ledger_domain::ports::{LedgerStore, SystemClock, UuidV7Generator};
use ledger_domain::service::{Deposit, OperationOptions, Transfer, Withdrawal};
use ledger_domain::{
    Account, AccountId, AccountKind, Currency, Ledger, LedgerService, NewAccount, NewLedger, Transaction,
};

/// Gives each test a store to work on. A store may be shared between tests as
/// long as each test works in ledgers of its own (every test here does).
pub trait StoreFactory: Sync {
    type Store: LedgerStore + Clone;
    fn store(&self) -> Self::Store;
    /// Property-test cases per run (`PROPTEST_CASES` overrides).
    fn property_cases(&self) -> u32 {
        64
    }
}

pub type Service<S> = LedgerService<S, SystemClock, UuidV7Generator>;

pub fn service<S: LedgerStore>(store: S) -> Service<S> {
    LedgerService::new(store, SystemClock, UuidV7Generator)
}

pub fn dec(s: &str) -> BigDecimal {
    BigDecimal::from_str(s).unwrap()
}

pub fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

pub fn ledger<S: LedgerStore>(svc: &Service<S>) -> Ledger {
    svc.create_ledger(NewLedger {
        name: "contract".into(),
        ..NewLedger::default()
    })
    .unwrap()
}

pub fn account<S: LedgerStore>(
    svc: &Service<S>,
    ledger: &Ledger,
    name: &str,
    kind: AccountKind,
    currency: Currency,
) -> Account {
    svc.create_account(NewAccount {
        ledger_id: ledger.id,
        name: name.into(),
        code: None,
        kind,
        normal_balance: None,
        currency,
        identity_id: None,
        overdraft_limit: None,
        metadata: Default::default(),
    })
    .unwrap()
}

pub fn wallet<S: LedgerStore>(svc: &Service<S>, ledger: &Ledger, name: &str) -> Account {
    account(svc, ledger, name, AccountKind::Liability, usd())
}

/// A USD amount from its text.
pub fn usd_amount(text: &str) -> ledger_domain::money::Amount {
    ledger_domain::money::Amount::parse(text, usd()).unwrap()
}

pub fn deposit_op(ledger: &Ledger, wallet: AccountId, amount: &str) -> Deposit {
    Deposit {
        ledger_id: ledger.id,
        wallet_id: wallet,
        amount: usd_amount(amount),
        cash_account_id: None,
        options: OperationOptions::default(),
    }
}

pub fn deposit<S: LedgerStore>(svc: &Service<S>, ledger: &Ledger, wallet: AccountId, amount: &str) -> Transaction {
    svc.deposit(deposit_op(ledger, wallet, amount)).unwrap()
}

pub fn transfer_op(ledger: &Ledger, from: AccountId, to: AccountId, amount: &str) -> Transfer {
    Transfer {
        ledger_id: ledger.id,
        from_wallet_id: from,
        to_wallet_id: to,
        amount: usd_amount(amount),
        options: OperationOptions::default(),
    }
}

pub fn withdrawal_op(ledger: &Ledger, wallet: AccountId, amount: &str) -> Withdrawal {
    Withdrawal {
        ledger_id: ledger.id,
        wallet_id: wallet,
        amount: usd_amount(amount),
        cash_account_id: None,
        options: OperationOptions::default(),
    }
}

/// Posted balance amount of an account, as a string.
pub fn posted<S: LedgerStore>(svc: &Service<S>, id: AccountId) -> String {
    let account = svc.get_account(id).unwrap();
    ledger_domain::money::format_fixed(&account.balances().posted.amount, account.currency.exponent())
}

/// Declares one `#[test]` per contract scenario for a factory expression.
#[macro_export]
macro_rules! contract_tests {
    ($factory:expr) => {
        $crate::contract_tests!(@each $factory;
            deposit_credits_the_wallet_and_debits_cash,
            withdrawal_books_the_two_percent_fee_to_revenue,
            withdrawal_of_one_cent_has_no_fee_entry,
            withdrawal_rounds_a_half_cent_fee_up,
            transfer_moves_money_between_wallets,
            transfer_to_self_is_refused,
            currency_mismatch_is_refused,
            insufficient_funds_writes_nothing,
            overdraft_limit_allows_exactly_the_limit,
            pending_deposit_counts_in_pending_but_not_posted_or_available,
            pending_withdrawal_holds_available_funds,
            archiving_a_hold_releases_it,
            a_posted_transaction_cannot_be_posted_or_archived_again,
            an_archived_transaction_cannot_be_posted,
            reversal_restores_every_balance_and_links_both_ways,
            a_transaction_is_reversed_at_most_once,
            reversal_that_would_overdraw_is_refused,
            duplicate_external_id_is_a_conflict_until_archived,
            unbalanced_and_short_transactions_never_exist,
            entries_on_another_ledgers_accounts_are_refused,
            multi_currency_transaction_balances_per_currency,
            system_accounts_are_created_once_per_currency,
            account_codes_are_unique_per_ledger,
            category_balance_aggregates_members_sign_adjusted,
            category_cycles_are_refused,
            backdated_transaction_changes_as_of_balance_only_after_its_effective_time,
            as_of_balances_equal_a_replay_of_the_entries_at_every_instant,
            statement_pages_carry_a_running_balance,
            transactions_filter_by_metadata_status_and_account,
            concurrent_transfers_never_overdraw,
            concurrent_system_account_creation_yields_one_account,
            random_operation_sequences_keep_every_invariant,
            random_operations_from_several_threads_keep_every_invariant,
            idempotency_records_complete_with_the_posting,
            a_dead_claim_is_taken_over_by_a_retry_that_posts_once,
            every_write_reads_back_as_answered,
            wallet_operations_refuse_accounts_that_are_not_wallets,
            allow_overdraft_belongs_to_one_posting_only,
            a_pending_transaction_posts_in_parts,
            accounts_and_transactions_are_found_by_code_and_external_id,
            groups_and_fixed_id_books_are_created_once,
            postings_with_conditions_land_only_when_they_hold,
            pending_metadata_changes_and_category_members_come_and_go,
            a_ledger_is_renamed_and_retagged,
            statements_are_kept_as_generated,
            api_keys_are_found_by_hash_listed_and_revoked_once
        );
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::scenarios::$name(&$factory);
            }
        )*
    };
}
