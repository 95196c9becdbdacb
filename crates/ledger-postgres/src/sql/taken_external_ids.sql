-- Which of a batch's (ledger, external_id) pairs a live transaction holds.
SELECT t.ledger_id, t.external_id
FROM transactions t
JOIN unnest($1::uuid[], $2::text[]) AS x(ledger_id, external_id)
  ON t.ledger_id = x.ledger_id AND t.external_id = x.external_id
WHERE t.status IN ('pending', 'posted')
