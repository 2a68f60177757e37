-- Up Migration
-- The passages retrieval answers from (rag/), one row per chunk with a stable id: the source of
-- truth for the vector store (which can always be rebuilt from here) and the keyword index that
-- answers when the vector store is down. `content_sha256` tells an unchanged chunk from a changed one.
CREATE TABLE rag_chunks (
  id              text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
  kind            text NOT NULL,
  source_id       text NOT NULL,
  symbol          text,
  side            text,
  strategy        text,
  day             date,
  day_end         date,
  cites           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(cites) = 'object'),
  body            text NOT NULL,
  content_sha256  text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
  embedder        text,
  indexed_at      timestamptz NOT NULL DEFAULT now(),
  search          tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX rag_chunks_search ON rag_chunks USING gin (search);
CREATE INDEX rag_chunks_source ON rag_chunks (kind, source_id);
CREATE INDEX rag_chunks_symbol ON rag_chunks (symbol, day);

-- Down Migration
DROP TABLE rag_chunks;
