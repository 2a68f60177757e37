/**
 * The pieces every chart is built from: safe text, fixed-precision numbers, linear scales with
 * "nice" ticks, number labels, and the SVG elements (frame, text, lines, paths). Pure strings.
 */

/** Every chart's size in SVG units (pixels at scale 1). */
export const WIDTH = 800;
export const HEIGHT = 500;
/** The one font the renderer loads (bots/charts/render.ts), so text looks the same everywhere. */
export const FONT_FAMILY = 'DejaVu Sans';

export const COLORS = {
  text: '#1f2937',
  muted: '#6b7280',
  grid: '#e5e7eb',
  axis: '#9ca3af',
  line: '#2563eb',
  negative: '#dc2626',
  negativeFill: '#fca5a5',
  highlight: '#f59e0b',
} as const;

/** The area inside the margins, where the data goes. */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * Whether XML 1.0 allows this code point at all: not C0 controls but tab and newlines, not lone
 * surrogates, not U+FFFE/U+FFFF. Escaping cannot save those, and one of them makes the whole SVG
 * unparsable.
 */
function xmlAllows(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    code >= 0x10000
  );
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text from users (titles, tickers) made safe for SVG content and attributes. */
export function escapeXml(text: string): string {
  let allowed = '';
  // By code point: a lone surrogate comes out as one character of its own and is dropped.
  for (const char of text) if (xmlAllows(char.codePointAt(0) as number)) allowed += char;
  return allowed.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** `text` cut to `max` characters (whole code points) with an ellipsis, newlines flattened. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** A coordinate with one decimal: enough at 800 px, and the same string on every machine. */
export function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** Maps [d0, d1] onto [r0, r1]; a zero-width domain maps everything to the middle. */
export function linear(d0: number, d1: number, r0: number, r1: number): (value: number) => number {
  const span = d1 - d0;
  if (span === 0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** Ticks at 1, 2 or 5 × 10^k covering [min, max] with about `count` intervals. */
export interface Ticks {
  values: number[];
  step: number;
  /** The domain, widened to whole steps. */
  min: number;
  max: number;
}

/** The 1-2-5 step nearest `rough` on a log scale (the cut-offs are the geometric midpoints). */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const nice =
    fraction < Math.SQRT2 ? 1 : fraction < Math.sqrt(10) ? 2 : fraction < Math.sqrt(50) ? 5 : 10;
  return nice * power;
}

/**
 * Round tick values over [min, max] (given in either order); an empty or single-value range is
 * widened around its value so that a flat series still gets an axis.
 */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  let lo = Math.min(min, max);
  let hi = Math.max(min, max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < Math.max(Math.abs(hi), Math.abs(lo), 1) * 1e-9) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / count);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values: number[] = [];
  // Multiplying whole counts of the step, not adding, keeps 0.1 + 0.2 noise out of the labels.
  for (let k = first; k <= last; k++) values.push(Number((k * step).toPrecision(12)));
  return { values, step, min: first * step, max: last * step };
}

/** Decimals that tell apart ticks `step` apart (after dividing by `unit`), at most 6. */
function decimalsFor(step: number, unit = 1): number {
  const scaled = Math.abs(step / unit);
  for (let decimals = 0; decimals < 6; decimals++) {
    const shifted = scaled * 10 ** decimals;
    if (Math.abs(shifted - Math.round(shifted)) < 1e-6 * Math.max(1, shifted)) return decimals;
  }
  return 6;
}

/** A fraction as a percent label, e.g. 0.125 → "12.5%", with decimals enough for `step`. */
export function percentLabel(fraction: number, step = 0.01): string {
  return `${withMinus((fraction * 100).toFixed(decimalsFor(step * 100)))}%`;
}

/** A money amount as a short label, e.g. 1_250_000 → "$1.25M", with decimals enough for `step`. */
export function moneyLabel(value: number, step: number, scale = Math.abs(value)): string {
  if (value === 0) return '$0';
  const [unit, suffix] =
    scale >= 1e9 ? [1e9, 'B'] : scale >= 1e6 ? [1e6, 'M'] : scale >= 1e4 ? [1e3, 'k'] : [1, ''];
  const text = Math.abs(value / unit).toFixed(decimalsFor(step, unit));
  return `${value < 0 && Number(text) !== 0 ? '−' : ''}$${text}${suffix}`;
}

/** A money amount in full, e.g. "$123,456". */
export function moneyFull(value: number): string {
  const text = Math.round(Math.abs(value)).toLocaleString('en-US');
  return `${value < 0 && text !== '0' ? '−' : ''}$${text}`;
}

/** A typographic minus for labels, and no "-0". */
function withMinus(text: string): string {
  if (!text.startsWith('-')) return text;
  return Number(text) === 0 ? text.slice(1) : `−${text.slice(1)}`;
}

export interface TextOptions {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  color?: string;
  bold?: boolean;
  /** Degrees, about (x, y). */
  rotate?: number;
  /** A white outline under the glyphs, for a label drawn over lines. */
  halo?: boolean;
}

/** A text element; `content` is escaped here, so pass it raw. */
export function text(x: number, y: number, content: string, options: TextOptions = {}): string {
  const attributes = [
    `x="${num(x)}"`,
    `y="${num(y)}"`,
    `font-size="${num(options.size ?? 12)}"`,
    `fill="${options.color ?? COLORS.text}"`,
  ];
  if (options.anchor && options.anchor !== 'start')
    attributes.push(`text-anchor="${options.anchor}"`);
  if (options.bold) attributes.push('font-weight="bold"');
  if (options.halo)
    attributes.push(
      'stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"',
    );
  if (options.rotate) attributes.push(`transform="rotate(${options.rotate} ${num(x)} ${num(y)})"`);
  return `<text ${attributes.join(' ')}>${escapeXml(content)}</text>`;
}

/** A straight line. */
export function line(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  color: string,
  width = 1,
): string {
  return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${color}" stroke-width="${width}"/>`;
}

/** The `d` of a polyline through `points` ("" for none). */
export function pathData(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${num(x)} ${num(y)}`).join('');
}

/** A small filled circle. */
export function dot(x: number, y: number, radius: number, fill: string, stroke = 'none'): string {
  return `<circle cx="${num(x)}" cy="${num(y)}" r="${radius}" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>`;
}

/** Top of the plots: below the title and its subtitle. */
export const PLOT_TOP = 66;

/** A whole chart: fixed size, white background, the title top left with an optional subtitle under it. */
export function document(title: string, body: string[], subtitle?: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT_FAMILY}">`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    title ? text(20, 28, clip(title, 66), { size: 18, bold: true }) : '',
    subtitle ? text(20, 47, clip(subtitle, 110), { size: 12, color: COLORS.muted }) : '',
    ...body,
    '</svg>',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The message drawn in place of data when there is none. */
export function noData(box: Box, message = 'No data'): string {
  return text((box.left + box.right) / 2, (box.top + box.bottom) / 2, message, {
    size: 16,
    anchor: 'middle',
    color: COLORS.muted,
  });
}

/** Horizontal grid lines with labels at the left of `box`, one per tick. */
export function yAxis(
  box: Box,
  ticks: Ticks,
  y: (value: number) => number,
  label: (value: number) => string,
): string[] {
  return ticks.values.flatMap((value) => [
    line(box.left, y(value), box.right, y(value), COLORS.grid),
    text(box.left - 8, y(value) + 4, label(value), {
      size: 11,
      anchor: 'end',
      color: COLORS.muted,
    }),
  ]);
}

/** Vertical grid lines across `box` at each of `xs`. */
export function xGrid(box: Box, xs: readonly number[]): string[] {
  return xs.map((x) => line(x, box.top, x, box.bottom, COLORS.grid));
}

/** Vertical grid lines with labels under `box`, one per tick. */
export function xAxis(
  box: Box,
  ticks: readonly { x: number; label: string }[],
  labelY = box.bottom + 18,
): string[] {
  return [
    ...xGrid(
      box,
      ticks.map((tick) => tick.x),
    ),
    ...ticks.map(({ x, label }) =>
      text(x, labelY, label, { size: 11, anchor: 'middle', color: COLORS.muted }),
    ),
  ];
}
