DROP TABLE account_groups;
