/**
 * Runs and supervises the Chroma server the `chromadb` package ships (`chroma run`), for the
 * embedded mode: data under DATA_DIR/chroma, on 127.0.0.1 at a free port, ready when its
 * heartbeat answers, restarted (on the same port, so its URL holds) after a crash.
 *
 * How that server behaves (chromadb 3.0.11, bindings 1.0.5, Chroma 1.0.0): `chroma run` is a
 * Node script whose native call never returns to the event loop, so SIGINT (which the script
 * means to handle) does nothing; SIGTERM ends it at once. Every write is in its SQLite log
 * before it is acknowledged, so a stop (or a crash) loses nothing acknowledged; the index is
 * rebuilt from the log on the next start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Logger } from '../../config/logger.js';
import { freePort } from '../../store/db/postgres-cluster.js';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** More crashes than this within CRASH_WINDOW_MS and the supervisor gives up. */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;

export type ChromaServerState = 'starting' | 'up' | 'restarting' | 'down' | 'stopped';

export interface ChromaServerHealth {
  /** up and answering its heartbeat */
  ok: boolean;
  state: ChromaServerState;
  url: string;
  pid?: number;
  restarts: number;
  /** How long the current process has been up. */
  uptimeMs?: number;
  heartbeatMs?: number;
  detail?: string;
}

export interface ChromaServer {
  url: string;
  port: number;
  /** DATA_DIR/chroma */
  path: string;
  logFile: string;
  /** Milliseconds from spawn to the first heartbeat, of the first start. */
  startupMs: number;
  /** Stops the server (and its supervision); idempotent. */
  stop(): Promise<void>;
  /** Asks the heartbeat (1 s at most) and says what the supervisor knows. */
  health(): Promise<ChromaServerHealth>;
  /** Resolves with the last exit code when the server is down for good: stopped, or given up on. */
  exited: Promise<number | null>;
}

export class ChromaServerError extends Error {
  override name = 'ChromaServerError';
}

/** The `chroma` command of the installed `chromadb` package. */
function chromaCli(): string {
  // The package exports only ".", whose require entry is dist/cjs/chromadb.cjs; the CLI is dist/cli.mjs.
  const main = createRequire(import.meta.url).resolve('chromadb');
  return path.resolve(path.dirname(main), '..', 'cli.mjs');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function heartbeat(url: string, timeoutMs: number): Promise<number | undefined> {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/api/v2/heartbeat`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.ok ? performance.now() - started : undefined;
  } catch {
    return undefined;
  }
}

/** Ends a Chroma server a previous Countersign left running on this data (it would hold the files). */
async function stopOrphan(pidFile: string, chromaPath: string, logger: Logger): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  if (process.platform === 'linux') {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('chroma') || !cmdline.includes(chromaPath)) return; // the pid was reused
  }
  logger.warn(
    { component: 'chroma', pid },
    'found the embedded Chroma still running from a previous Countersign that did not shut down; stopping it',
  );
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(200);
      break;
    }
    await sleep(50);
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  startedAt: number;
}

/**
 * Starts `chroma run --path DATA_DIR/chroma --host 127.0.0.1 --port <free>` and waits for its
 * heartbeat. The caller must hold the data directory's lock (one Countersign per DATA_DIR).
 */
export async function startChromaServer(options: {
  dataDir: string;
  logger: Logger;
  port?: number;
}): Promise<ChromaServer> {
  const { dataDir, logger } = options;
  const chromaPath = path.join(dataDir, 'chroma');
  const logFile = path.join(dataDir, 'chroma.log');
  const pidFile = path.join(dataDir, 'chroma.pid');
  await mkdir(chromaPath, { recursive: true });
  await stopOrphan(pidFile, chromaPath, logger);
  const cli = chromaCli();
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const tail: string[] = [];

  let state: ChromaServerState = 'starting';
  let restarts = 0;
  let lastCode: number | null = null;
  const crashes: number[] = [];
  let current: Running | undefined;
  let stopping = false;
  let resolveExited: (code: number | null) => void = () => {};
  const exited = new Promise<number | null>((resolve) => {
    resolveExited = resolve;
  });

  const launch = (port: number): Running => {
    const child = spawn(
      process.execPath,
      [cli, 'run', '--path', chromaPath, '--host', '127.0.0.1', '--port', String(port)],
      // Own process group: a Ctrl-C reaches Countersign, which closes its stores and then stops Chroma.
      { detached: true, env: {}, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const onOutput = (chunk: Buffer) => {
      log.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the banner's colour codes
        const plain = line.replace(/\u001b\[[0-9;]*m/g, '').trim();
        if (plain === '' || /^[(#\s]+$/.test(plain)) continue;
        tail.push(plain);
        if (tail.length > 30) tail.shift();
        logger.debug({ component: 'chroma' }, plain);
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    const childExited = new Promise<number | null>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
      child.on('error', (error) => {
        tail.push(String(error));
        resolve(null);
      });
    });
    if (child.pid) void writeFile(pidFile, `${child.pid}\n`).catch(() => {});
    return { child, exited: childExited, startedAt: Date.now() };
  };

  const waitUntilReady = async (running: Running, url: string): Promise<void> => {
    let dead = false;
    void running.exited.then(() => {
      dead = true;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (dead) {
        throw new ChromaServerError(
          `Chroma exited during start-up (see ${logFile}). Its last words:\n${tail.join('\n')}`,
        );
      }
      if ((await heartbeat(url, 1_000)) !== undefined) return;
      if (Date.now() > deadline) {
        throw new ChromaServerError(
          `Chroma did not answer its heartbeat at ${url} within ${START_TIMEOUT_MS / 1000} s (see ${logFile}):\n${tail.join('\n')}`,
        );
      }
      await sleep(25);
    }
  };

  const kill = async (running: Running): Promise<void> => {
    const { child } = running;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = sleep(STOP_TIMEOUT_MS).then(() => 'late' as const);
    if ((await Promise.race([running.exited, timer])) === 'late') {
      logger.warn(
        { component: 'chroma' },
        `Chroma did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it`,
      );
      child.kill('SIGKILL');
      await running.exited;
    }
  };

  // The first start: a port someone else took between freePort() and Chroma's bind is retried.
  const spawnedAt = performance.now();
  let port = options.port ?? (await freePort());
  let url = `http://127.0.0.1:${port}`;
  for (let attempt = 1; ; attempt++) {
    const running = launch(port);
    try {
      await waitUntilReady(running, url);
      current = running;
      break;
    } catch (error) {
      await kill(running);
      if (attempt >= 3 || options.port !== undefined) {
        log.end();
        await rm(pidFile, { force: true });
        throw error;
      }
      logger.warn(
        { component: 'chroma', port, error: (error as Error).message },
        'Chroma did not start; trying another port',
      );
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
    }
  }
  const startupMs = performance.now() - spawnedAt;
  state = 'up';
  logger.info(
    { component: 'chroma', url, path: chromaPath, startup_ms: Math.round(startupMs) },
    'Chroma is up',
  );

  const giveUp = async (code: number | null, why: string) => {
    state = 'down';
    lastCode = code;
    logger.error({ component: 'chroma', code }, why);
    await rm(pidFile, { force: true });
    log.end();
    resolveExited(code);
  };

  /** Watches one process; on a crash, starts another on the same port after a backoff. */
  const supervise = (running: Running) => {
    void running.exited.then(async (code) => {
      if (stopping || current !== running) return;
      lastCode = code;
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && (crashes[0] as number) < now - CRASH_WINDOW_MS) crashes.shift();
      if (crashes.length > MAX_CRASHES) {
        await giveUp(
          code,
          `Chroma crashed ${crashes.length} times within ${CRASH_WINDOW_MS / 1000} s; not restarting it (see ${logFile})`,
        );
        return;
      }
      state = 'restarting';
      const backoff = Math.min(10_000, 250 * 2 ** (crashes.length - 1));
      logger.warn(
        { component: 'chroma', code, backoff_ms: backoff },
        'Chroma exited; restarting it',
      );
      await sleep(backoff);
      for (;;) {
        if (stopping) return;
        const next = launch(port);
        current = next;
        try {
          await waitUntilReady(next, url);
          restarts++;
          state = 'up';
          logger.info({ component: 'chroma', url, restarts }, 'Chroma is up again');
          supervise(next);
          return;
        } catch (error) {
          await kill(next);
          if (stopping) return;
          crashes.push(Date.now());
          if (crashes.length > MAX_CRASHES) {
            await giveUp(null, `Chroma could not be restarted: ${(error as Error).message}`);
            return;
          }
          await sleep(Math.min(10_000, 250 * 2 ** (crashes.length - 1)));
        }
      }
    });
  };
  supervise(current as Running);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      if (state === 'down') return;
      if (current) {
        await kill(current);
        lastCode = await current.exited;
      }
      state = 'stopped';
      await rm(pidFile, { force: true });
      await new Promise<void>((resolve) => log.end(resolve));
      resolveExited(lastCode);
    })();
    return stopped;
  };

  return {
    url,
    port,
    path: chromaPath,
    logFile,
    startupMs,
    stop,
    exited,
    async health() {
      const base = {
        state,
        url,
        restarts,
        pid: current?.child.pid,
        uptimeMs: state === 'up' && current ? Date.now() - current.startedAt : undefined,
      };
      if (state !== 'up') {
        return {
          ...base,
          ok: false,
          detail:
            state === 'restarting'
              ? `Chroma exited (code ${lastCode}) and is being restarted`
              : state === 'down'
                ? `Chroma is down after repeated crashes (see ${logFile})`
                : `Chroma is ${state}`,
        };
      }
      const heartbeatMs = await heartbeat(url, 1_000);
      return heartbeatMs === undefined
        ? { ...base, ok: false, detail: `Chroma at ${url} did not answer its heartbeat within 1 s` }
        : { ...base, ok: true, heartbeatMs: Math.round(heartbeatMs * 100) / 100 };
    },
  };
}
