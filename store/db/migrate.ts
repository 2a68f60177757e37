/** Brings a database's schema up to date with store/migrations (node-pg-migrate). */
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../../config/logger.js';
import type { Pool } from './pool.js';

/** The SQL migrations, applied in file-name order. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Applies every pending migration in one transaction and returns the names applied (empty when
 * the schema is current). Safe to run twice and from several processes at once: node-pg-migrate
 * holds an advisory lock, and with mode 'wait' a second starter waits for the first, then finds
 * nothing to do.
 */
export async function migrate(pool: Pool, logger: Logger): Promise<string[]> {
  const client = await pool.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      logger: {
        debug: (message: string) => logger.debug({ component: 'migrate' }, message),
        info: (message: string) => logger.debug({ component: 'migrate' }, message),
        warn: (message: string) => logger.warn({ component: 'migrate' }, message),
        error: (message: string) => logger.error({ component: 'migrate' }, message),
      },
    });
    const names = applied.map((migration) => migration.name);
    if (names.length > 0)
      logger.info({ component: 'migrate', applied: names }, 'database schema migrated');
    return names;
  } finally {
    client.release();
  }
}
