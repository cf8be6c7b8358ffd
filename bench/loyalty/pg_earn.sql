-- pgbench script: one durable points credit, as siyu's Points::Earn does it: check the
-- idempotency key, lock the member, append the entry, add a lot, update the balance, store the
-- key with the result. Variables: members (-D members=N).
\set member random(1, :members)
\set k random(1, 9223372036854775806)
BEGIN;
SELECT count(*) AS seen FROM idempotency_keys WHERE tenant_id = 1 AND key = 'pg-' || :k \gset
\if :seen = 0
SELECT points FROM members WHERE customer_id = :member AND tenant_id = 1 FOR UPDATE \gset
INSERT INTO points_entries(tenant_id, customer_id, type, amount, balance_after, reason, source_type,
  idempotency_key, at) VALUES (1, :member, 'earn', 10, :points + 10, 'bench', 'campaign', 'pg-' || :k,
  (extract(epoch FROM clock_timestamp()) * 1000)::bigint) RETURNING id AS entry \gset
INSERT INTO points_lots(tenant_id, customer_id, entry_id, amount, remaining, earned_at, expires_at)
  VALUES (1, :member, :entry, 10, 10, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, 1830268800000);
UPDATE members SET points = points + 10, points_earned = points_earned + 10,
  updated_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint WHERE customer_id = :member;
INSERT INTO idempotency_keys(tenant_id, key, operation, fingerprint, status, result, created_at)
  VALUES (1, 'pg-' || :k, 'points.earn', md5(:member || ' 10 bench'), 200,
  '{"points":' || (:points + 10) || ',"entry_id":' || :entry || '}', (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
\endif
COMMIT;
