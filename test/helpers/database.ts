/** A database of its own for each test file: a clone of the run's migrated template, dropped after. */
import pg from 'pg';
import { inject } from 'vitest';
import { createPool, type Pool } from '../../store/db/pool.js';
import { uniqueName, withDatabase } from './naming.js';

/** A database created for one test file. */
export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database for this test file: migrated (a clone of the template) by default, or
 * empty with `{ migrated: false }` for tests of the migrations themselves.
 */
export async function createTestDatabase(
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const name = uniqueName(inject('runId'));
  const template = options.migrated === false ? 'template0' : inject('templateDatabase');
  await admin(async (client) => {
    // Two files cloning the template at the same instant can meet "source database is being
    // accessed by other users"; a short retry settles it.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  });
  const url = withDatabase(inject('adminDatabaseUrl'), name);
  const pool = createPool(url, { max: 5 });
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
