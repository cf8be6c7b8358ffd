-- Idempotency results move from a table clustered on the key to rows appended in commit order
-- with a separate index on the key. A key's whole result lived in the key's place in the tree,
-- about 200 bytes each, so keys arriving in no order kept filling and splitting pages all over
-- it: each stored result rewrote two to three pages of that table. The rows now go to the end
-- of the table and only the index entry (the key and a row id) lands among the others.
ALTER TABLE idempotency_keys RENAME TO idempotency_keys_clustered;

CREATE TABLE idempotency_keys (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    key         TEXT    NOT NULL,
    operation   TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,        -- SHA-256 of the request
    status      INTEGER NOT NULL,        -- HTTP status of the stored result
    result      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
INSERT INTO idempotency_keys(tenant_id, key, operation, fingerprint, status, result, created_at)
SELECT tenant_id, key, operation, fingerprint, status, result, created_at FROM idempotency_keys_clustered
ORDER BY created_at;
DROP TABLE idempotency_keys_clustered;
CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys(tenant_id, key);
