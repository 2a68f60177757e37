import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempFolder } from '../../test/helpers/fixtures.js';
import { currentOwner, DataDirBusyError, DataDirLock } from './data-dir-lock.js';

/** A pid that is certainly not running: above the kernel's pid_max default range. */
const DEAD_PID = 2 ** 22 + 12_345;

describe('DataDirLock', () => {
  let folder: { dir: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    folder = await tempFolder();
  });
  afterEach(() => folder.cleanup());

  it('records this process, publishes where its services run, and removes itself on release', async () => {
    const lock = await DataDirLock.acquire(folder.dir);
    await lock.update({ postgresPort: 5555, httpUrl: 'http://127.0.0.1:1' });
    const written = JSON.parse(await readFile(path.join(folder.dir, 'countersign.lock'), 'utf8'));
    expect(written).toMatchObject({
      pid: process.pid,
      postgresPort: 5555,
      httpUrl: 'http://127.0.0.1:1',
    });
    await lock.release();
    expect(existsSync(path.join(folder.dir, 'countersign.lock'))).toBe(false);
  });

  it('refuses while a live process holds it, naming that process', async () => {
    // The parent process (the test runner) is alive and is not us.
    const owner = {
      pid: process.ppid,
      startedAt: '2026-01-01T00:00:00.000Z',
      httpUrl: 'http://127.0.0.1:8787',
    };
    await writeFile(path.join(folder.dir, 'countersign.lock'), JSON.stringify(owner));
    const error = await DataDirLock.acquire(folder.dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataDirBusyError);
    expect((error as Error).message).toContain(`pid ${process.ppid}`);
    expect((error as Error).message).toContain('serving http://127.0.0.1:8787');
    expect(await currentOwner(folder.dir)).toEqual(owner);
  });

  it('takes over a lock left by a process that died (kill -9, power loss)', async () => {
    await writeFile(
      path.join(folder.dir, 'countersign.lock'),
      JSON.stringify({ pid: DEAD_PID, startedAt: 'x' }),
    );
    expect(await currentOwner(folder.dir)).toBeUndefined();
    const lock = await DataDirLock.acquire(folder.dir);
    const written = JSON.parse(await readFile(path.join(folder.dir, 'countersign.lock'), 'utf8'));
    expect(written.pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock file that is not even JSON (a crash mid-write)', async () => {
    await writeFile(path.join(folder.dir, 'countersign.lock'), '{"pid": 12');
    const lock = await DataDirLock.acquire(folder.dir);
    await lock.release();
  });
});
