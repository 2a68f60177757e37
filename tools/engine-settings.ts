/**
 * The engine settings run_backtest and optimize_strategy both take (cash, fills, direction,
 * sizing, costs, exits, entry orders) as flat snake_case inputs, the converter to the engine's
 * EngineConfigInput (core/engine/config.ts), and the per-call budgets of the research tools.
 */
import { z } from 'zod';
import type { EngineConfigInput } from '../core/engine/config.js';
import type { ToolContext } from './tool.js';

const SIZING = /^(all_in|fraction:[^:]+|notional:[^:]+|volatility:[^:]+(:[^:]+)?)$/;

/** A sizing spec (all_in, fraction:F, notional:USD, volatility:TARGET[:BARS]) as the engine's rule. */
export function sizingOf(text: string): EngineConfigInput['sizing'] {
  const [kind, first, second] = text.split(':');
  const value = Number(first);
  if (kind === 'fraction') return { kind, fraction: value };
  if (kind === 'notional') return { kind, amount: value };
  if (kind === 'volatility')
    return second === undefined
      ? { kind, target: value }
      : { kind, target: value, lookback: Number(second) };
  return { kind: 'all_in' };
}

/** The sizing rule as its spec: the inverse of sizingOf. */
export function sizingSpec(rule: NonNullable<EngineConfigInput['sizing']>): string {
  switch (rule.kind) {
    case 'all_in':
      return 'all_in';
    case 'fraction':
      return `fraction:${rule.fraction}`;
    case 'notional':
      return `notional:${rule.amount}`;
    case 'volatility':
      return `volatility:${rule.target}${rule.lookback === undefined ? '' : `:${rule.lookback}`}`;
  }
}

/**
 * The zod fields of the engine settings, to spread into a tool's input object, with their
 * descriptions or without (a second tool listing the same fields points to the first: tools/list
 * is a small model's budget). The four first are run_backtest's from before; the rest are
 * optional and checked by the engine, whose messages name the value and the valid range.
 */
function engineSettings(described: boolean) {
  const say = <T extends z.ZodType>(schema: T, text: string): T =>
    described ? schema.describe(text) : schema;
  return {
    cash: say(
      z.number().positive().max(1e12).default(100_000),
      'Starting cash in USD, > 0. Default 100000.',
    ),
    commission_bps: say(
      z.number().min(0).max(1000).default(0),
      'Commission, basis points of each fill notional. Default 0.',
    ),
    slippage_bps: say(
      z.number().min(0).max(1000).default(0),
      'Slippage against the trader, basis points. Default 0.',
    ),
    fill: say(
      z.enum(['next_open', 'close']).default('next_open'),
      'A signal on a close fills at the next open (default) or at that close.',
    ),
    direction: say(z.enum(['long_only', 'long_short']).optional(), 'Default long_only.'),
    sizing: say(
      z
        .string()
        .refine((text) => SIZING.test(text), {
          error: 'use all_in, fraction:F (0 < F ≤ 1), notional:USD or volatility:TARGET[:BARS]',
        })
        .optional(),
      'all_in (default), fraction:F of equity, notional:USD or volatility:TARGET[:BARS].',
    ),
    fractional: say(z.boolean().optional(), 'Fractional shares. Default whole.'),
    commission_per_share: say(z.number().optional(), 'USD per share. Default 0.'),
    commission_min: say(z.number().optional(), 'Minimum USD per order. Default 0.'),
    stop_loss: say(z.number().optional(), 'Exit this fraction below entry, 0–1.'),
    take_profit: say(z.number().optional(), 'Exit this fraction above entry, 0–100.'),
    trailing_stop: say(z.number().optional(), 'Exit this fraction below the high since entry.'),
    order_type: say(
      z.enum(['market', 'limit', 'stop']).optional(),
      'Entry orders. Default market.',
    ),
    order_offset_bps: say(z.number().optional(), 'limit/stop: bps from the signal close.'),
    order_valid_bars: say(z.number().optional(), 'limit/stop: bars working, 1–100. Default 1.'),
  };
}

/** The engine settings with their descriptions (run_backtest). */
export const ENGINE_SETTINGS = engineSettings(true);
/** The same fields without descriptions, for a tool that says they are run_backtest's. */
export const ENGINE_SETTINGS_BARE = engineSettings(false);

const settingsObject = z.object(ENGINE_SETTINGS);
/** The engine settings as a handler receives them (defaults filled in). */
export type EngineSettings = z.output<typeof settingsObject>;

/** The names of the optional settings, in order: stored with a run only when given. */
const OPTIONAL_SETTINGS = [
  'direction',
  'sizing',
  'fractional',
  'commission_per_share',
  'commission_min',
  'stop_loss',
  'take_profit',
  'trailing_stop',
  'order_type',
  'order_offset_bps',
  'order_valid_bars',
] as const;

/** The engine configuration of these settings; what is not given takes the engine's default. */
export function engineConfigOf(settings: EngineSettings): EngineConfigInput {
  const config: EngineConfigInput = {
    cash: settings.cash,
    fill: settings.fill,
    commission: {
      bps: settings.commission_bps,
      perShare: settings.commission_per_share ?? 0,
      minimum: settings.commission_min ?? 0,
    },
    slippageBps: settings.slippage_bps,
  };
  if (settings.direction !== undefined) config.direction = settings.direction;
  if (settings.sizing !== undefined) config.sizing = sizingOf(settings.sizing);
  if (settings.fractional !== undefined) config.fractional = settings.fractional;
  if (settings.stop_loss !== undefined) config.stopLoss = settings.stop_loss;
  if (settings.take_profit !== undefined) config.takeProfit = settings.take_profit;
  if (settings.trailing_stop !== undefined) config.trailingStop = settings.trailing_stop;
  if (
    settings.order_type !== undefined ||
    settings.order_offset_bps !== undefined ||
    settings.order_valid_bars !== undefined
  ) {
    config.entryOrder = {
      type: settings.order_type ?? 'market',
      offsetBps: settings.order_offset_bps ?? 0,
      validBars: settings.order_valid_bars ?? 1,
    };
  }
  return config;
}

/** The settings a stored run records: cash, costs and fill always; the others when given. */
export function storedSettings(
  settings: EngineSettings,
): Pick<EngineSettings, 'cash' | 'commission_bps' | 'slippage_bps' | 'fill'> &
  Record<string, unknown> {
  const stored: Pick<EngineSettings, 'cash' | 'commission_bps' | 'slippage_bps' | 'fill'> &
    Record<string, unknown> = {
    cash: settings.cash,
    commission_bps: settings.commission_bps,
    slippage_bps: settings.slippage_bps,
    fill: settings.fill,
  };
  for (const name of OPTIONAL_SETTINGS)
    if (settings[name] !== undefined) stored[name] = settings[name];
  return stored;
}

/**
 * Whether this call is held to the per-call budgets (symbols, trials, backtests) of a shared
 * server. A server runs every caller's research on its own threads and memory, so one call there
 * is bounded; the command line (channel cli) runs the work in the user's own process, on the
 * threads or queue the user chose, so the user's machine is the only bound.
 */
export function heldToBudget(context: Pick<ToolContext, 'channel'>): boolean {
  return context.channel !== 'cli';
}

/** A copy with camelCase keys in snake_case (engine records → tool output), any depth. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, member]) => [
        key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
        snakeKeys(member),
      ]),
    );
  }
  return value;
}
