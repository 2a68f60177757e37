/** `countersign optimize`: search a strategy's parameters per symbol, optionally with walk-forward validation. */
import { setMaxListeners } from 'node:events';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { objectiveByName } from '../core/optimize/objectives/index.js';
import { parseGridSpec } from '../core/optimize/param-space.js';
import type { SearchMethod } from '../core/optimize/run-search.js';
import { strategyByName } from '../core/strategies/index.js';
import {
  checkQueueName,
  countQueueWorkers,
  createQueueRunner,
} from '../store/jobs/optimize-queue.js';
import {
  type OptimizeReport,
  type OptimizeSource,
  optimizeStrategy,
} from '../store/jobs/optimize-strategy.js';
import { createThreadRunner, defaultThreads, type TaskRunner } from '../store/jobs/task-runner.js';
import { filesFor, loadSeries } from '../store/market-data/load-series.js';
import { reportRunFailure } from './input-errors.js';
import { loadDatabaseSeries } from './load-views.js';
import { ratio, table, toJson } from './output.js';
import { parseRunOptions, type RunOptionText, UsageError } from './run-options.js';

/** Options of the optimize command. */
export interface OptimizeOptions extends RunOptionText {
  strategy: string;
  grid?: string;
  method?: string;
  trials?: string;
  seed?: string;
  objective: string;
  walkForward?: string;
  workers?: string;
  queue?: string;
  local?: boolean;
  json?: boolean;
}

function whole(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(
      `${flag} ${JSON.stringify(text)} is not valid; use a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/** Rows as `optimize --json` prints them: symbol, the parameters, final_equity, each objective, trade_count. */
export function optimizeJson(report: OptimizeReport, elapsedMs: number): unknown {
  return toJson({
    strategy: report.strategy,
    method: report.method,
    priceMode: report.priceMode,
    objectives: report.objectives,
    rows: report.rows.map((row) => ({
      symbol: row.symbol,
      ...row.params,
      finalEquity: row.finalEquity,
      ...row.scores,
      tradeCount: row.tradeCount,
      ...(row.error ? { error: row.error } : {}),
    })),
    best: report.best,
    front: report.front,
    walkForward: report.walkForward.map((one) => ({
      ...one,
      folds: one.folds.map(({ outOfSampleMetrics, ...fold }) => ({
        ...fold,
        outOfSampleTradeCount: outOfSampleMetrics?.tradeCount ?? null,
      })),
    })),
    backtests: report.backtests,
    elapsedMs,
  });
}

function summary(report: OptimizeReport, elapsedMs: number, ranOn: string): string {
  const objective = report.objectives[0] as string;
  const lines = report.best.map((best) => {
    const params = Object.entries(best.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return [best.symbol, `${params}  ${objective} ${ratio(best.scores[objective] ?? null)}`] as [
      string,
      string,
    ];
  });
  for (const one of report.walkForward) {
    const s = one.summary;
    lines.push([
      `${one.symbol} walk-forward`,
      `${s.folds} folds: in-sample ${ratio(s.meanInSample)}, out-of-sample ${ratio(s.meanOutOfSample)}, degradation ${s.degradation === null ? 'n/a' : `${(s.degradation * 100).toFixed(0)} %`}, most common ${JSON.stringify(s.mostCommonParams)} in ${(s.mostCommonShare * 100).toFixed(0)} % of folds`,
    ]);
  }
  lines.push([
    'Backtests',
    `${report.backtests.toLocaleString('en-US')} in ${(elapsedMs / 1000).toFixed(2)} s, ${ranOn}`,
  ]);
  lines.push(['Prices', report.priceMode]);
  return `Best ${report.method} ${report.strategy} by ${objective}:\n${table(lines)}`;
}

/** Where the backtests ran, for the summary. */
function describeRunner(runner: TaskRunner): string {
  if (runner.kind === 'queue')
    return `shared on the Redis queue ${runner.queueName} (this machine working it too)`;
  return runner.kind === 'threads' ? `on ${runner.parallelism} threads` : 'in one thread';
}

/** Runs the optimize command. Ctrl-C cancels the search. */
export async function optimizeCommand(options: OptimizeOptions): Promise<void> {
  let runner: TaskRunner | undefined;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const strategy = strategyByName(options.strategy);
    const run = parseRunOptions(options);
    const method = (options.method ?? 'grid') as SearchMethod;
    if (!['grid', 'random', 'tpe'].includes(method))
      throw new UsageError(
        `--method ${JSON.stringify(options.method)} is not valid; use grid, random or tpe`,
      );
    const axes = options.grid === undefined ? undefined : parseGridSpec(options.grid);
    const trials = whole('--trials', options.trials, 1, 1_000_000);
    const seed = whole('--seed', options.seed, 0, 2 ** 31);
    const folds = whole('--walk-forward', options.walkForward, 1, 50) ?? 0;
    const objectives = options.objective.split(',').map((name) => name.trim());
    objectives.forEach(objectiveByName); // fail on a typo before loading any data
    if (options.queue !== undefined) {
      try {
        checkQueueName(options.queue);
      } catch (error) {
        throw new UsageError(`--queue: ${(error as Error).message}`);
      }
    }
    const config = loadConfig();
    const logger = createLogger({
      level: config.logLevel === 'info' ? 'warn' : config.logLevel,
      stream: 'stderr',
    });
    // With REDIS_URL the work goes through the queue when a `countersign worker` listens on it
    // (or --queue asks for it); this process works the queue too, on its threads. With no other
    // worker the queue would only add Redis round trips, so the run stays on this machine.
    const queueOptions = { redisUrl: config.redisUrl as string, queueName: options.queue, logger };
    const queued =
      config.redisUrl !== undefined &&
      !options.local &&
      (options.queue !== undefined || (await countQueueWorkers(queueOptions)) > 0);
    const files = run.data !== undefined;
    const combos = axes ? Object.values(axes).reduce((n, values) => n * values.length, 1) : 100;
    // Threads pay ~0.3 s to start; below ~2,000 backtests one thread finishes sooner.
    const threads =
      whole('--workers', options.workers, 1, 256) ??
      (run.symbols.length * combos >= 2_000 ? defaultThreads() : 1);
    // Worker threads read their own files, in parallel; walk-forward needs the calendars here,
    // and a single thread gains nothing from handing the files over.
    const workersRead = files && threads > 1 && folds === 0;
    const paths = workersRead ? await filesFor(run.data as string, run.symbols) : [];
    const series = workersRead
      ? []
      : files
        ? await loadSeries({ kind: 'files', path: run.data as string }, run)
        : await loadDatabaseSeries(run);
    runner = queued
      ? await createQueueRunner({ ...queueOptions, localThreads: threads })
      : createThreadRunner(threads);
    setMaxListeners(0, abort.signal); // tinypool adds one abort listener per task in flight
    const source: OptimizeSource = workersRead
      ? {
          kind: 'files',
          files: Object.fromEntries(run.symbols.map((symbol, k) => [symbol, paths[k] as string])),
        }
      : { kind: 'series', series };
    const bar =
      process.stderr.isTTY && !options.json
        ? new cliProgress.SingleBar(
            {
              format: 'Optimizing [{bar}] {value}/{total} backtests | ETA {eta_formatted}',
              stream: process.stderr,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    bar?.start(1, 0);
    const started = performance.now();
    const report = await optimizeStrategy(
      {
        strategy: strategy.name,
        symbols: run.symbols,
        source,
        from: run.from,
        to: run.to,
        priceMode: run.priceMode,
        config: run.config,
        method,
        axes,
        trials,
        seed,
        objectives,
        walkForward: folds,
        calendars: Object.fromEntries(series.map((one) => [one.symbol, one.dates])),
        signal: abort.signal,
        onProgress: (done, total) => {
          bar?.setTotal(total);
          bar?.update(done);
        },
      },
      runner,
    );
    const elapsedMs = performance.now() - started;
    bar?.stop();
    console.log(
      options.json
        ? JSON.stringify(optimizeJson(report, elapsedMs))
        : summary(report, elapsedMs, describeRunner(runner)),
    );
  } catch (error) {
    if (abort.signal.aborted) {
      console.error(`countersign optimize: cancelled. ${(error as Error).message}`);
      process.exitCode = 130;
    } else {
      process.exitCode = reportRunFailure('optimize', error);
    }
  } finally {
    process.off('SIGINT', onSignal);
    await runner?.close();
  }
}
