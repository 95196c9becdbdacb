-- A partial post splits a pending transaction into a posted part and a pending
-- remainder; both point at the first hold of the chain.
ALTER TABLE transactions ADD COLUMN partial_of uuid REFERENCES transactions (id);
CREATE INDEX transactions_partial_of ON transactions (partial_of) WHERE partial_of IS NOT NULL;
