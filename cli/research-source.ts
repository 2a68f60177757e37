/** Where a research command reads prices: `--data` files, or the database (the running server's, if any). */
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { openDatabase } from '../store/db/open-database.js';
import type { SeriesSource } from '../store/market-data/load-series.js';

/** Runs `work` with the files source, or with a database opened for it and closed after. */
export async function withSeriesSource<T>(
  data: string | undefined,
  work: (source: SeriesSource) => Promise<T>,
): Promise<T> {
  if (data !== undefined) return work({ kind: 'files', path: data });
  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    stream: 'stderr',
  });
  const database = await openDatabase({
    config,
    logger,
    attach: true,
    poolSize: 4,
    applicationName: 'countersign-research',
  });
  try {
    return await work({ kind: 'database', pool: database.pool });
  } finally {
    await database.close();
  }
}

/** Today as YYYY-MM-DD (UTC): research dates after it are refused. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
