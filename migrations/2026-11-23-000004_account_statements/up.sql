-- Account statements, kept as generated: the counters at both ends of a period.
CREATE TABLE account_statements (
    id              uuid        PRIMARY KEY,
    account_id      uuid        NOT NULL REFERENCES accounts (id),
    ledger_id       uuid        NOT NULL REFERENCES ledgers (id),
    effective_from  timestamptz NOT NULL,
    effective_to    timestamptz NOT NULL CHECK (effective_to > effective_from),
    -- BalanceCounters as JSON with decimal strings (exact)
    starting        jsonb       NOT NULL,
    ending          jsonb       NOT NULL,
    account_version bigint      NOT NULL,
    description     text,
    metadata        jsonb       NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL
);
