-- Group commit. A batch of postings updates each counter row once, so a hot
-- house account no longer needs several counter shards to avoid serialising
-- every posting behind one row lock: the shards are folded into shard 0 and
-- every account keeps exactly one counter row. One row per account also
-- totally orders the account's versions, which each entry now records.
UPDATE account_balances b SET
    posted_debits = s.pd, posted_credits = s.pc, pending_debits = s.qd, pending_credits = s.qc, version = s.v
FROM (SELECT account_id, sum(posted_debits) AS pd, sum(posted_credits) AS pc,
             sum(pending_debits) AS qd, sum(pending_credits) AS qc, sum(version) AS v
      FROM account_balances GROUP BY account_id HAVING count(*) > 1) s
WHERE b.account_id = s.account_id AND b.shard = 0;
DELETE FROM account_balances WHERE shard <> 0;
ALTER TABLE account_balances ADD CONSTRAINT account_balances_one_row CHECK (shard = 0);

-- The account's version right after the posting that wrote the entry (Modern
-- Treasury's ledger_account_lock_version); NULL on entries written before.
ALTER TABLE entries ADD COLUMN account_version bigint;
CREATE INDEX entries_account_version ON entries (account_id, account_version);
