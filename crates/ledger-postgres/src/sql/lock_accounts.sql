-- The counter rows of every account a write changes or a condition reads,
-- locked in account order: the one global order every write (a batch of
-- postings, a status change, a reversal) locks in, so no two can deadlock.
-- ORDER BY sits below the row locking, so rows are locked in this order.
SELECT b.account_id, a.normal_balance, a.overdraft_limit,
       b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits, b.version
FROM account_balances b JOIN accounts a ON a.id = b.account_id
WHERE b.account_id = ANY($1)
ORDER BY b.account_id
FOR UPDATE OF b
