-- Up Migration
-- The built-in paper account trades the bundled history (prices that end years ago), at any hour:
-- its risk limits switch off the market-hours and fresh-price checks, which would otherwise
-- refuse every approval. Every other limit keeps its default. Only an untouched '{}' is changed.
UPDATE accounts SET risk_limits = '{"marketHours": "any", "maxPriceAgeHours": null}'::jsonb
 WHERE id = 'paper' AND risk_limits = '{}'::jsonb;

-- Down Migration
UPDATE accounts SET risk_limits = '{}'::jsonb
 WHERE id = 'paper' AND risk_limits = '{"marketHours": "any", "maxPriceAgeHours": null}'::jsonb;
