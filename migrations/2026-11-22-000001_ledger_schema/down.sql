DROP TABLE idempotency_keys, api_keys, category_members, categories, entries, transactions,
    account_balances, accounts, identities, ledgers;
DROP FUNCTION entries_are_immutable();
DROP FUNCTION transactions_follow_status_machine();
DROP FUNCTION ledger_refuse(uuid, text);
