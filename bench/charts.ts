/**
 * Chart rendering speed: one equity chart of 5,400 days (as long as AAPL 1999–2021), one weights
 * chart of 30 symbols and one frontier of 50 points, each built as SVG and drawn to PNG with the
 * bundled fonts. `cold_ms` is the first render in the process (fonts read, resvg loaded); p50
 * and p95 are over 50 warm runs, and `svg_p50_ms` is the SVG building alone.
 */

import { equityChart } from '../bots/charts/equity-chart.js';
import { frontierChart } from '../bots/charts/frontier-chart.js';
import { type ChartInputs, type ChartKind, chartPng } from '../bots/charts/render.js';
import { weightsChart } from '../bots/charts/weights-chart.js';

const RUNS = 50;
const WARMUP = 3;
/** What a chat reply can spend on one chart without the user noticing. */
const TARGET_MS = 50;

const ms = (value: number) => Math.round(value * 100) / 100;
const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;

/** A seeded random source in [0, 1), so every run draws the same charts. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

/** 5,400 weekdays of a drifting random walk from 1999-11-01, from $100,000. */
function equityInput(): ChartInputs['equity'] {
  const random = seeded(11);
  const points: ChartInputs['equity']['points'][number][] = [];
  let equity = 100_000;
  for (let t = Date.UTC(1999, 10, 1); points.length < 5_400; t += 86_400_000) {
    const day = new Date(t).getUTCDay();
    if (day === 0 || day === 6) continue;
    equity *= 1 + (random() - 0.495) * 0.05;
    points.push({ date: new Date(t).toISOString().slice(0, 10), equity });
  }
  return { title: 'sma_cross on AAPL · 1999-11-01 to 2021-04-21', points };
}

/** 30 symbols, a few of them short. */
function weightsInput(): ChartInputs['weights'] {
  const random = seeded(13);
  const weights: Record<string, number> = {};
  for (let k = 0; k < 30; k++) weights[`SYM${k}`] = (random() - 0.2) / 12;
  return { title: 'Weights (max_sharpe) · to 2021-04-21', weights };
}

/** A 50-point hyperbola frontier with the max-Sharpe point chosen. */
function frontierInput(): ChartInputs['frontier'] {
  const points = Array.from({ length: 50 }, (_, k) => {
    const expected = 0.04 + k * 0.005;
    return { expected_return: expected, volatility: Math.sqrt(0.02 + 3 * (expected - 0.1) ** 2) };
  });
  const chosen = { ...(points[30] as (typeof points)[number]), label: 'max_sharpe' };
  return { title: 'Efficient frontier · to 2021-04-21', points, chosen };
}

const SVG: { [K in ChartKind]: (input: ChartInputs[K]) => string } = {
  equity: equityChart,
  weights: weightsChart,
  frontier: frontierChart,
};

/** Times `work` RUNS times after WARMUP runs; the sorted laps in ms. */
function laps(work: () => void): number[] {
  for (let k = 0; k < WARMUP; k++) work();
  const out: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const started = performance.now();
    work();
    out.push(performance.now() - started);
  }
  return out.sort((a, b) => a - b);
}

function benchOne<K extends ChartKind>(
  kind: K,
  input: ChartInputs[K],
  emit: (line: object) => void,
): void {
  const started = performance.now();
  const png = chartPng(kind, input);
  const cold = performance.now() - started;
  const build: (input: ChartInputs[K]) => string = SVG[kind];
  const png_laps = laps(() => chartPng(kind, input));
  const svg_laps = laps(() => build(input));
  emit({
    bench: 'chart_png',
    kind,
    target_ms: TARGET_MS,
    n: RUNS,
    p50_ms: ms(percentile(png_laps, 0.5)),
    p95_ms: ms(percentile(png_laps, 0.95)),
    cold_ms: ms(cold),
    svg_p50_ms: ms(percentile(svg_laps, 0.5)),
    bytes: png.length,
  });
}

export async function benchCharts(emit: (line: object) => void): Promise<void> {
  benchOne('equity', equityInput(), emit);
  benchOne('weights', weightsInput(), emit);
  benchOne('frontier', frontierInput(), emit);
}
