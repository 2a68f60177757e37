/** Unique names for the databases and key prefixes a test run creates, so that runs never collide. */
import { randomBytes } from 'node:crypto';

/** Lower-case identifier safe as a PostgreSQL database name and a Redis key prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Replaces the database name in a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
