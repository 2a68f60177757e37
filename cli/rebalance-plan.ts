/**
 * `countersign rebalance-plan`: the orders that would move positions and cash to target weights
 * (the plan_rebalance tool on a what-if book: no account is read). It places nothing.
 */
import { readFile } from 'node:fs/promises';
import { planRebalanceTool } from '../tools/plan-rebalance.js';
import { reportRunFailure } from './input-errors.js';
import { money, percent, table } from './output.js';
import { today } from './research-source.js';
import { date, fraction, nonNegative, number, parseWeights, UsageError } from './run-options.js';
import { callTool } from './run-tool.js';

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

/** plan_rebalance's full answer (detail 'full'), as the command reads it. */
interface PlanOutput {
  orders: {
    symbol: string;
    side: string;
    quantity: number;
    wanted_quantity: number;
    price: number;
    notional: number;
    estimated_commission: number;
    estimated_slippage: number;
    from_weight: number;
    to_weight: number;
    target_weight: number;
    reason: string;
    detail: string;
  }[];
  skipped: { symbol: string; detail: string }[];
  positions: unknown[];
  cash_before: number;
  cash_after: number;
  cash_weight: number;
  equity_before: number;
  equity_after: number;
  turnover: number;
  totals: { costs: number } & Record<string, number>;
  price_dates: Record<string, string>;
  elapsed_ms: number;
}

/** What --json prints: the plan in the planner's field order, then price_dates and elapsed_ms. */
function planJson(plan: PlanOutput): Record<string, unknown> {
  return {
    orders: plan.orders.map((one) => ({
      symbol: one.symbol,
      side: one.side,
      quantity: one.quantity,
      wanted_quantity: one.wanted_quantity,
      price: one.price,
      notional: one.notional,
      estimated_commission: one.estimated_commission,
      estimated_slippage: one.estimated_slippage,
      from_weight: one.from_weight,
      to_weight: one.to_weight,
      target_weight: one.target_weight,
      reason: one.reason,
      detail: one.detail,
    })),
    skipped: plan.skipped,
    positions: plan.positions,
    cash_before: plan.cash_before,
    cash_after: plan.cash_after,
    cash_weight: plan.cash_weight,
    equity_before: plan.equity_before,
    equity_after: plan.equity_after,
    turnover: plan.turnover,
    totals: plan.totals,
    price_dates: plan.price_dates,
    elapsed_ms: plan.elapsed_ms,
  };
}

function summary(plan: PlanOutput): string {
  const lines = plan.orders.map(
    (order) =>
      [
        `${order.side.toUpperCase().padEnd(4)} ${order.symbol}`,
        `${String(order.quantity).padStart(10)} @ ${money(order.price)} = ${money(order.notional).padStart(12)}  ${percent(order.from_weight)} → ${percent(order.to_weight)} (target ${percent(order.target_weight)})  costs ${money(order.estimated_commission + order.estimated_slippage)}`,
      ] as [string, string],
  );
  const skipped = plan.skipped.map(
    (skip) => [`skip ${skip.symbol}`, skip.detail] as [string, string],
  );
  const totals: [string, string][] = [
    ['Equity', money(plan.equity_before)],
    [
      'Cash',
      `${money(plan.cash_before)} → ${money(plan.cash_after)} (${percent(plan.cash_weight)})`,
    ],
    ['Turnover', percent(plan.turnover)],
    ['Estimated costs', money(plan.totals.costs)],
    ['Prices', [...new Set(Object.values(plan.price_dates))].sort().join(', ') || 'none'],
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

/** `{ [name]: value }`, or nothing when the flag was not given. */
function optional(name: string, value: number | undefined): Record<string, number> {
  return value === undefined ? {} : { [name]: value };
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
    const args = {
      holdings: {
        cash,
        positions: Object.entries(positions).map(([symbol, quantity]) => ({ symbol, quantity })),
      },
      targets: Object.entries(targets).map(([symbol, weight]) => ({ symbol, weight })),
      ...(asOf === undefined ? {} : { as_of: asOf }),
      fractional: options.fractional === true,
      ...optional(
        'drift_threshold',
        nonNegative('--drift', options.drift, 'relative drift, e.g. 0.05 for 5 %'),
      ),
      ...optional(
        'min_notional',
        nonNegative('--min-notional', options.minNotional, 'currency per order'),
      ),
      ...optional(
        'cash_buffer',
        nonNegative('--cash-buffer', options.cashBuffer, 'fraction of equity, e.g. 0.02'),
      ),
      ...optional('max_position', fraction('--max-position', options.maxPosition)),
      ...optional(
        'commission_bps',
        nonNegative('--commission-bps', options.commissionBps, 'basis points'),
      ),
      ...optional(
        'commission_per_share',
        nonNegative('--commission-per-share', options.commissionPerShare, 'currency per share'),
      ),
      ...optional(
        'commission_min',
        nonNegative('--commission-min', options.commissionMin, 'currency per order'),
      ),
      ...optional(
        'slippage_bps',
        nonNegative('--slippage-bps', options.slippageBps, 'basis points'),
      ),
      detail: 'full',
    };
    const plan = await callTool(planRebalanceTool, args, { data: options.data });
    console.log(
      options.json
        ? JSON.stringify(planJson(plan as unknown as PlanOutput))
        : summary(plan as unknown as PlanOutput),
    );
  } catch (error) {
    process.exitCode = reportRunFailure('rebalance-plan', error);
  }
}
