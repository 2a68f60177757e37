/** Benchmark: importing the whole S&P 500 daily set (504 files, 2.4 M rows) into an empty database. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/app-info.js';
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { migrate } from '../store/db/migrate.js';
import { createPool } from '../store/db/pool.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { SAMPLE_DIR } from '../store/market-data/sample.js';
import { freshDatabase } from './fresh-database.js';

const SHARED = path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'sp500-daily');

/** Imports the set twice (empty database, then again: nothing may change) and reports both. */
export async function benchImport(config: Config, emit: (line: object) => void): Promise<void> {
  const dataset = existsSync(SHARED) ? 'sp500-daily' : 'sample';
  const dir = dataset === 'sp500-daily' ? SHARED : SAMPLE_DIR;
  const database = await freshDatabase(config);
  const concurrency = 2;
  const pool = createPool(database.url, { max: concurrency + 1 });
  try {
    await migrate(pool, silentLogger());
    for (const pass of ['empty_database', 'again_unchanged'] as const) {
      console.error(`[bench] importing ${dir} (${pass})…`);
      const summary = await importPaths(pool, [dir], { concurrency });
      emit({
        bench: pass === 'empty_database' ? 'import_sp500_daily' : 'import_sp500_daily_again',
        dataset,
        database: database.server,
        concurrency,
        files: summary.files,
        rejected: summary.rejected,
        rows: summary.rows,
        inserted: summary.inserted,
        updated: summary.updated,
        unchanged: summary.unchanged,
        seconds: Math.round(summary.ms) / 1000,
        rows_per_s: Math.round(summary.rowsPerSecond),
        ...(pass === 'empty_database'
          ? { target_seconds_max: 60, target_rows_per_s_min: 40_000 }
          : {}),
      });
    }
  } finally {
    await pool.end();
    await database.dispose();
  }
}
