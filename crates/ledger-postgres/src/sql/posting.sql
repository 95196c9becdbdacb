-- The one-statement posting, after `WITH p AS MATERIALIZED (SELECT $1::uuid AS tx, …), `
-- which `fast.rs` writes from its bound parameters. Every column a CTE writes is
-- checked against schema.rs by a test (tests/sql_columns.rs).
d AS MATERIALIZED (
    SELECT x.* FROM p, unnest(p.d_accounts, p.d_shards, p.pd, p.pc, p.qd, p.qc, p.floors, p.normals)
        AS x(account_id, shard, pd, pc, qd, qc, floor, normal)
    ORDER BY x.account_id),
-- the counter rows, locked in (account, shard) order before any is updated: an
-- UPDATE's join locks rows in whatever order its plan visits them (a hash join
-- over a scan of the table: table order), so two postings touching the same
-- two accounts in opposite orders deadlocked; every row the UPDATE below
-- touches has been locked here first, in one global order
l AS MATERIALIZED (
    SELECT b.account_id, b.shard FROM account_balances b JOIN d ON b.account_id = d.account_id AND b.shard = d.shard
    ORDER BY b.account_id, b.shard
    FOR UPDATE OF b),
upd AS (
    UPDATE account_balances b SET
        posted_debits = b.posted_debits + d.pd, posted_credits = b.posted_credits + d.pc,
        pending_debits = b.pending_debits + d.qd, pending_credits = b.pending_credits + d.qc,
        version = b.version + 1
    FROM d JOIN l ON l.account_id = d.account_id AND l.shard = d.shard
    WHERE b.account_id = d.account_id AND b.shard = d.shard
      -- the available balance after the posting, per the domain's table (Account::available)
      AND (d.floor IS NULL OR CASE WHEN d.normal = 'credit'
            THEN (b.posted_credits + d.pc) - (b.posted_debits + d.pd) - (b.pending_debits + d.qd)
            ELSE (b.posted_debits + d.pd) - (b.posted_credits + d.pc) - (b.pending_credits + d.qc) END >= d.floor)
    RETURNING b.account_id),
t AS (
    INSERT INTO transactions (id, ledger_id, status, description, metadata, effective_at, external_id, reverses_id, partial_of, created_at, posted_at)
    SELECT p.tx, p.ledger, p.status, p.description, p.metadata, p.effective_at, p.external_id, p.reverses, p.partial_of, p.created_at, p.posted_at FROM p),
e AS (
    INSERT INTO entries (transaction_id, line, account_id, direction, amount, currency, effective_at)
    SELECT p.tx, x.line, x.account_id, x.direction, x.amount, x.currency, p.effective_at
    FROM p, unnest(p.lines, p.e_accounts, p.e_directions, p.e_amounts, p.e_currencies)
        AS x(line, account_id, direction, amount, currency)),
-- fenced by the claim token: a claim taken over by a retry completes nothing
i AS (
    UPDATE idempotency_keys k SET response_status = p.idem_status, response_kind = 'transaction', response_body = p.snapshot
    FROM p WHERE p.idem_key_id IS NOT NULL AND k.api_key_id = p.idem_key_id AND k.key = p.idem_key
      AND k.claim_token = p.idem_token AND k.response_status IS NULL
    RETURNING k.key)
SELECT d.account_id FROM d
WHERE d.account_id NOT IN (SELECT account_id FROM upd)
  AND ledger_refuse(d.account_id, CASE WHEN d.floor IS NULL THEN 'missing_counters' ELSE 'insufficient_funds' END)
UNION ALL
SELECT NULL FROM p
WHERE p.idem_key_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM i)
  AND ledger_refuse(NULL, 'idempotency_claim_lost')
