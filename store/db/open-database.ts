/** Opens the database Countersign runs on: the one at DATABASE_URL, or an embedded PostgreSQL. */
import path from 'node:path';
import type { Config } from '../../config/env.js';
import type { Logger } from '../../config/logger.js';
import { loadSampleIfEmpty } from '../market-data/sample.js';
import { DataDirBusyError, DataDirLock } from './data-dir-lock.js';
import {
  type EmbeddedPostgres,
  embeddedPostgresUrl,
  startEmbeddedPostgres,
} from './embedded-postgres.js';
import { migrate } from './migrate.js';
import { createPool, describeDatabaseUrl, type Pool } from './pool.js';

/** An open, migrated database. */
export interface Database {
  pool: Pool;
  /** 'embedded': we started it (or attached to the one our server started); 'external': DATABASE_URL. */
  mode: 'embedded' | 'external';
  /** host:port/db, never the password. */
  location: string;
  /** Set when this process started the embedded PostgreSQL. */
  embedded?: EmbeddedPostgres;
  /** Migrations applied by this open (empty when the schema was current). */
  migrationsApplied: string[];
  /** Closes the pool, stops an embedded PostgreSQL this process started, releases the data-directory lock. */
  close(): Promise<void>;
}

/** PostgreSQL at DATABASE_URL could not be reached or refused us; the message says what to check. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnreachableError';
  }
}

const CONNECT_TIMEOUT_MS = 8_000;

async function checkReachable(pool: Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = (error as Error).message || code || String(error);
    const what =
      code === 'ECONNREFUSED'
        ? 'Nothing is listening there: is PostgreSQL running, and on that port?'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'The host name does not resolve: check the host in DATABASE_URL.'
          : code === '28P01' || code === '28000'
            ? 'The server refused the user or password in DATABASE_URL.'
            : code === '3D000'
              ? 'That database does not exist: create it, or fix the name in DATABASE_URL.'
              : /timeout/i.test(detail)
                ? `No answer within ${CONNECT_TIMEOUT_MS / 1000} s: check the host, the port and any firewall.`
                : 'Check that the server is running and that DATABASE_URL is right; or unset DATABASE_URL to use the embedded PostgreSQL.';
    throw new DatabaseUnreachableError(
      `Cannot connect to PostgreSQL at ${describeDatabaseUrl(url)} (from DATABASE_URL): ${detail}. ${what}`,
      { cause: error },
    );
  }
}

/**
 * Opens and migrates the database. With DATABASE_URL it uses that server and starts nothing.
 * Without it, it takes the data-directory lock (or uses `lock` if the caller took it already),
 * starts the embedded PostgreSQL and records its port in the lock. A CLI command (`attach: true`)
 * that finds a live server owning the data directory uses that server's PostgreSQL instead.
 *
 * A CLI command also behaves like `npm start` on a fresh data directory (DATA_DIR differs with
 * the working directory, so an MCP client started elsewhere gets a new one): `loadSample`
 * (default: `attach`) imports the bundled sample when there are no prices, and `announce`
 * (default for `attach`: one line on stderr, where stdio MCP keeps its protocol off) says which
 * database is used. The server does both itself.
 */
export async function openDatabase(options: {
  config: Config;
  logger: Logger;
  lock?: DataDirLock;
  attach?: boolean;
  poolSize?: number;
  applicationName?: string;
  loadSample?: boolean;
  announce?: ((line: string) => void) | false;
}): Promise<Database> {
  const { config, logger } = options;
  const announce =
    options.announce ??
    (options.attach
      ? (line: string) => {
          process.stderr.write(`countersign: ${line}\n`);
        }
      : false);
  const loadSample = options.loadSample ?? options.attach === true;
  const poolOptions = {
    logger,
    max: options.poolSize ?? 10,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    applicationName: options.applicationName ?? 'countersign',
  };

  const open = async (
    url: string,
    mode: Database['mode'],
    whose: string,
    cleanup: () => Promise<void>,
    embedded?: EmbeddedPostgres,
  ) => {
    const pool = createPool(url, poolOptions);
    const location = describeDatabaseUrl(url);
    // Which database, for a person; never the password (location has none).
    const description =
      mode === 'external'
        ? `PostgreSQL at ${location} (DATABASE_URL)`
        : `embedded PostgreSQL in ${path.join(config.dataDir, 'postgres')} (DATA_DIR ${config.dataDir}), ${whose}`;
    try {
      await checkReachable(pool, url);
      if (announce) announce(`database: ${description}`);
      const migrationsApplied = await migrate(pool, logger);
      if (loadSample) await loadSampleIfEmpty(pool, logger, announce ? { notify: announce } : {});
      let closed: Promise<void> | undefined;
      const database: Database = {
        pool,
        mode,
        location,
        migrationsApplied,
        close: () => {
          closed ??= pool.end().finally(cleanup);
          return closed;
        },
      };
      if (embedded) database.embedded = embedded;
      return database;
    } catch (error) {
      await pool.end().catch(() => {});
      await cleanup();
      throw error;
    }
  };

  if (config.databaseUrl) return open(config.databaseUrl, 'external', '', async () => {});

  let lock = options.lock;
  if (!lock) {
    try {
      lock = await DataDirLock.acquire(config.dataDir);
    } catch (error) {
      const port = error instanceof DataDirBusyError ? error.owner.postgresPort : undefined;
      if (!options.attach || port === undefined) throw error;
      logger.info(
        { pid: (error as DataDirBusyError).owner.pid, port },
        'using the embedded PostgreSQL of the running server',
      );
      return open(
        await embeddedPostgresUrl(config.dataDir, port),
        'embedded',
        `the running server's (pid ${(error as DataDirBusyError).owner.pid})`,
        async () => {},
      );
    }
  }
  const held = lock;
  let embedded: EmbeddedPostgres;
  try {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
    await held.update({ postgresPort: embedded.port });
  } catch (error) {
    await held.release();
    throw error;
  }
  return open(
    embedded.url,
    'embedded',
    'started for this command',
    async () => {
      await embedded.stop();
      await held.release();
    },
    embedded,
  );
}
