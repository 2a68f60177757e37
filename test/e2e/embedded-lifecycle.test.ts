/**
 * `npm start` with no configuration, as a user runs it: an embedded PostgreSQL under DATA_DIR,
 * the sample loaded on first start, kept across restarts, recovered after kill -9, guarded
 * against a second instance, and stopped cleanly on SIGTERM.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../store/db/data-dir-lock.js';
import {
  type CliProcess,
  dataFolder,
  freePort,
  runCli,
  startCli,
  waitForHealthy,
} from '../helpers/cli.js';

function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

describe('embedded mode, end to end', () => {
  let folder: { dir: string; cleanup: () => Promise<void> };
  let port: number;
  let url: string;
  let server: CliProcess | undefined;

  beforeAll(async () => {
    folder = await dataFolder();
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const orphan = postmasterPid(folder.dir);
    if (orphan && isProcessAlive(orphan)) process.kill(orphan, 'SIGINT');
    await folder.cleanup();
  });

  const start = () => startCli(['serve'], { DATA_DIR: folder.dir, PORT: String(port) });

  it('first start: creates the cluster, loads the sample, goes green and prints the banner', async () => {
    server = start();
    const { body } = await waitForHealthy(url, 90_000);
    expect(body).toMatchObject({ status: 'ok', mode: 'embedded', version: '0.1.0' });
    const components = body.components as Record<string, { status: string; detail?: string }>;
    expect(components.database?.status).toBe('ok');
    expect(components.cache).toMatchObject({ status: 'ok', detail: 'in-process' });
    expect(components.bus).toMatchObject({ status: 'ok', detail: 'in-process' });
    expect(components.telegram?.status).toBe('not_configured');
    await server.waitFor(/Stop with Ctrl-C/);
    expect(server.stderr()).toContain(
      '44 symbols, 236,483 daily bars, 1999-11-01 → 2021-04-21 (the bundled sample',
    );
    expect(server.stderr()).toMatch(
      /Not configured \(see the README for each\):[\s\S]*Telegram[\s\S]*TELEGRAM_BOT_TOKEN/,
    );
    // The first screening model is trained on the sample in the background, then serves.
    const deadline = Date.now() + 60_000;
    let models: { status: string; detail?: string; provider?: string } | undefined;
    while (Date.now() < deadline) {
      const health = (await (await fetch(`${url}/health`)).json()) as {
        components: Record<string, { status: string; detail?: string; provider?: string }>;
      };
      models = health.components.models;
      if (models?.detail?.startsWith('screen v1')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(models).toMatchObject({ status: 'ok', provider: 'cpu' });
    expect(models?.detail).toMatch(/^screen v1 \(staging\) on cpu/);
    await server.waitFor(/screening model trained on the stored prices/);
    // stdout carries JSON logs only.
    for (const line of server.stdout().trim().split('\n'))
      expect(() => JSON.parse(line)).not.toThrow();
  });

  it('refuses a second instance on the same data directory, naming the one running', async () => {
    const second = await runCli(['serve'], {
      DATA_DIR: folder.dir,
      PORT: String(await freePort()),
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Another Countersign process (pid ${server?.child.pid}`);
    expect(second.stderr).toContain(`serving ${url}`);
    await waitForHealthy(url, 5_000);
  });

  it('refuses a second instance on the same port, saying what to do', async () => {
    const other = await dataFolder();
    try {
      const second = await runCli(['serve'], { DATA_DIR: other.dir, PORT: String(port) });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(second.stderr).toContain('set PORT to a free port');
      expect(existsSync(path.join(other.dir, 'postgres'))).toBe(false);
      expect(existsSync(path.join(other.dir, 'countersign.lock'))).toBe(false);
    } finally {
      await other.cleanup();
    }
  });

  it('imports through the running server’s database while it runs', async () => {
    const result = await runCli(['import', path.join('data', 'sample', 'AAPL.csv.gz')], {
      DATA_DIR: folder.dir,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'Imported 1 file: 5,402 rows (0 new, 0 changed, 5,402 unchanged)',
    );
  });

  it('stops cleanly on SIGTERM: exit 0, PostgreSQL stopped, lock released', async () => {
    const running = server as CliProcess;
    const pgPid = postmasterPid(folder.dir);
    expect(pgPid && isProcessAlive(pgPid)).toBe(true);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.stdout()).toContain('stopped cleanly');
    expect(isProcessAlive(pgPid as number)).toBe(false);
    expect(existsSync(path.join(folder.dir, 'countersign.lock'))).toBe(false);
  });

  it('restarts on the existing data directory with the data kept and the sample not reloaded', async () => {
    server = start();
    const { ms } = await waitForHealthy(url, 30_000);
    await server.waitFor(/Stop with Ctrl-C/);
    expect(server.stderr()).toContain('44 symbols, 236,483 daily bars');
    expect(server.stderr()).not.toContain('loaded on this first start');
    expect(ms).toBeLessThan(30_000);
  });

  it('recovers after kill -9: the orphaned PostgreSQL is stopped and a new start goes green', async () => {
    const killed = server as CliProcess;
    const pgPid = postmasterPid(folder.dir) as number;
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(isProcessAlive(pgPid)).toBe(true); // PostgreSQL outlives a SIGKILLed parent…
    server = start();
    await waitForHealthy(url, 60_000);
    expect(server.stdout()).toContain(
      'still running from a previous Countersign that did not shut down',
    );
    expect(isProcessAlive(pgPid)).toBe(false); // …and the next start stops it and starts its own.
    await server.waitFor(/Stop with Ctrl-C/);
    expect(server.stderr()).toContain('44 symbols, 236,483 daily bars');
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
  });
});
