/**
 * An account's pre-trade risk limits: the JSON in `accounts.risk_limits`, parsed with defaults.
 * `{}` (the column's default) means every default below. A limit set to `null` turns its rule
 * off; an unknown key is an error (a misspelt limit must not be silently ignored).
 */
import { z } from 'zod';
import { describeValue } from './errors.js';

function bad(field: string, expected: string) {
  return (issue: { input?: unknown }) =>
    `risk limit ${field} must be ${expected}, got ${describeValue(issue.input)}`;
}

/** A fraction in (0, max]; null turns the rule off. */
function fraction(field: string, max: number, fallback: number | null) {
  const message = bad(field, `null or a fraction above 0 and at most ${max} (0.05 = 5 %)`);
  return z
    .number({ error: message })
    .gt(0, { error: message })
    .max(max, { error: message })
    .nullable()
    .default(fallback);
}

/** A positive finite number; null turns the rule off. */
function positive(field: string, unit: string, fallback: number | null) {
  const message = bad(field, `null or a number above 0 (${unit})`);
  return z.number({ error: message }).gt(0, { error: message }).nullable().default(fallback);
}

/** The schema of `accounts.risk_limits`; parse with `parseRiskLimits` for one readable error. */
export const riskLimitsSchema = z.strictObject({
  /** max_position_weight: the order symbol's |value| / equity after the order. Default 0.25. */
  maxPositionWeight: fraction('maxPositionWeight', 10, 0.25),
  /** max_order_notional: quantity × price of one order, in USD. Default $100,000. */
  maxOrderNotional: positive('maxOrderNotional', 'USD', 100_000),
  /** max_daily_loss: today's loss as a fraction of start-of-day equity. Default 0.05. */
  maxDailyLoss: fraction('maxDailyLoss', 1, 0.05),
  /** restricted_symbols: symbols no order may be proposed in (case-insensitive). Default none. */
  restrictedSymbols: z
    .array(
      z
        .string({ error: bad('restrictedSymbols', 'a list of symbols') })
        .trim()
        .min(1, { error: bad('restrictedSymbols', 'a list of non-blank symbols') }),
      { error: bad('restrictedSymbols', 'a list of symbols') },
    )
    .default([]),
  /** min_cash: USD that must remain after a buy; negative allows margin borrowing. Default $0. */
  minCash: z
    .number({ error: bad('minCash', 'null or a number of USD') })
    .nullable()
    .default(0),
  /** min_cash: a fraction of equity that must remain in cash after a buy. Default off. */
  minCashFraction: z
    .number({ error: bad('minCashFraction', 'null or a fraction from 0 to 1') })
    .min(0, { error: bad('minCashFraction', 'null or a fraction from 0 to 1') })
    .max(1, { error: bad('minCashFraction', 'null or a fraction from 0 to 1') })
    .nullable()
    .default(null),
  /** sector_concentration: the sector's gross |value| / equity after the order. Default 0.40. */
  maxSectorWeight: fraction('maxSectorWeight', 10, 0.4),
  /** sector_concentration: what an order in a symbol with no known sector gets. Default 'fail'. */
  unknownSector: z
    .enum(['pass', 'fail'], { error: bad('unknownSector', "'pass' or 'fail'") })
    .default('fail'),
  /** limit_price_band: a limit or stop price within ± this fraction of the last price. Default 0.05. */
  limitPriceBand: fraction('limitPriceBand', 1, 0.05),
  /** duplicate_order: an identical order proposed less than this many seconds ago. Default 60. */
  duplicateWindowSeconds: positive('duplicateWindowSeconds', 'seconds', 60),
  /** market_open_and_fresh_price: the oldest usable last price, in hours. Default 96 (4 days). */
  maxPriceAgeHours: positive('maxPriceAgeHours', 'hours', 96),
  /**
   * market_open_and_fresh_price: 'regular' refuses market orders outside the NYSE regular
   * session (limit and stop orders may be queued); 'any' skips the hours check. Default 'regular'.
   */
  marketHours: z
    .enum(['regular', 'any'], { error: bad('marketHours', "'regular' or 'any'") })
    .default('regular'),
});

/** Parsed risk limits: every key present, `null` where a limit is off. */
export type RiskLimits = z.output<typeof riskLimitsSchema>;

/** What may be stored in `accounts.risk_limits`: any subset of the keys. */
export type RiskLimitsInput = z.input<typeof riskLimitsSchema>;

/** The limits of an account whose `risk_limits` is `{}`. */
export const DEFAULT_RISK_LIMITS: RiskLimits = (() => {
  const limits = riskLimitsSchema.parse({});
  Object.freeze(limits.restrictedSymbols);
  return Object.freeze(limits);
})();

/** Risk limits JSON that does not parse; the message names each bad field and value. */
export class RiskLimitsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'RiskLimitsError';
  }
}

/** Parses an account's `risk_limits` JSON and fills defaults, or throws RiskLimitsError. */
export function parseRiskLimits(json: unknown): RiskLimits {
  const result = riskLimitsSchema.safeParse(json);
  if (result.success) return result.data;
  const known = Object.keys(riskLimitsSchema.shape).join(', ');
  const messages = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => `"${key}"`).join(', ');
      return `unknown risk limit ${keys}; the known limits are ${known}`;
    }
    if (issue.path.length === 0) {
      return `risk limits must be a JSON object, got ${describeValue(json)}`;
    }
    return issue.message;
  });
  throw new RiskLimitsError(messages.join('; '));
}
