/** A throwaway database for a benchmark: on DATABASE_URL's server, or on an embedded PostgreSQL. */
import pg from 'pg';
import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import { DataDirLock } from '../store/db/data-dir-lock.js';
import { startEmbeddedPostgres } from '../store/db/embedded-postgres.js';
import { migrate } from '../store/db/migrate.js';
import type { Pool } from '../store/db/pool.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { SAMPLE_DIR } from '../store/market-data/sample.js';
import { dataFolder } from '../test/helpers/cli.js';
import { uniqueName, withDatabase } from '../test/helpers/naming.js';

/** A fresh, empty database (the caller migrates it) on DATABASE_URL's server, or on a throwaway embedded PostgreSQL. */
export async function freshDatabase(config: Config) {
  if (config.databaseUrl) {
    const admin = new pg.Client({ connectionString: config.databaseUrl });
    await admin.connect();
    const name = uniqueName('cs_bench');
    await admin.query(`CREATE DATABASE ${name}`);
    return {
      url: withDatabase(config.databaseUrl, name),
      server: 'DATABASE_URL',
      dispose: async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const folder = await dataFolder();
  const lock = await DataDirLock.acquire(folder.dir);
  const embedded = await startEmbeddedPostgres({ dataDir: folder.dir, logger: silentLogger() });
  return {
    url: embedded.url,
    server: `embedded PostgreSQL ${embedded.version}`,
    dispose: async () => {
      await embedded.stop();
      await lock.release();
      await folder.cleanup();
    },
  };
}

/**
 * The orders benchmarks' starting point: the schema, the bundled sample, a billion in cash on
 * 'paper', wide position caps and no duplicate guard (they repeat similar orders on purpose),
 * and a principal 'bench' holding `roles` there. Returns its id.
 */
export async function seedBenchAccount(
  pool: Pool,
  logger: Logger,
  roles: string[],
): Promise<string> {
  await migrate(pool, logger);
  await importPaths(pool, [SAMPLE_DIR]);
  await pool.query(
    "INSERT INTO cash_ledger (account_id, amount, currency, kind, note) VALUES ('paper', 1000000000, 'USD', 'deposit', 'bench funds')",
  );
  await pool.query(
    `UPDATE accounts SET risk_limits = risk_limits || '{"maxPositionWeight": 10, "duplicateWindowSeconds": null, "maxSectorWeight": 10}' WHERE id = 'paper'`,
  );
  const { rows } = await pool.query<{ id: string }>(
    "INSERT INTO principals (handle) VALUES ('bench') RETURNING id",
  );
  const principal = rows[0]?.id as string;
  for (const role of roles)
    await pool.query(
      "INSERT INTO role_grants (principal_id, account_id, role) VALUES ($1, 'paper', $2)",
      [principal, role],
    );
  return principal;
}
