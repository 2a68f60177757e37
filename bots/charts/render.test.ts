/**
 * Every chart drawn for real with resvg and the bundled fonts: PNG header and size, text that
 * shows up as pixels, user text that cannot break the SVG, empty, single and 10,000-point inputs,
 * shorts left of zero, the chosen frontier point, and the refusals of bad scales and kinds.
 */
import { describe, expect, it } from 'vitest';
import { equityChart } from './equity-chart.js';
import { frontierChart } from './frontier-chart.js';
import { chartFontFiles, chartPng, renderPng, resvgOf } from './render.js';
import { COLORS, HEIGHT, WIDTH } from './svg-kit.js';
import { weightsChart } from './weights-chart.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the PNG's IHDR chunk, which must come first. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** RGBA pixels of `svg` and a counter of those in a rectangle that match `test`. */
function pixelsOf(svg: string) {
  const image = resvgOf(svg).render();
  const { pixels, width } = image;
  const count = (
    area: { x0: number; y0: number; x1: number; y1: number },
    test: (r: number, g: number, b: number) => boolean,
  ) => {
    let n = 0;
    for (let y = area.y0; y < area.y1; y++)
      for (let x = area.x0; x < area.x1; x++) {
        const at = (y * width + x) * 4;
        if (test(pixels[at] as number, pixels[at + 1] as number, pixels[at + 2] as number)) n++;
      }
    return n;
  };
  return { image, count };
}

const notWhite = (r: number, g: number, b: number) => r < 250 || g < 250 || b < 250;
const TITLE_AREA = { x0: 0, y0: 0, x1: WIDTH, y1: 34 };

/** `hex` as an exact-match pixel test (bar interiors are drawn without anti-aliasing). */
function colour(hex: string) {
  const [r, g, b] = [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
  return (pr: number, pg: number, pb: number) => pr === r && pg === g && pb === b;
}

/** A deterministic daily equity curve of `n` points from 1999, a random walk with drift. */
function walk(n: number) {
  let seed = 7;
  let equity = 100_000;
  const start = Date.UTC(1999, 10, 1);
  return Array.from({ length: n }, (_, i) => {
    seed = (seed * 48_271) % 2_147_483_647;
    equity *= 1 + (seed / 2_147_483_647 - 0.49) * 0.03;
    return { date: new Date(start + i * 86_400_000).toISOString().slice(0, 10), equity };
  });
}

const FRONTIER = Array.from({ length: 50 }, (_, k) => {
  const expected = 0.04 + k * 0.004;
  return { expected_return: expected, volatility: Math.sqrt(0.02 + 4 * (expected - 0.1) ** 2) };
});

describe('renderPng', () => {
  it('draws an 800 × 500 PNG at scale 1 and 1600 × 1000 at scale 2', () => {
    const svg = weightsChart({ title: 'Weights', weights: { AAPL: 0.6, KO: 0.4 } });
    expect(pngSize(renderPng(svg))).toEqual({ width: WIDTH, height: HEIGHT });
    expect(pngSize(renderPng(svg, { scale: 2 }))).toEqual({ width: 1600, height: 1000 });
  });

  it('refuses a scale out of range, naming it and the range', () => {
    const svg = weightsChart({ title: 'Weights', weights: { AAPL: 1 } });
    for (const scale of [0, 10, Number.NaN])
      expect(() => renderPng(svg, { scale })).toThrow(`scale must be from 0.25 to 4, got ${scale}`);
  });

  it('finds the bundled DejaVu fonts', () => {
    expect(chartFontFiles().map((file) => file.split(/[\\/]/).pop())).toEqual([
      'DejaVuSans.ttf',
      'DejaVuSans-Bold.ttf',
    ]);
  });

  it('draws text with the bundled fonts: a title puts ink where no title leaves none', () => {
    const points = walk(300);
    const titled = pixelsOf(equityChart({ title: 'AAPL backtest', points }));
    const untitled = pixelsOf(equityChart({ title: '', points }));
    expect(titled.count(TITLE_AREA, notWhite)).toBeGreaterThan(300);
    expect(untitled.count(TITLE_AREA, notWhite)).toBe(0);
  });
});

describe('text from users', () => {
  const hostile = `<script>alert("x")</script> & 'quotes' \u0001\uD800 ]]> <!--`;

  it.each([
    ['equity', () => equityChart({ title: hostile, points: walk(10) })],
    ['weights', () => weightsChart({ title: hostile, weights: { [hostile]: 0.5, '<b>': 0.5 } })],
    [
      'frontier',
      () =>
        frontierChart({
          title: hostile,
          points: FRONTIER,
          chosen: { ...(FRONTIER[20] as (typeof FRONTIER)[number]), label: hostile },
        }),
    ],
  ])('is escaped in the %s chart, which resvg parses and draws the title of', (_, build) => {
    const svg = build();
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<!--');
    expect(svg).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;',
    );
    expect(pixelsOf(svg).count(TITLE_AREA, notWhite)).toBeGreaterThan(300);
  });
});

describe('equityChart', () => {
  it('draws no points as a chart saying so, and one point as a dot', () => {
    for (const points of [[], [{ date: '2021-04-21', equity: 100_000 }]]) {
      const png = chartPng('equity', { title: 'Equity', points });
      expect(pngSize(png)).toEqual({ width: WIDTH, height: HEIGHT });
    }
    expect(equityChart({ title: 'Equity', points: [] })).toContain('No equity data');
    expect(equityChart({ title: 'Equity', points: [{ date: '2021-04-21', equity: 1 }] })).toContain(
      '<circle',
    );
  });

  it('leaves out non-finite values', () => {
    const points = walk(50);
    const holed = [...points.slice(0, 10), { date: 'x', equity: Number.NaN }, ...points.slice(10)];
    holed.push({ date: 'y', equity: Number.POSITIVE_INFINITY });
    expect(equityChart({ title: 'Equity', points: holed })).toBe(
      equityChart({ title: 'Equity', points }),
    );
  });

  it('thins 10,000 points to at most 800 per line and still draws the curve and the drawdown', () => {
    const svg = equityChart({ title: 'Ten thousand days', points: walk(10_000) });
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((match) => match[1] as string);
    expect(paths).toHaveLength(2);
    for (const d of paths) expect((d.match(/[ML]/g) ?? []).length).toBeLessThanOrEqual(802);
    const { count } = pixelsOf(svg);
    const plot = { x0: 90, y0: 70, x1: 775, y1: 320 };
    expect(count(plot, (r, g, b) => b > 200 && r < 100 && g < 150)).toBeGreaterThan(500);
    expect(
      count({ x0: 90, y0: 346, x1: 775, y1: 450 }, colour(COLORS.negativeFill)),
    ).toBeGreaterThan(500);
  });

  it('is the same string for the same input', () => {
    const points = walk(2_000);
    expect(equityChart({ title: 't', points })).toBe(equityChart({ title: 't', points }));
  });
});

describe('weightsChart', () => {
  it('draws shorts in red left of zero and longs in blue right of it', () => {
    const svg = weightsChart({
      title: 'Long/short',
      weights: { AAPL: 0.7, MSFT: 0.5, KO: -0.2, XOM: -0.05, ZERO: 0 },
    });
    const { image, count } = pixelsOf(svg);
    const columns = (test: (r: number, g: number, b: number) => boolean) => {
      const xs: number[] = [];
      for (let x = 0; x < image.width; x++)
        if (count({ x0: x, y0: 60, x1: x + 1, y1: 455 }, test) > 0) xs.push(x);
      return xs;
    };
    const red = columns(colour(COLORS.negative));
    const blue = columns(colour(COLORS.line));
    expect(red.length).toBeGreaterThan(50);
    expect(blue.length).toBeGreaterThan(200);
    expect(Math.max(...red)).toBeLessThan(Math.min(...blue));
    expect(svg).toContain('−20.0%');
    expect(svg).toContain('1 at 0% not shown');
  });

  it('sorts by weight, largest on top, and folds more than 30 into "others"', () => {
    const weights = Object.fromEntries(
      Array.from({ length: 40 }, (_, k) => [`S${k}`, (k + 1) / 820]),
    );
    const svg = weightsChart({ title: 'Forty', weights });
    const labels = [...svg.matchAll(/text-anchor="end"[^>]*>([^<]+)</g)].map((match) => match[1]);
    expect(labels[0]).toBe('S39');
    expect(labels[28]).toBe('S11');
    expect(labels[29]).toBe('11 others');
    expect(labels).not.toContain('S0');
    expect(pngSize(renderPng(svg))).toEqual({ width: WIDTH, height: HEIGHT });
  });

  it('draws no weights as a chart saying so', () => {
    expect(weightsChart({ title: 'None', weights: {} })).toContain('No weights');
    expect(weightsChart({ title: 'Zeros', weights: { A: 0, B: Number.NaN } })).toContain(
      'All 1 weights are 0%',
    );
    expect(pngSize(chartPng('weights', { title: 'None', weights: {} })).width).toBe(WIDTH);
  });
});

describe('frontierChart', () => {
  it('draws the frontier and the chosen point highlighted with its label', () => {
    const chosen = { ...(FRONTIER[30] as (typeof FRONTIER)[number]), label: 'max_sharpe' };
    const svg = frontierChart({ title: 'Frontier', points: FRONTIER, chosen });
    expect(svg).toContain('max_sharpe: 16.0% at 18.5% vol');
    const { count } = pixelsOf(svg);
    const plot = { x0: 85, y0: 66, x1: 770, y1: 436 };
    expect(count(plot, colour(COLORS.highlight))).toBeGreaterThan(60);
    expect(count(plot, colour(COLORS.line))).toBeGreaterThan(300);
  });

  it('draws no points, one point, or only the chosen one', () => {
    const one = { volatility: 0.2, expected_return: 0.1 };
    for (const input of [
      { title: 'None', points: [] },
      { title: 'One', points: [one] },
      { title: 'Chosen only', points: [], chosen: one },
      { title: 'Junk', points: [{ volatility: Number.NaN, expected_return: 1 }] },
    ])
      expect(pngSize(chartPng('frontier', input))).toEqual({ width: WIDTH, height: HEIGHT });
    expect(frontierChart({ title: 'None', points: [] })).toContain('No frontier points');
  });
});

describe('chartPng', () => {
  it('refuses an unknown kind, naming it and the kinds there are', () => {
    expect(() => chartPng('pie' as never, { title: 'x' } as never)).toThrow(
      'chart kind must be one of equity, weights, frontier, got pie',
    );
  });
});
