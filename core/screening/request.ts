/** What a stock screen asks for: the request's shape, its defaults, and validation with messages that name the bad value. */
import { z } from 'zod';
import { isIsoDate } from '../daily-bar.js';
import { FACTOR_NAMES, type FactorName } from './factors.js';

/** A screen request (or a universe for it) that cannot be run; the message names the bad value and what is valid. */
export class ScreenRequestError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ScreenRequestError';
  }
}

/**
 * The weights a factor gets when the request does not name it: a momentum-led blend of 12-1
 * momentum (0.4), trend strength (0.2), nearness to the 52-week high (0.2), low volatility (0.1) and
 * 1-month reversal (0.1), summing to 1. rsi, drawdown and model_score default to 0.
 */
export const DEFAULT_WEIGHTS: Readonly<Record<FactorName, number>> = {
  momentum_12_1: 0.4,
  reversal_1m: 0.1,
  volatility: 0.1,
  rsi: 0,
  distance_52w_high: 0.2,
  drawdown: 0,
  trend_strength: 0.2,
  model_score: 0,
};

/** Rows returned when the request gives no `top`. */
export const DEFAULT_TOP = 20;
/** The most rows a screen may return. */
export const MAX_TOP = 500;
/** z-scores are clipped to ±this when the request gives no `winsorize`. */
export const DEFAULT_WINSORIZE = 3;

/** Which symbols may be ranked at all; every filter is optional and they combine with AND. */
export interface ScreenFilters {
  /** Lowest raw (traded) close at the as-of bar, ≥ 0. */
  minPrice?: number;
  /** Lowest average of raw close × volume over the last 20 bars, ≥ 0. */
  minDollarVolume?: number;
  /** Keep only these sectors (matched without regard to case; each must occur in the universe). */
  sectors?: string[];
  /**
   * true keeps symbols whose adjusted close is above the mean of their last 200 adjusted closes
   * (as-of bar included); false keeps those at or below it; absent, no SMA filter. Symbols with fewer
   * than 200 bars fail it either way.
   */
  aboveSma200?: boolean;
}

/** A screen as a caller writes it (the screen_stocks tool input); only `asOf` is required. */
export interface ScreenRequest {
  /** ISO date YYYY-MM-DD; only bars dated on or before it are read. */
  asOf: string;
  filters?: ScreenFilters;
  /**
   * Weight per factor. Given, it is the whole blend: a factor left out weighs 0 (so `{ rsi: 1 }`
   * ranks on RSI alone). Absent, DEFAULT_WEIGHTS apply. Any finite number: a negative weight
   * favours the opposite end of that factor.
   */
  weights?: Partial<Record<FactorName, number>>;
  /** How many rows to return, 1 … 500 (default 20). */
  top?: number;
  /** z-scores are clipped to ±winsorize, > 0 (default 3). */
  winsorize?: number;
  /** A learned model's score per symbol, higher = better; becomes the model_score factor. */
  modelScores?: Record<string, number>;
}

/** A validated request with every default filled in. */
export interface ResolvedScreenRequest {
  asOf: string;
  filters: ScreenFilters;
  /** Every factor's weight, defaults merged with the request's. */
  weights: Record<FactorName, number>;
  top: number;
  winsorize: number;
  modelScores: Record<string, number> | undefined;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (typeof input === 'number') return String(input);
  return JSON.stringify(input) ?? String(input);
}

/** A zod error option whose message reads "must be <what>, got <the input>". */
function mustBe(what: string) {
  return {
    error: (issue: { input?: unknown }) => `must be ${what}, got ${describeInput(issue.input)}`,
  };
}

const weight = () => z.number(mustBe('a finite number')).optional();
const nonNegative = () =>
  z.number(mustBe('a finite number ≥ 0')).min(0, mustBe('a finite number ≥ 0')).optional();
const topMessage = mustBe(`a whole number from 1 to ${MAX_TOP}`);
const dateMessage = mustBe('a date written YYYY-MM-DD');

/**
 * The zod schema of ScreenRequest, for tool definitions. Its messages lack the field name; use
 * parseScreenRequest for errors that read well on their own.
 */
export const screenRequestSchema = z.strictObject(
  {
    asOf: z.string(dateMessage).refine(isIsoDate, dateMessage),
    filters: z
      .strictObject(
        {
          minPrice: nonNegative(),
          minDollarVolume: nonNegative(),
          sectors: z
            .array(
              z.string(mustBe('a sector name')).min(1, mustBe('a sector name')),
              mustBe('a list of sector names'),
            )
            .min(1, mustBe('a non-empty list of sector names'))
            .optional(),
          aboveSma200: z.boolean(mustBe('true or false')).optional(),
        },
        mustBe('an object'),
      )
      .optional(),
    weights: z
      .strictObject(
        {
          momentum_12_1: weight(),
          reversal_1m: weight(),
          volatility: weight(),
          rsi: weight(),
          distance_52w_high: weight(),
          drawdown: weight(),
          trend_strength: weight(),
          model_score: weight(),
        },
        mustBe('an object of factor weights'),
      )
      .optional(),
    top: z
      .number(topMessage)
      .int(topMessage)
      .min(1, topMessage)
      .max(MAX_TOP, topMessage)
      .optional(),
    winsorize: z
      .number(mustBe('a finite number > 0'))
      .positive(mustBe('a finite number > 0'))
      .optional(),
    modelScores: z
      .record(
        z.string(),
        z.number(mustBe('a finite number')),
        mustBe('an object of scores by symbol'),
      )
      .optional(),
  },
  mustBe('an object'),
);

const FIELDS = ['asOf', 'filters', 'weights', 'top', 'winsorize', 'modelScores'];
const FILTERS = ['minPrice', 'minDollarVolume', 'sectors', 'aboveSma200'];

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the screen request';
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (!/^[A-Za-z_]\w*$/.test(name)) return `[${JSON.stringify(name)}]`;
      return i === 0 ? name : `.${name}`;
    })
    .join('');
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `"${key}"`).join(', ');
    const where = issue.path.join('.');
    if (where === 'weights') {
      return `unknown factor ${keys} in weights; valid factors are ${FACTOR_NAMES.join(', ')}`;
    }
    if (where === 'filters') {
      return `unknown filter ${keys}; valid filters are ${FILTERS.join(', ')}`;
    }
    return `unknown field ${keys} in the screen request; valid fields are ${FIELDS.join(', ')}`;
  }
  return `${pathText(issue.path)} ${issue.message}`;
}

/**
 * Validates a request and fills its defaults, or throws ScreenRequestError listing every problem.
 * Beyond the schema: the merged weights may not all be 0, and weights.model_score may be non-zero
 * only when modelScores are given. Checks that need the universe (sector names, dates with data)
 * are made by screenStocks.
 */
export function parseScreenRequest(raw: unknown): ResolvedScreenRequest {
  const result = screenRequestSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new ScreenRequestError(result.error.issues.map(issueText).join('; '));
  }
  const request: ScreenRequest = result.data;
  const weights = { ...DEFAULT_WEIGHTS };
  if (request.weights !== undefined)
    for (const name of FACTOR_NAMES) weights[name] = request.weights[name] ?? 0;
  if (FACTOR_NAMES.every((name) => weights[name] === 0)) {
    throw new ScreenRequestError(
      'all factor weights are 0; give at least one of ' +
        `${FACTOR_NAMES.join(', ')} a non-zero weight`,
    );
  }
  if (weights.model_score !== 0 && request.modelScores === undefined) {
    throw new ScreenRequestError(
      `weights.model_score is ${weights.model_score} but no modelScores were given; ` +
        'pass modelScores or leave weights.model_score at 0',
    );
  }
  return {
    asOf: request.asOf,
    filters: { ...request.filters },
    weights,
    top: request.top ?? DEFAULT_TOP,
    winsorize: request.winsorize ?? DEFAULT_WINSORIZE,
    modelScores: request.modelScores,
  };
}
