/** How the CLI reports failures: one clear line for expected problems, the stack for bugs. */
import { ConfigError } from '../config/env.js';
import { PortInUseError } from '../server/start.js';
import { DataDirBusyError } from '../store/db/data-dir-lock.js';
import { EmbeddedPostgresError } from '../store/db/embedded-postgres.js';
import { DatabaseUnreachableError } from '../store/db/open-database.js';

const EXPECTED = [
  DataDirBusyError,
  PortInUseError,
  DatabaseUnreachableError,
  EmbeddedPostgresError,
];

/** Prints `error` for a person and returns the exit code: 2 for configuration, 1 otherwise. */
export function reportFailure(error: unknown): number {
  if (error instanceof ConfigError) {
    console.error(
      `countersign: ${error.message}\nSee the README for every variable and its default.`,
    );
    return 2;
  }
  if (EXPECTED.some((kind) => error instanceof kind)) {
    console.error(`countersign: ${(error as Error).message}`);
    return 1;
  }
  const redis =
    error instanceof Error && /^(Redis |Could not connect to Redis)/.test(error.message);
  console.error(redis ? `countersign: ${(error as Error).message}` : error);
  return 1;
}
