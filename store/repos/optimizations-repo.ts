/** Stored optimize_strategy results: what was searched and the best set per symbol. */
import type { Pool, PoolClient } from '../db/pool.js';

export interface NewOptimization {
  createdBy: string | null;
  strategy: string;
  method: string;
  objective: string;
  symbols: string[];
  startDate: string | null;
  endDate: string | null;
  priceMode: string;
  backtests: number;
  best: { symbol: string; params: Record<string, number>; score: number | null }[];
  walkForward:
    | {
        symbol: string;
        folds: number;
        mean_in_sample: number | null;
        mean_out_of_sample: number | null;
        degradation: number | null;
        most_common_params: Record<string, number> | null;
      }[]
    | null;
  settings: Record<string, unknown>;
}

/** Stores one run; returns its id. */
export async function saveOptimization(
  db: Pool | PoolClient,
  run: NewOptimization,
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO optimizations (created_by, strategy, method, objective, symbols, start_date, end_date,
       price_mode, backtests, best, walk_forward, settings)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [
      run.createdBy,
      run.strategy,
      run.method,
      run.objective,
      run.symbols,
      run.startDate,
      run.endDate,
      run.priceMode,
      run.backtests,
      JSON.stringify(run.best),
      run.walkForward === null ? null : JSON.stringify(run.walkForward),
      JSON.stringify(run.settings),
    ],
  );
  return (rows[0] as { id: string }).id;
}
