-- Up Migration
-- Journal notes (the add_note tool, `countersign notes add`) attach to a symbol, a proposal or
-- an order; retrieval (rag/) cites them by id.
ALTER TABLE notes ADD COLUMN proposal_id uuid REFERENCES proposals (id);
ALTER TABLE notes ADD COLUMN order_id uuid REFERENCES orders (id);
ALTER TABLE notes ADD CONSTRAINT notes_body_length CHECK (length(body) <= 8000);
CREATE INDEX notes_symbol ON notes (symbol, created_at DESC);
CREATE INDEX notes_created ON notes (created_at);

-- Down Migration
DROP INDEX notes_created;
DROP INDEX notes_symbol;
ALTER TABLE notes DROP CONSTRAINT notes_body_length;
ALTER TABLE notes DROP COLUMN order_id;
ALTER TABLE notes DROP COLUMN proposal_id;
