/** The supervised embedded Chroma: start, health, a crash and its restart, a clean stop, an orphan. */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { freePort } from '../../test/helpers/cli.js';
import { tempFolder } from '../../test/helpers/fixtures.js';
import type { Chunk } from '../ports.js';
import { type ChromaServer, startChromaServer } from './chroma-server.js';
import { createChromaStore } from './chroma-store.js';

const started: ChromaServer[] = [];
const folders: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.stop();
  for (const cleanup of folders.splice(0)) await cleanup();
});

async function dataDir(): Promise<string> {
  const folder = await tempFolder();
  folders.push(folder.cleanup);
  return folder.dir;
}

async function start(dir: string): Promise<ChromaServer> {
  const server = await startChromaServer({ dataDir: dir, logger: silentLogger() });
  started.push(server);
  return server;
}

const chunks = (count: number): Chunk[] =>
  Array.from({ length: count }, (_, k) => ({
    id: `c${k}`,
    text: `chunk ${k}`,
    metadata: { kind: 'note', cites: '{}', embedder: 'test-v1' },
  }));
const vectors = (count: number) =>
  Array.from({ length: count }, (_, k) => [Math.cos(k), Math.sin(k), 0.5]);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('embedded Chroma server', () => {
  it('starts on 127.0.0.1 at a free port with its data under DATA_DIR/chroma, and reports health', async () => {
    const dir = await dataDir();
    const server = await start(dir);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.path).toBe(path.join(dir, 'chroma'));
    expect(server.startupMs).toBeGreaterThan(0);
    const health = await server.health();
    expect(health).toMatchObject({ ok: true, state: 'up', url: server.url, restarts: 0 });
    expect(health.pid).toBeGreaterThan(0);
    expect(await readFile(path.join(dir, 'chroma.pid'), 'utf8')).toBe(`${health.pid}\n`);
    const store = await createChromaStore({ url: server.url });
    await store.upsert(chunks(3), vectors(3));
    expect(await store.count()).toBe(3);
  });

  it('keeps acknowledged writes across a stop and a start', async () => {
    const dir = await dataDir();
    const first = await start(dir);
    const store = await createChromaStore({ url: first.url });
    await store.upsert(chunks(500), vectors(500));
    await first.stop();
    expect(await first.exited).not.toBeUndefined();
    expect((await first.health()).state).toBe('stopped');
    const second = await start(dir);
    const again = await createChromaStore({ url: second.url });
    expect(await again.count()).toBe(500);
    expect((await again.query([1, 0, 0.5], 1))[0]?.chunk.id).toBe('c0');
  });

  it('restarts Chroma after a crash (kill -9), on the same URL, with the data', async () => {
    const server = await start(await dataDir());
    const store = await createChromaStore({ url: server.url });
    await store.upsert(chunks(200), vectors(200));
    const { pid } = await server.health();
    process.kill(pid as number, 'SIGKILL');
    await until(async () => (await server.health()).state !== 'up', 5_000);
    expect((await server.health()).ok).toBe(false);
    await until(async () => (await server.health()).ok, 30_000);
    const health = await server.health();
    expect(health.restarts).toBe(1);
    expect(health.pid).not.toBe(pid);
    expect(await store.count()).toBe(200);
    expect((await store.query([1, 0, 0.5], 1))[0]?.chunk.id).toBe('c0');
  });

  it('stops cleanly: the process ends, exited resolves, and a second stop is harmless', async () => {
    const server = await start(await dataDir());
    const { pid } = await server.health();
    await server.stop();
    await server.stop();
    await server.exited;
    expect(alive(pid as number)).toBe(false);
    expect((await server.health()).ok).toBe(false);
  });

  it('stops a Chroma a previous Countersign left running on the same data', async () => {
    const dir = await dataDir();
    // As if Countersign had died by SIGKILL: its Chroma (its own process group) lives on, pid file and all.
    const port = await freePort();
    const cli = path.resolve(
      path.dirname(createRequire(import.meta.url).resolve('chromadb')),
      '..',
      'cli.mjs',
    );
    const orphan = spawn(
      process.execPath,
      [
        cli,
        'run',
        '--path',
        path.join(dir, 'chroma'),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ],
      { detached: true, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => orphan.once('exit', resolve));
    await writeFile(path.join(dir, 'chroma.pid'), `${orphan.pid}\n`);
    await until(async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/api/v2/heartbeat`).catch(
        () => undefined,
      );
      return answer?.ok === true;
    }, 30_000);
    const server = await start(dir);
    await exited;
    expect(alive(orphan.pid as number)).toBe(false);
    expect((await server.health()).ok).toBe(true);
  });

  it('fails with Chroma’s own words when it cannot start (the port is taken)', async () => {
    const holder = spawn(
      process.execPath,
      [
        '-e',
        'require("net").createServer().listen(0,"127.0.0.1",function(){console.log(this.address().port)})',
      ],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    try {
      const port = Number(
        await new Promise<string>((resolve) =>
          holder.stdout.once('data', (d: Buffer) => resolve(d.toString())),
        ),
      );
      const error = await startChromaServer({
        dataDir: await dataDir(),
        logger: silentLogger(),
        port,
      }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/Chroma exited during start-up|did not answer/);
    } finally {
      holder.kill();
    }
  });
});
