-- Up Migration
-- The person at this machine: principal `local`, recognised on the CLI as the OS user "local",
-- trader, approver and admin on the paper account, which opens with 100,000 USD. Idempotent, so
-- that a database where someone created `local` by hand migrates cleanly.

INSERT INTO principals (handle, display_name) VALUES ('local', 'Local user')
  ON CONFLICT (handle) DO NOTHING;

INSERT INTO role_grants (principal_id, account_id, role)
  SELECT p.id, 'paper', r.role
    FROM principals p, (VALUES ('trader'), ('approver'), ('admin')) AS r (role)
   WHERE p.handle = 'local'
  ON CONFLICT DO NOTHING;

INSERT INTO identities (principal_id, kind, external_id)
  SELECT id, 'cli', 'local' FROM principals WHERE handle = 'local'
  ON CONFLICT (kind, external_id) DO NOTHING;

INSERT INTO cash_ledger (account_id, amount, currency, kind, note)
  SELECT 'paper', 100000, 'USD', 'deposit', 'opening balance'
   WHERE NOT EXISTS (
     SELECT 1 FROM cash_ledger
      WHERE account_id = 'paper' AND kind = 'deposit' AND note = 'opening balance'
   );

-- Down Migration
-- Removes the seed only while nothing refers to it: once `local` has proposed, approved or
-- traded, those rows keep it (the foreign keys refuse the delete) and this migration fails.
DELETE FROM cash_ledger
 WHERE account_id = 'paper' AND kind = 'deposit' AND note = 'opening balance';
DELETE FROM principals WHERE handle = 'local';
