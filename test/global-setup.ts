/**
 * Once per test run: finds the PostgreSQL to test against (DATABASE_URL, or an embedded one in a
 * temporary directory), builds a migrated template database that each test file clones, and
 * drops every database the run created when it ends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { DataDirLock } from '../store/db/data-dir-lock.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../store/db/embedded-postgres.js';
import { migrate } from '../store/db/migrate.js';
import { createPool } from '../store/db/pool.js';
import { uniqueName, withDatabase } from './helpers/naming.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A URL on the test PostgreSQL with the right to create databases. */
    adminDatabaseUrl: string;
    /** Migrated database that createTestDatabase() clones. */
    templateDatabase: string;
    /** Prefix of every database this run creates. */
    runId: string;
    /** REDIS_URL, or '' when the Redis half of the contract suites is skipped. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const config = loadConfig();
  let embedded: EmbeddedPostgres | undefined;
  let tempDir: string | undefined;
  let lock: DataDirLock | undefined;
  let adminUrl = config.databaseUrl;
  if (!adminUrl) {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'countersign-test-pg-'));
    lock = await DataDirLock.acquire(tempDir);
    embedded = await startEmbeddedPostgres({ dataDir: tempDir, logger: silentLogger() });
    adminUrl = embedded.url;
    console.error(
      `[countersign tests] no DATABASE_URL: using an embedded PostgreSQL ${embedded.version} in ${tempDir}`,
    );
  }
  if (!config.redisUrl) {
    console.error(
      '[countersign tests] no REDIS_URL: the Redis half of the store contract suites is skipped',
    );
  }

  const runId = uniqueName('cs_test');
  const template = `${runId}_template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const pool = createPool(withDatabase(adminUrl, template), { max: 1 });
  await migrate(pool, silentLogger());
  await pool.end();

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', template);
  project.provide('runId', runId);
  project.provide('redisUrl', config.redisUrl ?? '');

  return async () => {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 || '%'",
      [runId],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await admin.end();
    await embedded?.stop();
    await lock?.release();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
}
