/** Running the real `countersign` command in a child process, as a user would. */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../../config/app-info.js';
import { freePort } from '../../store/db/postgres-cluster.js';
import { tempFolder } from './fixtures.js';

export { freePort };

const BIN = path.join(PROJECT_ROOT, 'bin', 'countersign.js');

/**
 * The environment a child gets: this process's (PATH, HOME…) without the variables that would
 * change what the child does, plus `env`. The one place in the tests that reads process.env.
 */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  // biome-ignore lint/style/noProcessEnv: children inherit PATH and HOME; their settings are explicit below
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'DATA_DIR', 'LOG_LEVEL'])
    delete base[name];
  return { ...base, ...env };
}

/** A running `countersign` process with its output so far. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Waits until stdout+stderr match `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/**
 * Starts `countersign ...args` with `env` added to a clean environment; `stdin: 'pipe'` lets the
 * test type into it (child.stdin), otherwise stdin is closed.
 */
export function startCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { stdin?: 'pipe' | 'ignore' } = {},
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: childEnv(env),
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk) => {
    out += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk) => {
    err += chunk;
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out + err)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${out}\n${err}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (listeners.has(check)) {
            check();
            if (listeners.has(check)) {
              listeners.delete(check);
              clearTimeout(timer);
              reject(new Error(`process exited before ${pattern}; output:\n${out}\n${err}`));
            }
          }
        });
        check();
      });
    },
  };
}

/**
 * A command's stderr without the lines every command that opens the database prints: which
 * database it uses, and that the bundled sample is being loaded into an empty one.
 */
export function withoutNotices(stderr: string): string {
  return stderr
    .split('\n')
    .filter(
      (line) =>
        !/^countersign: (database: |no prices in this database yet: loading the bundled sample)/.test(
          line,
        ),
    )
    .join('\n');
}

/** Runs `countersign ...args` to completion. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}) {
  const started = performance.now();
  const cli = startCli(args, env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr(), ms: performance.now() - started };
}

/** Polls GET /health until it answers 200; returns the body and how long it took. */
export async function waitForHealthy(
  url: string,
  timeoutMs = 60_000,
): Promise<{ body: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  let last = '';
  while (performance.now() - started < timeoutMs) {
    try {
      const response = await fetch(`${url}/health`);
      const body = (await response.json()) as Record<string, unknown>;
      if (response.status === 200) return { body, ms: performance.now() - started };
      last = JSON.stringify(body);
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no healthy answer from ${url}/health within ${timeoutMs} ms; last: ${last}`);
}

/**
 * A data directory for an embedded PostgreSQL. mkdtemp makes 0700 folders, which the `postgres`
 * user cannot enter when the tests run as root, so it is opened up to 0755.
 */
export async function dataFolder(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const folder = await tempFolder();
  await chmod(folder.dir, 0o755);
  return folder;
}
