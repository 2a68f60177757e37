/** Options shared by `backtest` and `optimize`: symbols, dates, data source, prices, fills, sizing and costs. */
import { isIsoDate, isValidSymbol } from '../core/daily-bar.js';
import type { EngineConfigInput } from '../core/engine/config.js';
import { DEFAULT_PRICE_MODE, PRICE_MODES, type PriceMode } from '../core/series/price-series.js';
import { sizingSpec } from '../tools/engine-settings.js';

/** A command-line value the command refuses; printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The raw option strings commander hands over. */
export interface RunOptionText {
  symbols: string;
  from?: string;
  to?: string;
  data?: string;
  cash?: string;
  price?: string;
  fill?: string;
  direction?: string;
  sizing?: string;
  fractional?: boolean;
  commissionBps?: string;
  commissionPerShare?: string;
  commissionMin?: string;
  slippageBps?: string;
  stopLoss?: string;
  takeProfit?: string;
  trailingStop?: string;
  order?: string;
  orderOffsetBps?: string;
  orderValidBars?: string;
}

/** The parsed run settings. */
export interface RunOptions {
  symbols: string[];
  from?: string;
  to?: string;
  data?: string;
  priceMode: PriceMode;
  config: EngineConfigInput;
}

/** A number option, or UsageError naming it and `valid`. */
export function number(flag: string, text: string | undefined, valid: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a number; ${valid}`);
  }
  return value;
}

/** A number option ≥ 0. */
export function nonNegative(
  flag: string,
  text: string | undefined,
  unit: string,
): number | undefined {
  const value = number(flag, text, `use a number ≥ 0 (${unit})`);
  if (value !== undefined && value < 0)
    throw new UsageError(`${flag} ${text} is negative; use a number ≥ 0 (${unit})`);
  return value;
}

/** One of `valid`, or UsageError listing them. */
export function choice<T extends string>(
  flag: string,
  text: string | undefined,
  valid: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!(valid as readonly string[]).includes(text)) {
    throw new UsageError(
      `${flag} ${JSON.stringify(text)} is not valid; use one of ${valid.join(', ')}`,
    );
  }
  return text as T;
}

/** all_in | fraction:0.5 | notional:10000 | volatility:0.15[:20] */
function sizing(text: string | undefined): EngineConfigInput['sizing'] {
  if (text === undefined) return undefined;
  const [kind, first, second] = text.split(':');
  const valid =
    'use all_in, fraction:F (0 < F ≤ 1), notional:AMOUNT or volatility:TARGET[:LOOKBACK]';
  if (kind === 'all_in' && first === undefined) return { kind: 'all_in' };
  const value = Number(first);
  if (first === undefined || first === '' || !Number.isFinite(value)) {
    throw new UsageError(`--sizing ${JSON.stringify(text)} is not valid; ${valid}`);
  }
  if (kind === 'fraction' && second === undefined) return { kind: 'fraction', fraction: value };
  if (kind === 'notional' && second === undefined) return { kind: 'notional', amount: value };
  if (kind === 'volatility') {
    const lookback = second === undefined ? undefined : Number(second);
    if (lookback !== undefined && !Number.isInteger(lookback)) {
      throw new UsageError(
        `--sizing ${JSON.stringify(text)}: the look-back must be a whole number of bars; ${valid}`,
      );
    }
    return lookback === undefined
      ? { kind: 'volatility', target: value }
      : { kind: 'volatility', target: value, lookback };
  }
  throw new UsageError(`--sizing ${JSON.stringify(text)} is not valid; ${valid}`);
}

/** SYM=weight,SYM=weight → record; each weight a finite number. */
export function parseWeights(flag: string, text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [symbol, value] = part.split('=');
    const weight = Number(value);
    if (!symbol || value === undefined || value.trim() === '' || !Number.isFinite(weight))
      throw new UsageError(`${flag}: "${part}" is not SYMBOL=weight; write e.g. AAPL=0.4,MSFT=0.6`);
    out[parseSymbols(symbol)[0] as string] = weight;
  }
  return out;
}

/** Parses a comma-separated symbol list: upper-cased, checked, no duplicates. */
export function parseSymbols(text: string): string[] {
  const symbols = text
    .split(',')
    .map((symbol) => symbol.trim().toUpperCase())
    .filter((symbol) => symbol !== '');
  if (symbols.length === 0)
    throw new UsageError('--symbols is empty; give tickers such as AAPL or AAPL,MSFT');
  for (const symbol of symbols) {
    if (!isValidSymbol(symbol)) {
      throw new UsageError(
        `--symbols: "${symbol}" is not a ticker (1-20 of A-Z, 0-9, "." and "-", e.g. AAPL or BRK.B)`,
      );
    }
  }
  const duplicate = symbols.find((symbol, k) => symbols.indexOf(symbol) !== k);
  if (duplicate) throw new UsageError(`--symbols lists ${duplicate} twice`);
  return symbols;
}

/** A YYYY-MM-DD option. */
export function date(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!isIsoDate(text))
    throw new UsageError(
      `${flag} ${JSON.stringify(text)} is not a date; write YYYY-MM-DD, e.g. 2010-01-04`,
    );
  return text;
}

/** A fraction in (0, 1]. */
export function fraction(flag: string, text: string | undefined): number | undefined {
  const value = number(flag, text, 'use a fraction such as 0.05 for 5 %');
  if (value !== undefined && !(value > 0 && value <= 1)) {
    throw new UsageError(
      `${flag} ${text} is out of range; use a fraction above 0 and at most 1 (0.05 = 5 %)`,
    );
  }
  return value;
}

/** Turns the option strings into run settings, or throws UsageError naming the bad value. */
export function parseRunOptions(text: RunOptionText): RunOptions {
  const from = date('--from', text.from);
  const to = date('--to', text.to);
  if (from !== undefined && to !== undefined && from > to) {
    throw new UsageError(`--from ${from} is after --to ${to}; the range must run forward`);
  }
  const cash = number('--cash', text.cash, 'use a positive amount such as 100000');
  if (cash !== undefined && !(cash > 0))
    throw new UsageError(`--cash ${text.cash} must be a positive amount, such as 100000`);
  const config: EngineConfigInput = {
    cash,
    fill: choice('--fill', text.fill, ['next_open', 'close'] as const),
    direction: choice('--direction', text.direction, ['long_only', 'long_short'] as const),
    sizing: sizing(text.sizing),
    fractional: text.fractional,
    commission: {
      bps: nonNegative('--commission-bps', text.commissionBps, 'basis points of notional'),
      perShare: nonNegative(
        '--commission-per-share',
        text.commissionPerShare,
        'currency per share',
      ),
      minimum: nonNegative('--commission-min', text.commissionMin, 'currency per order'),
    },
    slippageBps: nonNegative('--slippage-bps', text.slippageBps, 'basis points'),
    stopLoss: fraction('--stop-loss', text.stopLoss),
    takeProfit: number('--take-profit', text.takeProfit, 'use a fraction such as 0.1 for 10 %'),
    trailingStop: fraction('--trailing-stop', text.trailingStop),
    entryOrder: {
      type: choice('--order', text.order, ['market', 'limit', 'stop'] as const),
      offsetBps: nonNegative(
        '--order-offset-bps',
        text.orderOffsetBps,
        'basis points from the signal close',
      ),
      validBars: number(
        '--order-valid-bars',
        text.orderValidBars,
        'use a whole number of bars from 1 to 100',
      ),
    },
  };
  return {
    symbols: parseSymbols(text.symbols),
    from,
    to,
    data: text.data,
    priceMode: choice('--price', text.price, PRICE_MODES) ?? DEFAULT_PRICE_MODE,
    config: stripUndefined(config) as EngineConfigInput,
  };
}

/**
 * The engine settings as run_backtest and optimize_strategy take them (tools/engine-settings.ts):
 * flat snake_case fields, only those the command line set.
 */
export function engineArgs(config: EngineConfigInput): Record<string, unknown> {
  const args: Record<string, unknown> = {
    cash: config.cash,
    fill: config.fill,
    direction: config.direction,
    sizing: config.sizing === undefined ? undefined : sizingSpec(config.sizing),
    fractional: config.fractional,
    commission_bps: config.commission?.bps,
    commission_per_share: config.commission?.perShare,
    commission_min: config.commission?.minimum,
    slippage_bps: config.slippageBps,
    stop_loss: config.stopLoss,
    take_profit: config.takeProfit,
    trailing_stop: config.trailingStop,
    order_type: config.entryOrder?.type,
    order_offset_bps: config.entryOrder?.offsetBps,
    order_valid_bars: config.entryOrder?.validBars,
  };
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
}

/** Drops undefined members (recursively) so the engine's defaults apply. */
function stripUndefined(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .map(([key, member]) => [key, stripUndefined(member)] as const)
    .filter(
      ([, member]) =>
        !(typeof member === 'object' && member !== null && Object.keys(member).length === 0),
    );
  return Object.fromEntries(entries);
}

/** Commander option definitions shared by both commands: [flags, description]. */
export const RUN_OPTION_FLAGS: [string, string][] = [
  ['--from <date>', 'first day, YYYY-MM-DD (default: the start of the data)'],
  ['--to <date>', 'last day, YYYY-MM-DD (default: the end of the data)'],
  [
    '--data <path>',
    'a CSV file or a folder of SYMBOL.csv(.gz) files; without it, prices come from the database',
  ],
  ['--cash <amount>', 'starting cash (default 100000)'],
  [
    '--price <mode>',
    'adjusted (default: signals and returns on split- and dividend-adjusted prices, fills at traded prices) or raw (traded prices throughout)',
  ],
  ['--fill <when>', 'next_open (default: a signal on a close fills at the next open) or close'],
  ['--direction <d>', 'long_only (default) or long_short'],
  ['--sizing <rule>', 'all_in (default), fraction:0.5, notional:10000 or volatility:0.15[:20]'],
  ['--fractional', 'allow fractional shares (default: whole shares)'],
  ['--commission-bps <bps>', 'commission in basis points of notional (default 0)'],
  ['--commission-per-share <amount>', 'commission per share (default 0)'],
  ['--commission-min <amount>', 'minimum commission per order (default 0)'],
  ['--slippage-bps <bps>', 'slippage against you in basis points (default 0)'],
  ['--stop-loss <fraction>', 'exit a position this fraction below its entry, e.g. 0.05'],
  ['--take-profit <fraction>', 'exit a position this fraction above its entry, e.g. 0.2'],
  ['--trailing-stop <fraction>', 'exit this fraction below the highest high since entry, e.g. 0.1'],
  ['--order <type>', 'entry orders: market (default), limit or stop'],
  [
    '--order-offset-bps <bps>',
    'limit/stop entries: distance from the signal close in basis points',
  ],
  ['--order-valid-bars <n>', 'limit/stop entries: bars the order stays working (default 1)'],
];
