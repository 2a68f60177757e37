/** `countersign optimize`: search a strategy's parameters per symbol through optimize_strategy, optionally with walk-forward validation. */
import { setMaxListeners } from 'node:events';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { objectiveByName } from '../core/optimize/objectives/index.js';
import { type GridAxes, parseGridSpec } from '../core/optimize/param-space.js';
import { spaceSize, toDimensions } from '../core/optimize/search-space.js';
import { strategyByName } from '../core/strategies/index.js';
import {
  checkQueueName,
  countQueueWorkers,
  createQueueRunner,
} from '../store/jobs/optimize-queue.js';
import { createThreadRunner, defaultThreads, type TaskRunner } from '../store/jobs/task-runner.js';
import { type OptimizeStrategyOutput, optimizeStrategyTool } from '../tools/optimize-strategy.js';
import { reportRunFailure } from './input-errors.js';
import { ratio, table, toJson } from './output.js';
import { engineArgs, parseRunOptions, type RunOptionText, UsageError } from './run-options.js';
import { callTool } from './run-tool.js';

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

/** optimize_strategy's answer with detail 'full'. */
type FullOptimize = OptimizeStrategyOutput & Required<Pick<OptimizeStrategyOutput, 'rows'>>;

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
export function optimizeJson(report: FullOptimize, elapsedMs: number): unknown {
  return toJson({
    strategy: report.strategy,
    method: report.method,
    priceMode: report.price_mode,
    objectives: report.objectives,
    rows: report.rows.map((row) => ({
      symbol: row.symbol,
      ...row.params,
      final_equity: row.final_equity,
      ...row.scores,
      trade_count: row.trade_count,
      ...(row.error ? { error: row.error } : {}),
    })),
    best: report.best.map((one) => ({
      symbol: one.symbol,
      params: one.params,
      scores: one.scores,
    })),
    front: report.front ?? [],
    walkForward: report.walk_forward ?? [],
    backtests: report.backtests,
    elapsedMs,
  });
}

function summary(report: FullOptimize, elapsedMs: number, ranOn: string): string {
  const objective = report.objective;
  const lines = report.best.map((best) => {
    const params = Object.entries(best.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return [best.symbol, `${params}  ${objective} ${ratio(best.score)}`] as [string, string];
  });
  for (const one of report.walk_forward ?? []) {
    const s = one.summary;
    lines.push([
      `${one.symbol} walk-forward`,
      `${s.folds} folds: in-sample ${ratio(s.mean_in_sample)}, out-of-sample ${ratio(s.mean_out_of_sample)}, degradation ${s.degradation === null ? 'n/a' : `${(s.degradation * 100).toFixed(0)} %`}, most common ${JSON.stringify(s.most_common_params)} in ${(s.most_common_share * 100).toFixed(0)} % of folds`,
    ]);
  }
  lines.push([
    'Backtests',
    `${report.backtests.toLocaleString('en-US')} in ${(elapsedMs / 1000).toFixed(2)} s, ${ranOn}`,
  ]);
  lines.push(['Prices', report.price_mode]);
  return `Best ${report.method} ${report.strategy} by ${objective}:\n${table(lines)}`;
}

/** Where the backtests ran, for the summary. */
function describeRunner(runner: TaskRunner): string {
  if (runner.kind === 'queue')
    return `shared on the Redis queue ${runner.queueName} (this machine working it too)`;
  return runner.kind === 'threads' ? `on ${runner.parallelism} threads` : 'in one thread';
}

/** `runner`, with every task also cancelled by `signal` (Ctrl-C). */
function cancellable(runner: TaskRunner, signal: AbortSignal): TaskRunner {
  return {
    kind: runner.kind,
    parallelism: runner.parallelism,
    ...(runner.queueName !== undefined ? { queueName: runner.queueName } : {}),
    run: (task, own) => runner.run(task, own ? AbortSignal.any([own, signal]) : signal),
    close: () => runner.close(),
  };
}

/** A grid search without --trials covers the whole grid: its size, as optimize_strategy's cap. */
function gridSize(axes: GridAxes | undefined, strategy: ReturnType<typeof strategyByName>) {
  const size = spaceSize(toDimensions(axes ?? strategy.space));
  return Number.isFinite(size) ? size : undefined;
}

/** Runs the optimize command. Ctrl-C cancels the search. */
export async function optimizeCommand(options: OptimizeOptions): Promise<void> {
  let runner: TaskRunner | undefined;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const strategy = strategyByName(options.strategy);
    if (strategy.kind !== 'per_symbol')
      throw new UsageError(
        `${strategy.name} ranks symbols against each other; optimize runs one symbol at a time, so use a per-symbol strategy`,
      );
    const run = parseRunOptions(options);
    const method = options.method ?? 'grid';
    if (!['grid', 'random', 'tpe'].includes(method))
      throw new UsageError(
        `--method ${JSON.stringify(options.method)} is not valid; use grid, random or tpe`,
      );
    const axes = options.grid === undefined ? undefined : parseGridSpec(options.grid);
    const trials =
      whole('--trials', options.trials, 1, 1_000_000) ??
      (method === 'grid' ? gridSize(axes, strategy) : undefined);
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
    const combos = axes ? Object.values(axes).reduce((n, values) => n * values.length, 1) : 100;
    // Threads pay ~0.3 s to start; below ~2,000 backtests one thread finishes sooner.
    const threads =
      whole('--workers', options.workers, 1, 256) ??
      (run.symbols.length * combos >= 2_000 ? defaultThreads() : 1);
    runner = queued
      ? await createQueueRunner({ ...queueOptions, localThreads: threads })
      : createThreadRunner(threads);
    setMaxListeners(0, abort.signal); // tinypool adds one abort listener per task in flight
    const report = (await callTool(
      optimizeStrategyTool,
      {
        strategy: strategy.name,
        symbols: run.symbols,
        method,
        ...(trials !== undefined ? { trials } : {}),
        ...(seed !== undefined ? { seed } : {}),
        objectives,
        ...(options.grid !== undefined ? { grid: options.grid } : {}),
        walk_forward: folds,
        ...(run.from !== undefined ? { start: run.from } : {}),
        ...(run.to !== undefined ? { end: run.to } : {}),
        price_mode: run.priceMode,
        ...engineArgs(run.config),
        detail: 'full',
      },
      {
        ...(run.data !== undefined ? { data: run.data } : {}),
        ...(process.stderr.isTTY && !options.json ? { progress: { command: 'optimize' } } : {}),
        taskRunner: cancellable(runner, abort.signal),
      },
    )) as FullOptimize;
    // A search that ran to its end on this thread while Ctrl-C waited is still cancelled.
    abort.signal.throwIfAborted();
    console.log(
      options.json
        ? JSON.stringify(optimizeJson(report, report.elapsed_ms))
        : summary(report, report.elapsed_ms, describeRunner(runner)),
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
