-- Up Migration
-- What led to a proposal, as its proposer stated it, for explain_trade: the parameters of the
-- strategy it follows ({"fast": 10, "slow": 50}) and the screen that picked the symbol
-- ({"as_of": "2021-06-30", "weights": {...}}). Like the rationale it describes the order and is
-- not part of the order hash.
ALTER TABLE proposals ADD COLUMN origin jsonb CHECK (origin IS NULL OR jsonb_typeof(origin) = 'object');
-- explain_trade finds the chat turn that made a proposal by the id its tool message cites.
CREATE INDEX messages_proposal ON messages ((data -> 'ids' ->> 'proposal_id')) WHERE role = 'tool';
-- Notes attached to a proposal or an order, for explain_trade's related notes.
CREATE INDEX notes_proposal ON notes (proposal_id) WHERE proposal_id IS NOT NULL;
CREATE INDEX notes_order ON notes (order_id) WHERE order_id IS NOT NULL;

-- Down Migration
DROP INDEX notes_order;
DROP INDEX notes_proposal;
DROP INDEX messages_proposal;
ALTER TABLE proposals DROP COLUMN origin;
