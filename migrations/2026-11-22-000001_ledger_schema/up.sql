-- Wallet Ledger schema. Amounts are NUMERIC (exact, unbounded); every *_id
-- column has a foreign key; the journal protects itself with triggers.

CREATE TABLE ledgers (
    id                  uuid PRIMARY KEY,
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    description         text,
    metadata            jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    withdrawal_fee_rate numeric     NOT NULL DEFAULT 0.02 CHECK (withdrawal_fee_rate >= 0 AND withdrawal_fee_rate < 1),
    created_at          timestamptz NOT NULL
);

CREATE TABLE identities (
    id                uuid PRIMARY KEY,
    ledger_id         uuid        NOT NULL REFERENCES ledgers (id),
    kind              text        NOT NULL CHECK (kind IN ('individual', 'organization')),
    first_name        text,
    last_name         text,
    organization_name text,
    email             text,
    phone             text,
    metadata          jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at        timestamptz NOT NULL
);
CREATE INDEX identities_ledger ON identities (ledger_id, id);

CREATE TABLE accounts (
    id              uuid PRIMARY KEY,
    ledger_id       uuid        NOT NULL REFERENCES ledgers (id),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    code            text,
    kind            text        NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
    normal_balance  text        NOT NULL CHECK (normal_balance IN ('debit', 'credit')),
    currency        text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    identity_id     uuid REFERENCES identities (id),
    -- NULL: unlimited. Otherwise how far the available balance may go below zero.
    overdraft_limit numeric CHECK (overdraft_limit >= 0),
    metadata        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at      timestamptz NOT NULL,
    CONSTRAINT accounts_ledger_code_key UNIQUE (ledger_id, code)
);
CREATE INDEX accounts_ledger ON accounts (ledger_id, id);
CREATE INDEX accounts_identity ON accounts (identity_id, id) WHERE identity_id IS NOT NULL;
CREATE INDEX accounts_metadata ON accounts USING gin (metadata jsonb_path_ops);

-- Maintained balance counters. An account with an overdraft limit has exactly
-- one row (shard 0), locked by every posting that must check it. An account
-- without a limit (cash, revenue: house accounts) has several shards; a posting
-- adds its delta to one of them, so hot house accounts do not serialise every
-- posting behind one row lock. Balances are the sums over the shards.
CREATE TABLE account_balances (
    account_id      uuid     NOT NULL REFERENCES accounts (id),
    shard           smallint NOT NULL CHECK (shard >= 0),
    posted_debits   numeric  NOT NULL DEFAULT 0,
    posted_credits  numeric  NOT NULL DEFAULT 0,
    pending_debits  numeric  NOT NULL DEFAULT 0,
    pending_credits numeric  NOT NULL DEFAULT 0,
    version         bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, shard)
) WITH (fillfactor = 50); -- room on each page for HOT updates of the counters

CREATE TABLE transactions (
    id             uuid PRIMARY KEY,
    ledger_id      uuid        NOT NULL REFERENCES ledgers (id),
    status         text        NOT NULL CHECK (status IN ('pending', 'posted', 'archived')),
    description    text,
    metadata       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    effective_at   timestamptz NOT NULL,
    external_id    text,
    reverses_id    uuid UNIQUE REFERENCES transactions (id),
    reversed_by_id uuid UNIQUE REFERENCES transactions (id),
    created_at     timestamptz NOT NULL,
    posted_at      timestamptz,
    CHECK ((status = 'posted') = (posted_at IS NOT NULL) OR status = 'archived')
);
CREATE UNIQUE INDEX transactions_ledger_external_id_key ON transactions (ledger_id, external_id)
    WHERE external_id IS NOT NULL AND status IN ('pending', 'posted');
CREATE INDEX transactions_ledger ON transactions (ledger_id, id);
-- the few transactions that are not posted, for as-of balances
CREATE INDEX transactions_not_posted ON transactions (id) WHERE status <> 'posted';
CREATE INDEX transactions_metadata ON transactions USING gin (metadata jsonb_path_ops);

CREATE TABLE entries (
    transaction_id uuid        NOT NULL REFERENCES transactions (id),
    line           integer     NOT NULL CHECK (line >= 0),
    account_id     uuid        NOT NULL REFERENCES accounts (id),
    direction      text        NOT NULL CHECK (direction IN ('debit', 'credit')),
    amount         numeric     NOT NULL CHECK (amount > 0),
    currency       text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- copied from the transaction (immutable there) for as-of queries by account
    effective_at   timestamptz NOT NULL,
    PRIMARY KEY (transaction_id, line)
);
CREATE INDEX entries_account_effective ON entries (account_id, effective_at, transaction_id, line) INCLUDE (direction, amount);

CREATE TABLE categories (
    id             uuid PRIMARY KEY,
    ledger_id      uuid        NOT NULL REFERENCES ledgers (id),
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    description    text,
    currency       text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    normal_balance text        NOT NULL CHECK (normal_balance IN ('debit', 'credit')),
    metadata       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at     timestamptz NOT NULL
);
CREATE INDEX categories_ledger ON categories (ledger_id, id);

CREATE TABLE category_members (
    category_id        uuid        NOT NULL REFERENCES categories (id),
    position           bigserial   PRIMARY KEY,
    member_account_id  uuid REFERENCES accounts (id),
    member_category_id uuid REFERENCES categories (id),
    CHECK ((member_account_id IS NULL) <> (member_category_id IS NULL)),
    CHECK (member_category_id IS DISTINCT FROM category_id),
    UNIQUE (category_id, member_account_id),
    UNIQUE (category_id, member_category_id)
);

CREATE TABLE api_keys (
    id         uuid PRIMARY KEY,
    name       text        NOT NULL,
    -- the first characters of the key, to recognise it; the key itself is never stored
    prefix     text        NOT NULL,
    key_hash   text        NOT NULL UNIQUE,
    scope      text        NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE idempotency_keys (
    api_key_id      uuid        NOT NULL REFERENCES api_keys (id),
    key             text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- hash of method, path and body: the same key with another request is refused
    request_hash    text        NOT NULL,
    -- NULL while the first request runs
    response_status integer,
    -- 'transaction': the created transaction, stored in the posting's own
    -- database transaction; 'rendered': a response body as sent
    response_kind   text CHECK (response_kind IN ('transaction', 'rendered')),
    response_body   jsonb,
    CHECK ((response_status IS NULL) = (response_kind IS NULL) AND (response_kind IS NULL) = (response_body IS NULL)),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (api_key_id, key)
);

-- The journal is append-only once final: entries of posted or archived
-- transactions cannot change; a final transaction only gains its reversal link.
CREATE FUNCTION entries_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM transactions t WHERE t.id = OLD.transaction_id AND t.status <> 'pending') THEN
        RAISE EXCEPTION 'entries of a % transaction cannot be changed',
            (SELECT status FROM transactions WHERE id = OLD.transaction_id)
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.amount, NEW.account_id, NEW.direction, NEW.transaction_id)
        IS DISTINCT FROM (OLD.amount, OLD.account_id, OLD.direction, OLD.transaction_id) THEN
        RAISE EXCEPTION 'entries cannot be changed' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER entries_immutable BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION entries_are_immutable();

CREATE FUNCTION transactions_follow_status_machine() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'transactions cannot be deleted' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.id, NEW.ledger_id, NEW.effective_at, NEW.created_at, NEW.reverses_id, NEW.external_id)
        IS DISTINCT FROM (OLD.id, OLD.ledger_id, OLD.effective_at, OLD.created_at, OLD.reverses_id, OLD.external_id) THEN
        RAISE EXCEPTION 'a transaction''s identity and dates cannot be changed' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'pending' AND NEW.status <> OLD.status THEN
        RAISE EXCEPTION 'a % transaction is final', OLD.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.reversed_by_id IS NOT NULL AND NEW.reversed_by_id IS DISTINCT FROM OLD.reversed_by_id THEN
        RAISE EXCEPTION 'a transaction is reversed at most once' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'pending' AND (NEW.metadata, NEW.description, NEW.posted_at)
        IS DISTINCT FROM (OLD.metadata, OLD.description, OLD.posted_at) THEN
        RAISE EXCEPTION 'a % transaction is immutable', OLD.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER transactions_status_machine BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION transactions_follow_status_machine();

-- Raised from inside the one-statement posting when an account's limit refuses
-- it: the whole statement (counters, transaction, entries) rolls back.
CREATE FUNCTION ledger_refuse(account uuid, reason text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_refused:%:%', reason, account USING ERRCODE = 'P0001';
END $$;
