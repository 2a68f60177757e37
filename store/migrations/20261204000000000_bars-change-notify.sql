-- Up Migration
-- Servers keep price series in memory (store/market-data/price-cache.ts). Any change to
-- daily_bars — `countersign import` in another process, the sample loaded at start-up, an
-- operator's own SQL — tells them to forget what they hold, at the commit of the change. One
-- notification per statement: a bulk import of millions of rows sends a handful, not millions
-- (PostgreSQL also folds identical notifications within one transaction into one).
CREATE FUNCTION notify_bars_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('countersign_bars_changed', TG_OP);
  RETURN NULL;
END;
$$;

CREATE TRIGGER daily_bars_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON daily_bars
  FOR EACH STATEMENT EXECUTE FUNCTION notify_bars_changed();

-- Down Migration
DROP TRIGGER daily_bars_changed ON daily_bars;
DROP FUNCTION notify_bars_changed();
