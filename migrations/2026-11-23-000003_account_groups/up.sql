-- Named groupings of accounts inside one book (what Blnk calls a ledger).
CREATE TABLE account_groups (
    id         uuid        PRIMARY KEY,
    ledger_id  uuid        NOT NULL REFERENCES ledgers (id),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    metadata   jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL
);
CREATE INDEX account_groups_ledger ON account_groups (ledger_id, id);
