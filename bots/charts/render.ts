/**
 * SVG to PNG with resvg and the bundled DejaVu fonts only (no system fonts), so that charts come
 * out the same on a bare server as on a laptop; and chartPng, one chart of a kind straight to PNG.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import { type EquityChartInput, equityChart } from './equity-chart.js';
import { type FrontierChartInput, frontierChart } from './frontier-chart.js';
import { outlineText } from './outline-text.js';
import { FONT_FAMILY } from './svg-kit.js';
import { type WeightsChartInput, weightsChart } from './weights-chart.js';

/** The scales a PNG may be drawn at: 1 is 800 × 500 pixels, 2 is 1600 × 1000. */
export const MIN_SCALE = 0.25;
export const MAX_SCALE = 4;

const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

let fontFiles: string[] | undefined;

/**
 * The DejaVu TTF paths, found once through the package (wherever npm put it). resvg-js 2.6's
 * native binding takes font files, not buffers, so the paths are what can be cached.
 */
export function chartFontFiles(): string[] {
  if (fontFiles) return fontFiles;
  const root = path.dirname(
    createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json'),
  );
  const files = FONT_FILES.map((name) => path.join(root, 'ttf', name));
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length > 0)
    throw new Error(`chart fonts missing: ${missing.join(', ')}; reinstall dejavu-fonts-ttf`);
  fontFiles = files;
  return files;
}

/** resvg's options at `scale`, the font part built once. */
let fontOptions: ResvgRenderOptions['font'] | undefined;
function renderOptions(scale: number): ResvgRenderOptions {
  fontOptions ??= {
    fontFiles: chartFontFiles(),
    loadSystemFonts: false,
    defaultFontFamily: FONT_FAMILY,
    sansSerifFamily: FONT_FAMILY,
  };
  return {
    font: fontOptions,
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    background: '#ffffff',
    logLevel: 'off',
  };
}

/** `scale` when it is a number in [MIN_SCALE, MAX_SCALE]; otherwise a RangeError naming it. */
function checkedScale(scale: number): number {
  if (!Number.isFinite(scale) || scale < MIN_SCALE || scale > MAX_SCALE)
    throw new RangeError(`scale must be from ${MIN_SCALE} to ${MAX_SCALE}, got ${scale}`);
  return scale;
}

/** A resvg instance for `svg`, parsed with the chart fonts (tests read its pixels). */
export function resvgOf(svg: string, options: { scale?: number } = {}): Resvg {
  return new Resvg(svg, renderOptions(checkedScale(options.scale ?? 1)));
}

/** `svg` drawn as a PNG; throws when the SVG cannot be parsed or the scale is out of range. */
export function renderPng(svg: string, options: { scale?: number } = {}): Buffer {
  return resvgOf(outlineText(svg), options).render().asPng();
}

/** The input each kind of chart takes. */
export interface ChartInputs {
  equity: EquityChartInput;
  weights: WeightsChartInput;
  frontier: FrontierChartInput;
}

export type ChartKind = keyof ChartInputs;

const CHARTS: { [K in ChartKind]: (input: ChartInputs[K]) => string } = {
  equity: equityChart,
  weights: weightsChart,
  frontier: frontierChart,
};

/** The kinds chartPng draws. */
const CHART_KINDS = Object.keys(CHARTS) as ChartKind[];

/** One chart of `kind` as a PNG, e.g. chartPng('weights', { title, weights: { AAPL: 0.6, KO: 0.4 } }). */
export function chartPng<K extends ChartKind>(
  kind: K,
  input: ChartInputs[K],
  options: { scale?: number } = {},
): Buffer {
  if (!Object.hasOwn(CHARTS, kind))
    throw new RangeError(
      `chart kind must be one of ${CHART_KINDS.join(', ')}, got ${String(kind)}`,
    );
  const build: (input: ChartInputs[K]) => string = CHARTS[kind];
  return renderPng(build(input), options);
}
