-- Up Migration
-- The strategy or idea a proposal follows ("sma_cross", "earnings-drift"), given by whoever
-- proposes it, so that trade_stats can group closed trades by strategy. Not part of the order
-- hash: like the rationale, it describes the order; it is not what is sent.
ALTER TABLE proposals ADD COLUMN strategy text CHECK (strategy ~ '^[a-z0-9][a-z0-9_.-]{0,39}$');

-- Down Migration
ALTER TABLE proposals DROP COLUMN strategy;
