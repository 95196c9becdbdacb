DROP TABLE account_statements;
