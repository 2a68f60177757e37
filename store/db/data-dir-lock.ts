/** One Countersign process per data directory: a PID lock file that also says where its services run. */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What the lock file records about the process that owns a data directory. */
export interface DataDirOwner {
  pid: number;
  startedAt: string;
  /** Set once the embedded PostgreSQL is up, so that a CLI command can use it too. */
  postgresPort?: number;
  httpUrl?: string;
}

/** Another live process owns the data directory. */
export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
  ) {
    super(
      `Another Countersign process (pid ${owner.pid}, started ${owner.startedAt}${owner.httpUrl ? `, serving ${owner.httpUrl}` : ''}) ` +
        `is using the data directory ${dataDir}. Stop it first, or give this one its own DATA_DIR.`,
    );
    this.name = 'DataDirBusyError';
  }
}

const LOCK_FILE = 'countersign.lock';

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<DataDirOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as DataDirOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** The live process that owns `dataDir`, if any. */
export async function currentOwner(dataDir: string): Promise<DataDirOwner | undefined> {
  const owner = await readLock(path.join(dataDir, LOCK_FILE));
  return owner && owner.pid !== process.pid && isProcessAlive(owner.pid) ? owner : undefined;
}

/** The held lock on a data directory. */
export class DataDirLock {
  private constructor(
    readonly dataDir: string,
    private owner: DataDirOwner,
  ) {}

  private get file(): string {
    return path.join(this.dataDir, LOCK_FILE);
  }

  /**
   * Takes the lock, or throws DataDirBusyError naming the live owner. A lock left by a process
   * that no longer exists (kill -9, power loss) is taken over.
   */
  static async acquire(dataDir: string): Promise<DataDirLock> {
    await mkdir(dataDir, { recursive: true });
    const file = path.join(dataDir, LOCK_FILE);
    const owner: DataDirOwner = { pid: process.pid, startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await writeFile(file, JSON.stringify(owner), { flag: 'wx', mode: 0o644 });
        return new DataDirLock(dataDir, owner);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const existing = await readLock(file);
      if (existing && existing.pid !== process.pid && isProcessAlive(existing.pid)) {
        throw new DataDirBusyError(dataDir, existing);
      }
      // Stale: move it aside atomically and look at what was moved. If a racing starter had
      // already replaced the stale file with its own live lock, put that back and give way.
      const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
      try {
        await rename(file, aside);
      } catch {
        continue;
      }
      const moved = await readLock(aside);
      if (moved && moved.pid !== process.pid && isProcessAlive(moved.pid)) {
        await link(aside, file).catch(() => {});
        await unlink(aside).catch(() => {});
        throw new DataDirBusyError(dataDir, moved);
      }
      await unlink(aside).catch(() => {});
    }
    throw new Error(`could not take the lock ${file}: it keeps reappearing`);
  }

  /** Records where this process's services run (atomically: write aside, then rename). */
  async update(patch: Partial<Omit<DataDirOwner, 'pid' | 'startedAt'>>): Promise<void> {
    this.owner = { ...this.owner, ...patch };
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(this.owner), { mode: 0o644 });
    await rename(temp, this.file);
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    const existing = await readLock(this.file);
    if (existing?.pid === process.pid) await unlink(this.file).catch(() => {});
  }
}
