-- The idempotency claims of a batch still held by the claim token each posting
-- carries, locked until the batch commits (a claim taken over by a retry after
-- its lease is not returned: that posting stores nothing).
SELECT k.api_key_id, k.key
FROM idempotency_keys k
JOIN unnest($1::uuid[], $2::text[], $3::uuid[]) AS x(api_key_id, key, token)
  ON k.api_key_id = x.api_key_id AND k.key = x.key AND k.claim_token = x.token
WHERE k.response_status IS NULL
ORDER BY k.api_key_id, k.key
FOR UPDATE OF k
