-- Up Migration
-- Trades made elsewhere, loaded by `countersign import-trades FILE.csv` (store/trades-import/):
-- the trader's own history from another platform. They never reach a broker and no order, fill,
-- position or cash row is made from them; trade_stats matches them with the fills, and
-- explain_trade says what is known of each (the file and line it came from) and what is not.
--
-- Importing the same file twice changes nothing: a row is keyed by the file's SHA-256 and its
-- line; a row whose `id` column was given is also keyed by that id (external_id), so the same
-- broker trade in an overlapping second export is not loaded twice; a row without an id is also
-- keyed by its content (content_key: date, symbol, side, quantity, price and fees, and which
-- occurrence of that trade it is in its file), so the same file saved again by a spreadsheet
-- (other bytes, same trades) or an overlapping export adds only the trades not seen before, while
-- two identical trades listed in one file are both kept. The importer inserts with ON CONFLICT DO
-- NOTHING inside one transaction per file.
CREATE TABLE imported_trades (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id     text NOT NULL DEFAULT 'paper' REFERENCES accounts (id),
  -- The file's `id` column (a broker's trade or execution id), when it has one.
  external_id    text CHECK (length(external_id) BETWEEN 1 AND 200),
  trade_date     date NOT NULL,
  symbol         text NOT NULL CHECK (symbol ~ '^[A-Z0-9][A-Z0-9.-]{0,19}$'),
  side           text NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity       numeric NOT NULL CHECK (quantity > 0),
  price          numeric NOT NULL CHECK (price > 0),
  fees           numeric NOT NULL DEFAULT 0 CHECK (fees >= 0),
  strategy       text CHECK (length(strategy) BETWEEN 1 AND 40),
  note           text CHECK (length(note) BETWEEN 1 AND 10000),
  -- Where it came from: the file's name (not its folder), the SHA-256 of its bytes, and the
  -- 1-based line (the header is line 1), as the importer's refusals count them.
  source_file    text NOT NULL CHECK (length(source_file) BETWEEN 1 AND 255),
  source_sha256  text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
  line           integer NOT NULL CHECK (line >= 2),
  -- md5 of "date|symbol|side|quantity|price|fees|n" (numbers without trailing zeros; n: the
  -- how-manieth row of the file with those values).
  content_key    text NOT NULL CHECK (content_key ~ '^[0-9a-f]{32}$'),
  imported_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT imported_trades_file_line UNIQUE (account_id, source_sha256, line)
);
CREATE UNIQUE INDEX imported_trades_external_id ON imported_trades (account_id, external_id)
  WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX imported_trades_content ON imported_trades (account_id, content_key)
  WHERE external_id IS NULL;
-- No index by date: trade_stats reads an account's rows through imported_trades_file_line (it
-- starts with account_id) and sorts them; each index costs about a second per 400,000 rows loaded.

-- Retrieval (rag/) indexes imported trades and their notes; an import made by the CLI in another
-- process tells a running server at its commit, one notification per statement, as daily_bars does.
CREATE FUNCTION notify_imported_trades_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('countersign_imported_trades_changed', TG_OP);
  RETURN NULL;
END;
$$;
CREATE TRIGGER imported_trades_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON imported_trades
  FOR EACH STATEMENT EXECUTE FUNCTION notify_imported_trades_changed();

-- Down Migration
DROP TABLE imported_trades;
DROP FUNCTION notify_imported_trades_changed();
