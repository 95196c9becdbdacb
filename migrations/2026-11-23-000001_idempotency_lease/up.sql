-- Idempotency claims are leases: a claim whose request died (the server was
-- killed between the claim and the write) is taken over by a retry once its
-- lease has run out. `claim_token` fences every completion: only the current
-- claimant's write can store the response, in the same transaction as the write.
ALTER TABLE idempotency_keys
    ADD COLUMN claim_token uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN lease_until timestamptz NOT NULL DEFAULT now();
ALTER TABLE idempotency_keys
    ALTER COLUMN claim_token DROP DEFAULT,
    ALTER COLUMN lease_until DROP DEFAULT;
