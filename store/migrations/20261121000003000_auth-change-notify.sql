-- Up Migration
-- Servers keep verified bearer tokens in memory for a short while (server/token-cache.ts). Any
-- change to identities or principals — a token revoked, its scopes changed, a principal disabled,
-- whether by `countersign token revoke`, the API_TOKENS sync or an operator's own SQL — tells them
-- to forget what they hold, at the commit of the change.
CREATE FUNCTION notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('countersign_auth_changed', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;

-- Only the columns that decide who a token is and what it may do: last_used_at moves every minute
-- and must not empty the caches.
CREATE TRIGGER identities_auth_changed
  AFTER UPDATE OF principal_id, kind, external_id, secret_hash, scopes, revoked_at
     OR DELETE OR TRUNCATE ON identities
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();

CREATE TRIGGER principals_auth_changed
  AFTER UPDATE OF handle, disabled_at OR DELETE OR TRUNCATE ON principals
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();

-- Down Migration
DROP TRIGGER principals_auth_changed ON principals;
DROP TRIGGER identities_auth_changed ON identities;
DROP FUNCTION notify_auth_changed();
