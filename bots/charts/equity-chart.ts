/**
 * The equity chart of a backtest: the equity curve (USD) on top and, below it, the drawdown from
 * the running peak as a red area of negative percents, sharing one date axis.
 */
import { dateTicks } from './date-ticks.js';
import { downsampleIndices } from './downsample.js';
import {
  type Box,
  COLORS,
  document,
  dot,
  line,
  linear,
  moneyFull,
  moneyLabel,
  niceTicks,
  noData,
  PLOT_TOP,
  pathData,
  percentLabel,
  text,
  xAxis,
  xGrid,
  yAxis,
} from './svg-kit.js';

/** One day of an equity curve. */
export interface EquityPoint {
  date: string;
  equity: number;
}

export interface EquityChartInput {
  title: string;
  /** In date order; points whose equity is not a finite number are left out. */
  points: readonly EquityPoint[];
}

const EQUITY_BOX: Box = { left: 84, top: PLOT_TOP, right: 780, bottom: 326 };
const DRAWDOWN_BOX: Box = { left: 84, top: 344, right: 780, bottom: 452 };

/** The usable points: a string date and a finite equity. */
function clean(points: readonly EquityPoint[]): { dates: string[]; equity: Float64Array } {
  const kept = points.filter(
    (point) => typeof point?.date === 'string' && Number.isFinite(point.equity),
  );
  return {
    dates: kept.map((point) => point.date),
    equity: Float64Array.from(kept, (p) => p.equity),
  };
}

/** Fall from the running peak at each point, ≤ 0 (0 while equity has never been positive). */
function drawdowns(equity: ArrayLike<number>): Float64Array {
  const out = new Float64Array(equity.length);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < equity.length; i++) {
    const value = equity[i] as number;
    peak = Math.max(peak, value);
    out[i] = peak > 0 ? value / peak - 1 : 0;
  }
  return out;
}

function extent(values: Float64Array): [number, number] {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  return [low, high];
}

/** The panel label, written up the left edge beside the panel. */
function panelLabel(box: Box, label: string): string {
  return text(18, (box.top + box.bottom) / 2, label, {
    size: 12,
    anchor: 'middle',
    color: COLORS.muted,
    rotate: -90,
  });
}

/** The equity line (a dot for one point) with its money axis. */
function equityPanel(equity: Float64Array, x: (index: number) => number): string[] {
  const [low, high] = extent(equity);
  const ticks = niceTicks(low, high, 4);
  const y = linear(ticks.min, ticks.max, EQUITY_BOX.bottom, EQUITY_BOX.top);
  const scale = Math.max(Math.abs(ticks.min), Math.abs(ticks.max));
  const drawn = downsampleIndices(equity).map((i) => [x(i), y(equity[i] as number)] as const);
  const [only] = drawn;
  return [
    ...yAxis(EQUITY_BOX, ticks, y, (value) => moneyLabel(value, ticks.step, scale)),
    drawn.length === 1 && only
      ? dot(only[0], only[1], 4, COLORS.line)
      : `<path d="${pathData(drawn)}" fill="none" stroke="${COLORS.line}" stroke-width="1.6" stroke-linejoin="round"/>`,
  ];
}

/** The drawdown area under zero with its percent axis. */
function drawdownPanel(drawdown: Float64Array, x: (index: number) => number): string[] {
  const [deepest] = extent(drawdown);
  // A run that never fell still gets an axis a percent deep, not one around zero.
  const ticks = niceTicks(Math.min(deepest, -0.01), 0, 2);
  const y = linear(ticks.min, 0, DRAWDOWN_BOX.bottom, DRAWDOWN_BOX.top);
  const drawn = downsampleIndices(drawdown).map((i) => [x(i), y(drawdown[i] as number)] as const);
  const first = drawn[0];
  const last = drawn[drawn.length - 1];
  const area =
    first && last && drawn.length > 1
      ? `<path d="${pathData([[first[0], y(0)], ...drawn, [last[0], y(0)]])}Z" fill="${COLORS.negativeFill}" stroke="${COLORS.negative}" stroke-width="1" stroke-linejoin="round"/>`
      : '';
  return [
    ...yAxis(DRAWDOWN_BOX, ticks, y, (value) => percentLabel(value, ticks.step)),
    area,
    line(DRAWDOWN_BOX.left, y(0), DRAWDOWN_BOX.right, y(0), COLORS.axis),
  ];
}

/** The subtitle: first and last equity, the return between them, and the deepest drawdown. */
function summary(equity: Float64Array, drawdown: Float64Array): string {
  const first = equity[0] as number;
  const last = equity[equity.length - 1] as number;
  const growth = Math.abs((last / first - 1) * 100).toLocaleString('en-US', {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  // A return from a start at or below zero means nothing; the two amounts say it all.
  const change = first > 0 ? ` (${last >= first ? '+' : '−'}${growth}%)` : '';
  const deepest = percentLabel(extent(drawdown)[0], 0.001);
  return `${moneyFull(first)} to ${moneyFull(last)}${change} · Max drawdown ${deepest}`;
}

/**
 * The SVG of an equity curve over its drawdown: money ticks, percent ticks, date labels, and
 * under the title the first and last equity and the deepest drawdown. Long series are thinned to
 * what 800 px can show (bots/charts/downsample.ts).
 */
export function equityChart(input: EquityChartInput): string {
  const { dates, equity } = clean(input.points ?? []);
  const labels = [panelLabel(EQUITY_BOX, 'Equity'), panelLabel(DRAWDOWN_BOX, 'Drawdown')];
  const frame = [EQUITY_BOX, DRAWDOWN_BOX].map((box) =>
    line(box.left, box.bottom, box.right, box.bottom, COLORS.axis),
  );
  if (dates.length === 0)
    return document(input.title, [...labels, ...frame, noData(EQUITY_BOX, 'No equity data')]);
  const x = linear(0, dates.length - 1, EQUITY_BOX.left, EQUITY_BOX.right);
  const drawdown = drawdowns(equity);
  const ticks = dateTicks(dates).map((tick) => ({ x: x(tick.index), label: tick.label }));
  return document(
    input.title,
    [
      ...labels,
      ...xGrid(
        EQUITY_BOX,
        ticks.map((tick) => tick.x),
      ),
      ...xAxis(DRAWDOWN_BOX, ticks),
      ...equityPanel(equity, x),
      ...drawdownPanel(drawdown, x),
      ...frame,
    ],
    summary(equity, drawdown),
  );
}
