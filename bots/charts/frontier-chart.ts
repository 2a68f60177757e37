/**
 * The efficient-frontier chart: expected return against volatility (both annual, in percent) as a
 * line with markers, and the chosen portfolio as a highlighted point with its label.
 */
import {
  type Box,
  COLORS,
  clip,
  document,
  dot,
  line,
  linear,
  niceTicks,
  noData,
  PLOT_TOP,
  pathData,
  percentLabel,
  text,
  xAxis,
  yAxis,
} from './svg-kit.js';

/** One portfolio: annual volatility and expected return, as fractions (0.12 = 12 %). */
export interface RiskReturn {
  volatility: number;
  expected_return: number;
}

export interface FrontierChartInput {
  title: string;
  /** Frontier portfolios; points with a non-finite figure are left out. */
  points: readonly RiskReturn[];
  /** The portfolio picked, drawn on top; its label (e.g. the objective) defaults to "chosen". */
  chosen?: RiskReturn & { label?: string };
}

const BOX: Box = { left: 84, top: PLOT_TOP, right: 770, bottom: 436 };
/** Markers past this many would merge into the line. */
const MAX_MARKERS = 120;

function usable(point: RiskReturn | undefined): point is RiskReturn {
  return Number.isFinite(point?.volatility) && Number.isFinite(point?.expected_return);
}

/** Ticks over the figures, padded by a twentieth so that no marker sits on the frame. */
function ticksOver(values: number[]) {
  // A loop, not Math.min(...values): a spread of a very long list overflows the stack.
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  const pad = (high - low) / 20;
  return niceTicks(low - pad, high + pad, 5);
}

/** Where a label may go beside its point: offset of its anchor and which end is anchored. */
const PLACES = [
  { dx: -12, dy: -12, anchor: 'end' },
  { dx: 12, dy: 22, anchor: 'start' },
  { dx: 12, dy: 4, anchor: 'start' },
  { dx: -12, dy: 4, anchor: 'end' },
  { dx: 12, dy: -12, anchor: 'start' },
  { dx: -12, dy: 22, anchor: 'end' },
] as const;
/** Rough width of a character of a bold 12 px label. */
const LABEL_CHAR = 7.6;

type Rect = { x0: number; y0: number; x1: number; y1: number };

function inside(rect: Rect, x: number, y: number, margin = 0): boolean {
  return (
    x >= rect.x0 - margin && x <= rect.x1 + margin && y >= rect.y0 - margin && y <= rect.y1 + margin
  );
}

/** Whether the frontier line (sampled along each segment) crosses `rect`. */
function crosses(rect: Rect, line: readonly (readonly [number, number])[]): boolean {
  return line.some(([x, y], k) => {
    const [nx, ny] = line[k + 1] ?? [x, y];
    for (let t = 0; t <= 1; t += 0.125)
      if (inside(rect, x + (nx - x) * t, y + (ny - y) * t, 4)) return true;
    return false;
  });
}

/**
 * The chosen point's marker and its label, put on the first side of it (up-left first: on an
 * efficient frontier the region above and left of a point is empty) where it stays inside the
 * plot and clear of the line.
 */
function chosenMarker(
  chosen: RiskReturn & { label?: string },
  x: (value: number) => number,
  y: (value: number) => number,
  line: readonly (readonly [number, number])[],
): string[] {
  const cx = x(chosen.volatility);
  const cy = y(chosen.expected_return);
  const label = `${clip(chosen.label || 'chosen', 24)}: ${percentLabel(chosen.expected_return, 0.001)} at ${percentLabel(chosen.volatility, 0.001)} vol`;
  const width = Array.from(label).length * LABEL_CHAR;
  const rectOf = (place: (typeof PLACES)[number]): Rect => {
    const ax = cx + place.dx;
    const x0 = place.anchor === 'end' ? ax - width : ax;
    return { x0, y0: cy + place.dy - 12, x1: x0 + width, y1: cy + place.dy + 3 };
  };
  const fits = (rect: Rect) =>
    rect.x0 >= BOX.left && rect.x1 <= BOX.right && rect.y0 >= BOX.top && rect.y1 <= BOX.bottom;
  const place =
    PLACES.find((one) => fits(rectOf(one)) && !crosses(rectOf(one), line)) ??
    PLACES.find((one) => fits(rectOf(one))) ??
    PLACES[0];
  return [
    dot(cx, cy, 7, COLORS.highlight, '#ffffff'),
    text(cx + place.dx, cy + place.dy, label, {
      size: 12,
      bold: true,
      anchor: place.anchor,
      halo: true,
    }),
  ];
}

/** The SVG of the frontier (sorted by expected return) with its percent axes and the chosen point. */
export function frontierChart(input: FrontierChartInput): string {
  const points = (input.points ?? [])
    .filter(usable)
    .sort((a, b) => a.expected_return - b.expected_return || a.volatility - b.volatility);
  const chosen = usable(input.chosen) ? input.chosen : undefined;
  const all = chosen ? [...points, chosen] : points;
  const frame = [
    line(BOX.left, BOX.bottom, BOX.right, BOX.bottom, COLORS.axis),
    line(BOX.left, BOX.top, BOX.left, BOX.bottom, COLORS.axis),
    text((BOX.left + BOX.right) / 2, BOX.bottom + 42, 'Volatility (annual)', {
      size: 12,
      anchor: 'middle',
      color: COLORS.muted,
    }),
    text(18, (BOX.top + BOX.bottom) / 2, 'Expected return (annual)', {
      size: 12,
      anchor: 'middle',
      color: COLORS.muted,
      rotate: -90,
    }),
  ];
  if (all.length === 0) return document(input.title, [...frame, noData(BOX, 'No frontier points')]);
  const xTicks = ticksOver(all.map((point) => point.volatility));
  const yTicks = ticksOver(all.map((point) => point.expected_return));
  const x = linear(xTicks.min, xTicks.max, BOX.left, BOX.right);
  const y = linear(yTicks.min, yTicks.max, BOX.bottom, BOX.top);
  const xy = points.map((point) => [x(point.volatility), y(point.expected_return)] as const);
  const markers = xy.length <= MAX_MARKERS ? xy.map(([px, py]) => dot(px, py, 3, COLORS.line)) : [];
  return document(
    input.title,
    [
      ...yAxis(BOX, yTicks, y, (value) => percentLabel(value, yTicks.step)),
      ...xAxis(
        BOX,
        xTicks.values.map((value) => ({ x: x(value), label: percentLabel(value, xTicks.step) })),
      ),
      xy.length > 1
        ? `<path d="${pathData(xy)}" fill="none" stroke="${COLORS.line}" stroke-width="2" stroke-linejoin="round"/>`
        : '',
      ...markers,
      ...(chosen ? chosenMarker(chosen, x, y, xy) : []),
      ...frame,
    ],
    points.length > 0 ? `${points.length} frontier points` : undefined,
  );
}
