DROP TABLE account_day_sums;
DROP INDEX entries_account_version;
ALTER TABLE entries DROP COLUMN account_version;
ALTER TABLE account_balances DROP CONSTRAINT account_balances_one_row;
