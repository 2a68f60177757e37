/** Backtest and optimization speed: one sma_cross backtest warm in-process, and grids in fresh processes. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/app-info.js';
import type { Config } from '../config/env.js';
import { runBacktest } from '../core/engine/backtest.js';
import { priceView } from '../core/series/price-series.js';
import { SAMPLE_DIR } from '../store/market-data/sample.js';
import { readSeriesFile } from '../store/market-data/series-file.js';

/** The full universe when the shared data set is beside the project, else the bundled sample. */
const UNIVERSE = path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'sp500-daily');
const TEN = 'AAPL,AMZN,GOOGL,INTC,JNJ,JPM,KO,MSFT,NVDA,PG';
const GRID = 'fast=5:50:5,slow=20:200:20';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Runs the CLI in a fresh process; returns its JSON, wall time and peak resident memory (sampled). */
async function cli(
  args: string[],
): Promise<{ out: Record<string, unknown>; wallMs: number; peakRssMb: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'bin', 'countersign.js'), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch {
      // The process has exited, or this is not Linux: no memory figure.
    }
  }, 25);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`countersign ${args.join(' ')} exited with ${code}`);
  return {
    out: JSON.parse(stdout),
    wallMs: performance.now() - started,
    peakRssMb: Math.round(peak),
  };
}

/** Every backtest benchmark; `emit` prints one JSON line each. */
export async function benchBacktest(config: Config, emit: (line: object) => void): Promise<void> {
  const dataDir = existsSync(UNIVERSE) ? UNIVERSE : SAMPLE_DIR;
  const aapl = priceView(await readSeriesFile(path.join(dataDir, 'AAPL.csv.gz')), 'raw');
  const request = { strategy: 'sma_cross', params: { fast: 10, slow: 50 }, views: [aapl] };
  for (let k = 0; k < 500; k++) runBacktest(request);
  const times: number[] = [];
  for (let k = 0; k < 2000; k++) {
    const started = performance.now();
    runBacktest(request);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  emit({
    bench: 'backtest_sma_single',
    symbol: 'AAPL',
    bars: aapl.dates.length,
    median_ms: quantile(times, 0.5),
    p95_ms: quantile(times, 0.95),
    target_ms: 0.5,
  });

  const ten = await cli([
    'optimize',
    '--strategy',
    'sma_cross',
    '--symbols',
    TEN,
    '--grid',
    GRID,
    '--data',
    dataDir,
    '--workers',
    '1',
    '--local',
    '--json',
  ]);
  emit({
    bench: 'optimize_grid_10_tickers',
    backtests: (ten.out.rows as unknown[]).length,
    elapsed_ms: ten.out.elapsed_ms,
    wall_ms: Math.round(ten.wallMs),
    peak_rss_mb: ten.peakRssMb,
    threads: 1,
    target_ms: 150,
  });

  if (dataDir !== UNIVERSE) {
    emit({ bench: 'optimize_grid_universe', skipped: `the full data set is not at ${UNIVERSE}` });
    return;
  }
  const symbols = readdirSync(UNIVERSE)
    .filter((name) => name.endsWith('.csv.gz'))
    .map((name) => name.replace('.csv.gz', ''));
  const all = await cli([
    'optimize',
    '--strategy',
    'sma_cross',
    '--symbols',
    symbols.join(','),
    '--grid',
    GRID,
    '--data',
    UNIVERSE,
    '--workers',
    '2',
    '--local',
    '--json',
  ]);
  const rows = all.out.rows as unknown[];
  emit({
    bench: 'optimize_grid_universe',
    symbols: symbols.length,
    backtests: rows.length,
    elapsed_ms: all.out.elapsed_ms,
    wall_ms: Math.round(all.wallMs),
    peak_rss_mb: all.peakRssMb,
    threads: 2,
    target_ms: 10_000,
  });

  if (config.redisUrl === undefined) {
    emit({ bench: 'optimize_grid_universe_queue', skipped: 'REDIS_URL is not set' });
  } else {
    // The same grid as BullMQ jobs on Redis, worked by this process's 2 threads: the queue's cost.
    const queued = await cli([
      'optimize',
      '--strategy',
      'sma_cross',
      '--symbols',
      symbols.join(','),
      '--grid',
      GRID,
      '--data',
      UNIVERSE,
      '--workers',
      '2',
      '--queue',
      `bench-${process.pid}`,
      '--json',
    ]);
    emit({
      bench: 'optimize_grid_universe_queue',
      symbols: symbols.length,
      backtests: (queued.out.rows as unknown[]).length,
      elapsed_ms: queued.out.elapsed_ms,
      wall_ms: Math.round(queued.wallMs),
      peak_rss_mb: queued.peakRssMb,
      threads: 2,
    });
  }

  const rotation = await cli([
    'backtest',
    '--strategy',
    'momentum_rotation',
    '--symbols',
    symbols.join(','),
    '--params',
    'lookback=126,top=20',
    '--data',
    UNIVERSE,
    '--json',
  ]);
  emit({
    bench: 'backtest_universe_rotation',
    symbols: symbols.length,
    fills: (rotation.out.fills as unknown[]).length,
    elapsed_ms: rotation.out.elapsed_ms,
    wall_ms: Math.round(rotation.wallMs),
    peak_rss_mb: rotation.peakRssMb,
    target_rss_mb: 500,
  });
}
