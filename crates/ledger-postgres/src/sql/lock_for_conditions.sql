-- A posting with conditions: every counter row it changes ($2, $3) and every
-- shard of each account a condition reads ($1), locked in (account, shard)
-- order, the one global order every posting locks in.
SELECT b.account_id, b.shard, b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits, b.version
FROM account_balances b
WHERE b.account_id = ANY($1)
   OR (b.account_id, b.shard) IN (SELECT x.account_id, x.shard FROM unnest($2::uuid[], $3::int2[]) AS x(account_id, shard))
ORDER BY b.account_id, b.shard
FOR UPDATE
