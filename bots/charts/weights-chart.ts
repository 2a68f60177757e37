/**
 * The weights chart of a portfolio: one horizontal bar per symbol, largest weight on top, longs
 * to the right of zero in blue and shorts to the left in red, each with its percent.
 */
import {
  type Box,
  COLORS,
  clip,
  document,
  line,
  linear,
  niceTicks,
  noData,
  num,
  PLOT_TOP,
  percentLabel,
  text,
  xAxis,
} from './svg-kit.js';

export interface WeightsChartInput {
  title: string;
  /** Fraction of the portfolio by symbol (negative: short); non-finite weights are left out. */
  weights: Readonly<Record<string, number>>;
}

/** The most bars drawn; past it the smallest weights are summed into one "others" bar, drawn last. */
const MAX_BARS = 30;
/** Weights smaller than this (0.005 %) print as 0.00 % and are counted, not drawn. */
const ZERO = 5e-5;
const BOX: Box = { left: 110, top: PLOT_TOP, right: 780, bottom: 452 };
/** Room beside a bar's end for its percent. */
const LABEL_ROOM = 58;

interface Bar {
  label: string;
  weight: number;
}

/** Code-unit order, not localeCompare: the same on every machine whatever its locale. */
const byName = (a: Bar, b: Bar) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);

/** The bars to draw, in drawing order, and how many symbols weigh (about) nothing. */
function weightBars(finite: [string, number][]): { bars: Bar[]; zeros: number } {
  const held = finite
    .filter(([, weight]) => Math.abs(weight) >= ZERO)
    .map(([label, weight]) => ({ label, weight }))
    // By size, then name, so that equal weights always come out in the same order.
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || byName(a, b));
  const shown = held.slice(0, held.length <= MAX_BARS ? MAX_BARS : MAX_BARS - 1);
  shown.sort((a, b) => b.weight - a.weight || byName(a, b));
  const rest = held.slice(shown.length);
  // The folded remainder goes last, whatever its sum: it is not one holding to rank.
  const bars =
    rest.length === 0
      ? shown
      : [
          ...shown,
          {
            label: `${rest.length} others`,
            weight: rest.reduce((sum, bar) => sum + bar.weight, 0),
          },
        ];
  return { bars, zeros: finite.length - held.length };
}

/** A weight as printed beside its bar: two decimals under 1 %, one above. */
function weightLabel(weight: number): string {
  return percentLabel(weight, Math.abs(weight) < 0.01 ? 0.0001 : 0.001);
}

/** The subtitle: the long and short totals (of every weight) and how many weigh nothing. */
function summary(finite: [string, number][], zeros: number): string {
  const long = finite.reduce((sum, [, weight]) => sum + Math.max(weight, 0), 0);
  const short = finite.reduce((sum, [, weight]) => sum + Math.min(weight, 0), 0);
  return [
    `Long ${percentLabel(long, 0.001)}`,
    short < 0 ? `Short ${percentLabel(short, 0.001)}` : '',
    zeros > 0 ? `${zeros} at 0% not shown` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** One bar with its symbol at the left and its percent beyond its end. */
function barRow(bar: Bar, top: number, row: number, x: (weight: number) => number): string[] {
  const size = Math.max(8, Math.min(13, row * 0.72));
  const middle = top + row / 2;
  const zero = x(0);
  const end = x(bar.weight);
  // Few bars spread over the whole height, but no thicker than a finger.
  const height = Math.max(1, Math.min(row * 0.7, 36));
  const negative = bar.weight < 0;
  return [
    text(BOX.left - 8, middle + size * 0.35, clip(bar.label, 14), { size, anchor: 'end' }),
    `<rect x="${num(Math.min(zero, end))}" y="${num(middle - height / 2)}" width="${num(Math.max(0.5, Math.abs(end - zero)))}" height="${num(height)}" fill="${negative ? COLORS.negative : COLORS.line}"/>`,
    text(end + (negative ? -5 : 5), middle + size * 0.35, weightLabel(bar.weight), {
      size,
      anchor: negative ? 'end' : 'start',
      color: COLORS.muted,
    }),
  ];
}

/** The SVG of portfolio weights as sorted horizontal bars around a zero line, percent axis below. */
export function weightsChart(input: WeightsChartInput): string {
  const finite = Object.entries(input.weights ?? {}).filter(([, weight]) =>
    Number.isFinite(weight),
  );
  const { bars, zeros } = weightBars(finite);
  if (bars.length === 0)
    return document(input.title, [
      line(BOX.left, BOX.bottom, BOX.right, BOX.bottom, COLORS.axis),
      noData(BOX, zeros > 0 ? `All ${zeros} weights are 0%` : 'No weights'),
    ]);
  const low = Math.min(0, ...bars.map((bar) => bar.weight));
  const high = Math.max(0, ...bars.map((bar) => bar.weight));
  const ticks = niceTicks(low, high, 5);
  const x = linear(
    ticks.min,
    ticks.max,
    BOX.left + (low < 0 ? LABEL_ROOM : 0),
    BOX.right - (high > 0 ? LABEL_ROOM : 0),
  );
  const row = (BOX.bottom - BOX.top) / bars.length;
  const axis = xAxis(
    BOX,
    ticks.values.map((value) => ({ x: x(value), label: percentLabel(value, ticks.step) })),
  );
  return document(
    input.title,
    [
      ...axis,
      ...bars.flatMap((bar, k) => barRow(bar, BOX.top + k * row, row, x)),
      line(x(0), BOX.top, x(0), BOX.bottom, COLORS.axis),
      line(BOX.left, BOX.bottom, BOX.right, BOX.bottom, COLORS.axis),
    ],
    summary(finite, zeros),
  );
}
