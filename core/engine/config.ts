/** How a backtest trades: fills, direction, sizing, order types, exits and costs — with defaults. */
import { z } from 'zod';

function nonNegative(name: string, unit: string) {
  const message = (issue: { input?: unknown }) =>
    `${name} must be a number ≥ 0 (${unit}), got ${JSON.stringify(issue.input)}`;
  return z.number({ error: message }).min(0, { error: message }).refine(Number.isFinite, {
    error: message,
  });
}

function fraction(name: string, max: number) {
  const message = (issue: { input?: unknown }) =>
    `${name} must be a fraction above 0 and at most ${max} (0.05 = 5 %), got ${JSON.stringify(issue.input)}`;
  return z.number({ error: message }).gt(0, { error: message }).max(max, { error: message });
}

/** How much to buy on an entry. */
export const sizingSchema = z.discriminatedUnion('kind', [
  /** Everything available: floor(cash / price) shares. */
  z.strictObject({ kind: z.literal('all_in') }),
  /** A fraction of current equity per position. */
  z.strictObject({ kind: z.literal('fraction'), fraction: fraction('sizing fraction', 1) }),
  /** A fixed amount of currency per position. */
  z.strictObject({
    kind: z.literal('notional'),
    amount: z
      .number({
        error: (i) => `sizing notional must be a positive amount, got ${JSON.stringify(i.input)}`,
      })
      .gt(0, {
        error: (i) => `sizing notional must be a positive amount, got ${JSON.stringify(i.input)}`,
      }),
  }),
  /** Position = equity × target / the symbol's annualised volatility over `lookback` bars, capped by cash. */
  z.strictObject({
    kind: z.literal('volatility'),
    target: fraction('volatility target', 5),
    lookback: z.number().int().min(2).max(1000).default(20),
  }),
]);

/** Everything about a run except the strategy and the data. */
export const engineConfigSchema = z.strictObject({
  /** Starting cash, in the prices' currency. */
  cash: z
    .number({ error: (i) => `cash must be a positive amount, got ${JSON.stringify(i.input)}` })
    .gt(0, { error: (i) => `cash must be a positive amount, got ${JSON.stringify(i.input)}` })
    .max(1e12, {
      error: (i) => `cash must be at most 1,000,000,000,000, got ${JSON.stringify(i.input)}`,
    })
    .default(100_000),
  /** next_open: a signal on bar t's close fills at bar t+1's open. close: at bar t's close. */
  fill: z.enum(['next_open', 'close']).default('next_open'),
  direction: z.enum(['long_only', 'long_short']).default('long_only'),
  sizing: sizingSchema.default({ kind: 'all_in' }),
  /** Whole shares by default; fractional shares are rounded down to a millionth of a share. */
  fractional: z.boolean().default(false),
  /** Entry orders: market, or a limit/stop placed `offsetBps` from the signal close, valid `validBars`. */
  entryOrder: z
    .strictObject({
      type: z.enum(['market', 'limit', 'stop']).default('market'),
      offsetBps: nonNegative('entry order offset', 'basis points from the signal close').default(0),
      validBars: z.number().int().min(1).max(100).default(1),
    })
    .default({ type: 'market', offsetBps: 0, validBars: 1 }),
  /** Exit when price falls this fraction below the entry price (longs; mirrored for shorts). */
  stopLoss: fraction('stop-loss', 1).optional(),
  /** Exit when price rises this fraction above the entry price (longs; mirrored for shorts). */
  takeProfit: fraction('take-profit', 100).optional(),
  /** Exit when price falls this fraction below the highest high since entry (longs). */
  trailingStop: fraction('trailing stop', 1).optional(),
  commission: z
    .strictObject({
      perShare: nonNegative('commission per share', 'currency per share').default(0),
      bps: nonNegative('commission', 'basis points of notional').default(0),
      minimum: nonNegative('minimum commission', 'currency per order').default(0),
    })
    .default({ perShare: 0, bps: 0, minimum: 0 }),
  slippageBps: nonNegative('slippage', 'basis points against the trader').default(0),
  /** Annual risk-free rate for Sharpe, Sortino and alpha. */
  riskFreeRate: z.number().min(-0.1).max(1).default(0),
});

/** A fully resolved engine configuration (every default filled in). */
export type EngineConfig = z.infer<typeof engineConfigSchema>;
/** What callers may pass: any subset; the rest takes the defaults. */
export type EngineConfigInput = z.input<typeof engineConfigSchema>;

/** A configuration the engine refuses, naming the value and what is valid. */
export class EngineConfigError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'EngineConfigError';
  }
}

/** Validates a configuration and fills defaults, or throws EngineConfigError with every problem. */
export function resolveEngineConfig(input: EngineConfigInput = {}): EngineConfig {
  const result = engineConfigSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') return `unknown setting ${issue.keys.join(', ')}`;
    return issue.message.includes(' got ') || !where ? issue.message : `${where}: ${issue.message}`;
  });
  throw new EngineConfigError(problems.join('; '));
}
