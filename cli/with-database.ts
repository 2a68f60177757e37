/** The database a CLI command works on: DATABASE_URL's, the running server's, or one started for it. */
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { openDatabase } from '../store/db/open-database.js';
import type { Pool } from '../store/db/pool.js';

/** Runs `work` with the database opened (migrated) for it, and closes it after. */
export async function withCliDatabase<T>(
  applicationName: string,
  work: (pool: Pool) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    stream: 'stderr',
  });
  const database = await openDatabase({
    config,
    logger,
    attach: true,
    poolSize: 2,
    applicationName,
  });
  try {
    return await work(database.pool);
  } finally {
    await database.close();
  }
}
