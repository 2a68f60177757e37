/**
 * The charts a chat channel attaches to a tool result: run_backtest's equity and drawdown,
 * optimize_portfolio's weights and efficient frontier. Outputs are read defensively: a result
 * without the fields (or of another tool) gets no chart, never an error.
 */
import type { EquityPoint } from './equity-chart.js';
import type { RiskReturn } from './frontier-chart.js';
import { type ChartInputs, type ChartKind, chartPng } from './render.js';

/** One PNG to attach, with a file name and a caption. */
export interface ChartAttachment {
  name: string;
  title: string;
  png: Buffer;
}

type Output = Record<string, unknown>;

function isRecord(value: unknown): value is Output {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

const stringOf = (value: unknown, fallback: string): string =>
  typeof value === 'string' && value.trim() ? value : fallback;

/**
 * The equity points of a backtest: run_backtest's `curve` (detail full with curve: parallel
 * dates and equity arrays, null for a missing value), or a stored run's `equity_curve` (the
 * backtest:// document, which keeps the curve of every run, summary ones too).
 */
function equityPoints(output: Output): EquityPoint[] {
  const { curve, equity_curve: stored } = output;
  if (isRecord(curve) && Array.isArray(curve.dates) && Array.isArray(curve.equity)) {
    const equity = curve.equity;
    return curve.dates.flatMap((date, i) =>
      typeof date === 'string' && isNumber(equity[i]) ? [{ date, equity: equity[i] }] : [],
    );
  }
  if (Array.isArray(stored))
    return stored.flatMap((point) =>
      isRecord(point) && typeof point.date === 'string' && isNumber(point.equity)
        ? [{ date: point.date, equity: point.equity }]
        : [],
    );
  return [];
}

/** "AAPL, KO" or "AAPL, KO, MSFT +7 more". */
function symbolList(value: unknown): string {
  const symbols = Array.isArray(value) ? value.filter((s) => typeof s === 'string') : [];
  if (symbols.length <= 3) return symbols.join(', ');
  return `${symbols.slice(0, 3).join(', ')} +${symbols.length - 3} more`;
}

/** A chart to draw: the kind, its input and how to name the attachment. */
type Planned = { [K in ChartKind]: { kind: K; name: string; input: ChartInputs[K] } }[ChartKind];

function backtestCharts(output: Output): Planned[] {
  const points = equityPoints(output);
  // One point is a dot, not a curve: nothing worth attaching.
  if (points.length < 2) return [];
  const symbols = symbolList(output.symbols);
  const span = `${points[0]?.date} to ${points[points.length - 1]?.date}`;
  const title = `${stringOf(output.strategy, 'Backtest')}${symbols ? ` on ${symbols}` : ''} · ${span}`;
  return [{ kind: 'equity', name: 'backtest-equity.png', input: { title, points } }];
}

function portfolioCharts(output: Output): Planned[] {
  const objective = stringOf(output.objective, 'portfolio');
  const window = typeof output.end === 'string' && output.end ? ` · to ${output.end}` : '';
  const weights: Record<string, number> = {};
  if (Array.isArray(output.weights))
    for (const one of output.weights)
      if (isRecord(one) && typeof one.symbol === 'string' && isNumber(one.weight))
        weights[one.symbol] = one.weight;
  const planned: Planned[] = [];
  if (Object.keys(weights).length > 0)
    planned.push({
      kind: 'weights',
      name: 'portfolio-weights.png',
      input: { title: `Weights (${objective})${window}`, weights },
    });
  const points: RiskReturn[] = Array.isArray(output.frontier)
    ? output.frontier.flatMap((point) =>
        isRecord(point) && isNumber(point.volatility) && isNumber(point.expected_return)
          ? [{ volatility: point.volatility, expected_return: point.expected_return }]
          : [],
      )
    : [];
  if (points.length > 0) {
    const chosen =
      isNumber(output.volatility) && isNumber(output.expected_return)
        ? {
            volatility: output.volatility,
            expected_return: output.expected_return,
            label: objective,
          }
        : undefined;
    planned.push({
      kind: 'frontier',
      name: 'efficient-frontier.png',
      input: { title: `Efficient frontier${window}`, points, ...(chosen ? { chosen } : {}) },
    });
  }
  return planned;
}

const PLANS: Record<string, (output: Output) => Planned[]> = {
  run_backtest: backtestCharts,
  optimize_portfolio: portfolioCharts,
};

/**
 * The charts to attach to `tool`'s `output`, drawn as PNGs; [] for a tool without charts or an
 * output without the fields. It never throws: a chart that cannot be drawn is left out, and the
 * caller sends the text answer as it would anyway.
 */
export function chartsFor(tool: string, output: Record<string, unknown>): ChartAttachment[] {
  try {
    const plan = Object.hasOwn(PLANS, tool) ? PLANS[tool] : undefined;
    if (!plan || !isRecord(output)) return [];
    return plan(output).flatMap((chart) => {
      try {
        const png = chartPng(chart.kind, chart.input as never);
        return [{ name: chart.name, title: chart.input.title, png }];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}
