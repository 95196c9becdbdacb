-- What a batch of accepted postings writes, in one statement: each array is
-- one column and unnest zips them. Each counter row is updated once per
-- batch, by the sum of the batch's deltas on it and the number of postings (n)
-- that touched it. A status change uses the counter part alone. Every column
-- is checked against schema.rs by tests/sql_columns.rs.
WITH t AS (
    INSERT INTO transactions (id, ledger_id, status, description, metadata, effective_at, external_id, reverses_id, partial_of, created_at, posted_at)
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[],
                         $7::text[], $8::uuid[], $9::uuid[], $10::timestamptz[], $11::timestamptz[])
    RETURNING 1),
e AS (
    INSERT INTO entries (transaction_id, line, account_id, direction, amount, currency, effective_at, account_version)
    SELECT * FROM unnest($12::uuid[], $13::int4[], $14::uuid[], $15::text[], $16::numeric[], $17::text[],
                         $18::timestamptz[], $19::int8[])
    RETURNING 1),
c AS (
    UPDATE account_balances b SET
        posted_debits = b.posted_debits + d.pd, posted_credits = b.posted_credits + d.pc,
        pending_debits = b.pending_debits + d.qd, pending_credits = b.pending_credits + d.qc,
        version = b.version + d.n
    FROM unnest($20::uuid[], $21::numeric[], $22::numeric[], $23::numeric[], $24::numeric[], $25::int8[])
        AS d(account_id, pd, pc, qd, qc, n)
    WHERE b.account_id = d.account_id AND b.shard = 0
    RETURNING 1),
-- the same deltas by effective day (the balance checkpoints)
s AS (
    INSERT INTO account_day_sums (account_id, day, posted_debits, posted_credits, pending_debits, pending_credits)
    SELECT * FROM unnest($31::uuid[], $32::date[], $33::numeric[], $34::numeric[], $35::numeric[], $36::numeric[])
    ON CONFLICT (account_id, day) DO UPDATE SET
        posted_debits = account_day_sums.posted_debits + EXCLUDED.posted_debits,
        posted_credits = account_day_sums.posted_credits + EXCLUDED.posted_credits,
        pending_debits = account_day_sums.pending_debits + EXCLUDED.pending_debits,
        pending_credits = account_day_sums.pending_credits + EXCLUDED.pending_credits
    RETURNING 1),
-- fenced by the claim token (the claims were locked by held_claims.sql)
i AS (
    UPDATE idempotency_keys k SET response_status = d.status, response_kind = 'transaction', response_body = d.body
    FROM unnest($26::uuid[], $27::text[], $28::uuid[], $29::int4[], $30::jsonb[]) AS d(api_key_id, key, token, status, body)
    WHERE k.api_key_id = d.api_key_id AND k.key = d.key AND k.claim_token = d.token AND k.response_status IS NULL
    RETURNING 1)
SELECT (SELECT count(*) FROM t) AS transactions, (SELECT count(*) FROM e) AS entries,
       (SELECT count(*) FROM c) AS counters, (SELECT count(*) FROM s) AS days,
       (SELECT count(*) FROM i) AS completions
