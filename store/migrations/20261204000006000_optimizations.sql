-- Up Migration
-- Every optimize_strategy run, kept like backtests so that retrieval can answer "what did the
-- last optimization of sma_cross on MSFT find?": what was searched and the best set per symbol
-- (with the walk-forward summary when there was one). The grid of every backtest is not kept.
CREATE TABLE optimizations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_by    uuid REFERENCES principals (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  strategy      text NOT NULL,
  method        text NOT NULL,
  objective     text NOT NULL,
  symbols       text[] NOT NULL CHECK (cardinality(symbols) > 0),
  start_date    date,
  end_date      date,
  price_mode    text NOT NULL,
  backtests     integer NOT NULL CHECK (backtests >= 0),
  -- [{symbol, params, score}], one per symbol.
  best          jsonb NOT NULL CHECK (jsonb_typeof(best) = 'array'),
  -- [{symbol, folds, mean_in_sample, mean_out_of_sample, degradation, most_common_params}] or null.
  walk_forward  jsonb CHECK (walk_forward IS NULL OR jsonb_typeof(walk_forward) = 'array'),
  settings      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object')
);
CREATE INDEX optimizations_created ON optimizations (created_at DESC);

-- Down Migration
DROP TABLE optimizations;
