-- Up Migration
-- The approval gate, tightened:
-- * API tokens get an 'approve' scope of their own: holding the approver role is no longer enough
--   for a token to decide; `countersign token create` grants 'approve' only when asked.
-- * Each account says whether an MCP client's elicitation form may approve for it. The built-in
--   paper account allows it; every other account (a live broker's above all) starts with it off.
ALTER TABLE identities DROP CONSTRAINT identities_scopes_check;
ALTER TABLE identities ADD CONSTRAINT identities_scopes_check
  CHECK (scopes <@ ARRAY['read', 'propose', 'approve']::text[]);

ALTER TABLE accounts ADD COLUMN allow_elicitation boolean NOT NULL DEFAULT false;
UPDATE accounts SET allow_elicitation = true WHERE id = 'paper';

-- Down Migration
ALTER TABLE accounts DROP COLUMN allow_elicitation;
UPDATE identities SET scopes = array_remove(scopes, 'approve') WHERE 'approve' = ANY (scopes);
ALTER TABLE identities DROP CONSTRAINT identities_scopes_check;
ALTER TABLE identities ADD CONSTRAINT identities_scopes_check
  CHECK (scopes <@ ARRAY['read', 'propose']::text[]);
