/** A throwaway database for a benchmark: on DATABASE_URL's server, or on an embedded PostgreSQL. */
import pg from 'pg';
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { DataDirLock } from '../store/db/data-dir-lock.js';
import { startEmbeddedPostgres } from '../store/db/embedded-postgres.js';
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
