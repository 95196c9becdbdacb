-- Adds the checked deltas to the rows lock_counters.sql locked.
UPDATE account_balances b SET
    posted_debits = b.posted_debits + d.pd, posted_credits = b.posted_credits + d.pc,
    pending_debits = b.pending_debits + d.qd, pending_credits = b.pending_credits + d.qc,
    version = b.version + 1
FROM unnest($1::uuid[], $2::int2[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[])
     AS d(account_id, shard, pd, pc, qd, qc)
WHERE b.account_id = d.account_id AND b.shard = d.shard
