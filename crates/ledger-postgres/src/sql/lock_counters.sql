-- The counter rows a status change moves, locked in account order: shard 0 of
-- an account with a limit, the write's shard ($2) of a house account.
SELECT b.account_id, b.shard, a.normal_balance, a.overdraft_limit,
       b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits
FROM account_balances b JOIN accounts a ON a.id = b.account_id
WHERE b.account_id = ANY($1)
  AND b.shard = CASE WHEN a.overdraft_limit IS NULL THEN $2 ELSE 0 END
ORDER BY b.account_id FOR UPDATE OF b
