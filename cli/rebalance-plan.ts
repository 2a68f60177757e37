/** `countersign rebalance-plan`: the orders that would move positions and cash to target weights. It places nothing. */
import { readFile } from 'node:fs/promises';
import { planRebalance } from '../core/rebalance/plan-rebalance.js';
import type { RebalancePlan } from '../core/rebalance/types.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { reportRunFailure } from './input-errors.js';
import { money, percent, table, toJson } from './output.js';
import { today, withSeriesSource } from './research-source.js';
import { date, fraction, nonNegative, number, parseWeights, UsageError } from './run-options.js';

/** The option strings commander hands over. */
export interface RebalancePlanOptions {
  positions?: string;
  cash: string;
  targets?: string;
  targetsFrom?: string;
  asOf?: string;
  fractional?: boolean;
  drift?: string;
  minNotional?: string;
  cashBuffer?: string;
  maxPosition?: string;
  commissionBps?: string;
  commissionPerShare?: string;
  commissionMin?: string;
  slippageBps?: string;
  data?: string;
  json?: boolean;
}

/** Target weights from `optimize-portfolio --json` output (its `weights`). */
async function targetsFromFile(file: string): Promise<Record<string, number>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--targets-from ${file}: ${(error as Error).message}`);
  }
  const weights = (parsed as { weights?: unknown }).weights;
  if (typeof weights !== 'object' || weights === null)
    throw new UsageError(
      `--targets-from ${file} has no "weights" object; give the output of countersign optimize-portfolio --json`,
    );
  const out: Record<string, number> = {};
  for (const [symbol, weight] of Object.entries(weights)) {
    if (typeof weight !== 'number' || !Number.isFinite(weight))
      throw new UsageError(
        `--targets-from ${file}: weight of ${symbol} is ${JSON.stringify(weight)}, not a number`,
      );
    // Optimizer dust (|w| < 1e-6) is no position to trade towards.
    if (Math.abs(weight) >= 1e-6) out[symbol] = weight;
  }
  return out;
}

/** The last raw close on or before `asOf` of each symbol, and its date. */
function lastCloses(series: Awaited<ReturnType<typeof loadSeries>>): {
  prices: Record<string, number>;
  dates: Record<string, string>;
} {
  const prices: Record<string, number> = {};
  const dates: Record<string, string> = {};
  for (const one of series) {
    const last = one.dates.length - 1;
    prices[one.symbol] = one.close[last] as number;
    dates[one.symbol] = one.dates[last] as string;
  }
  return { prices, dates };
}

function summary(plan: RebalancePlan, priceDates: Record<string, string>): string {
  const lines = plan.orders.map(
    (order) =>
      [
        `${order.side.toUpperCase().padEnd(4)} ${order.symbol}`,
        `${String(order.quantity).padStart(10)} @ ${money(order.price)} = ${money(order.notional).padStart(12)}  ${percent(order.fromWeight)} → ${percent(order.toWeight)} (target ${percent(order.targetWeight)})  costs ${money(order.estimatedCommission + order.estimatedSlippage)}`,
      ] as [string, string],
  );
  const skipped = plan.skipped.map(
    (skip) => [`skip ${skip.symbol}`, skip.detail] as [string, string],
  );
  const totals: [string, string][] = [
    ['Equity', money(plan.equityBefore)],
    ['Cash', `${money(plan.cashBefore)} → ${money(plan.cashAfter)} (${percent(plan.cashWeight)})`],
    ['Turnover', percent(plan.turnover)],
    ['Estimated costs', money(plan.totals.costs)],
    ['Prices', [...new Set(Object.values(priceDates))].sort().join(', ') || 'none'],
  ];
  return [
    plan.orders.length === 0
      ? 'No orders: every name is within its drift band.'
      : 'Orders (sells first):',
    ...(lines.length ? [table(lines)] : []),
    ...(skipped.length ? ['', table(skipped)] : []),
    '',
    table(totals),
    '',
    'A plan only: nothing was sent. Orders are proposed and approved through the orders flow.',
  ].join('\n');
}

/** Runs the command. */
export async function rebalancePlanCommand(options: RebalancePlanOptions): Promise<void> {
  try {
    const cash = number('--cash', options.cash, 'use an amount such as 10000');
    if (cash === undefined) throw new UsageError('--cash is required, e.g. --cash 10000');
    if (options.targets === undefined && options.targetsFrom === undefined)
      throw new UsageError(
        'give the target weights with --targets AAPL=0.5,MSFT=0.3 or --targets-from <optimize-portfolio --json output>',
      );
    const asOf = date('--as-of', options.asOf);
    if (asOf !== undefined && asOf > today())
      throw new UsageError(`--as-of ${asOf} is in the future; today is ${today()}`);
    const targets =
      options.targets !== undefined
        ? parseWeights('--targets', options.targets)
        : await targetsFromFile(options.targetsFrom as string);
    const positions = options.positions ? parseWeights('--positions', options.positions) : {};
    const symbols = [...new Set([...Object.keys(positions), ...Object.keys(targets)])].sort();
    const series = await withSeriesSource(options.data, (source) =>
      loadSeries(source, { symbols, to: asOf }),
    );
    const { prices, dates } = lastCloses(series);
    const started = performance.now();
    const plan = planRebalance({
      positions,
      cash,
      prices,
      targets,
      options: {
        allowFractional: options.fractional === true,
        driftThreshold: nonNegative('--drift', options.drift, 'relative drift, e.g. 0.05 for 5 %'),
        minNotional: nonNegative('--min-notional', options.minNotional, 'currency per order'),
        cashBuffer: nonNegative(
          '--cash-buffer',
          options.cashBuffer,
          'fraction of equity, e.g. 0.02',
        ),
        maxPositionWeight: fraction('--max-position', options.maxPosition),
        costs: {
          commissionBps: nonNegative('--commission-bps', options.commissionBps, 'basis points'),
          commissionPerShare: nonNegative(
            '--commission-per-share',
            options.commissionPerShare,
            'currency per share',
          ),
          commissionMinimum: nonNegative(
            '--commission-min',
            options.commissionMin,
            'currency per order',
          ),
          slippageBps: nonNegative('--slippage-bps', options.slippageBps, 'basis points'),
        },
      },
    });
    const elapsedMs = performance.now() - started;
    console.log(
      options.json
        ? JSON.stringify({ ...(toJson(plan) as object), price_dates: dates, elapsed_ms: elapsedMs })
        : summary(plan, dates),
    );
  } catch (error) {
    process.exitCode = reportRunFailure('rebalance-plan', error);
  }
}
