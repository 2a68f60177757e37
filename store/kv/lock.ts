/** The Lock port: leases on named locks with a time to live, and the waiting and withLock built on a backend's three atomic steps. */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../config/logger.js';
import { checkMs } from './checks.js';

/** How long a lease lasts unless extended, and how long to wait for a busy lock (default 0: try once). */
export interface LockOptions {
  ttlMs: number;
  waitMs?: number;
}

/** A held lock. It ends by release, or by itself after its ttl: hold it no longer than that. */
export interface Lease {
  readonly key: string;
  /** Random per acquisition: only the holder of this token can release or extend. */
  readonly token: string;
  /** Frees the lock; false when the lease was already lost (expired, or now someone else's). */
  release(): Promise<boolean>;
  /** Sets the remaining time to `ttlMs` from now; false when the lease was already lost. */
  extend(ttlMs: number): Promise<boolean>;
}

/**
 * Mutual exclusion by key across everything that shares the backend (with Redis: every process).
 * A lease expires on its own, so a crashed holder cannot block others forever; the price is
 * that work outliving its ttl is no longer exclusive. Use it to avoid doing work twice (two
 * workers importing the same file), not as the guard of an invariant: the database's
 * constraints and transactions are that guard.
 */
export interface LockManager {
  /** A lease on `key`, or undefined when it stayed busy for `waitMs`. */
  acquire(key: string, options: LockOptions): Promise<Lease | undefined>;
  /**
   * Runs `fn` holding `key` and releases afterwards, whether `fn` returns or throws. Throws
   * LockBusyError when the lock stays busy for `waitMs`.
   */
  withLock<T>(key: string, options: LockOptions, fn: (lease: Lease) => Promise<T>): Promise<T>;
}

/** Thrown by withLock when the lock was held by someone else for the whole wait. */
export class LockBusyError extends Error {
  constructor(
    readonly key: string,
    readonly waitMs: number,
  ) {
    super(
      `lock "${key}" is busy: another holder kept it for the whole wait of ${waitMs} ms; try again later or pass a longer waitMs`,
    );
    this.name = 'LockBusyError';
  }
}

/** The atomic steps a backend provides, each a no-op returning false when `token` does not hold `key`. */
export interface LockStore {
  /** Takes `key` for `token` if it is free (or expired). */
  tryAcquire(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Frees `key` only if `token` holds it. */
  release(key: string, token: string): Promise<boolean>;
  /** Resets `key`'s expiry only if `token` holds it. */
  extend(key: string, token: string, ttlMs: number): Promise<boolean>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Backoff between tries while waiting: grows from 10 ms to 100 ms, jittered so waiters do not retry in step. */
function backoffMs(attempt: number): number {
  const base = Math.min(100, 10 * 2 ** attempt);
  return Math.round(base * (0.5 + Math.random()));
}

/** LockManager over any LockStore: tokens, polling for waitMs, withLock. */
export class LeaseManager implements LockManager {
  constructor(
    private readonly store: LockStore,
    private readonly logger: Logger,
  ) {}

  async acquire(key: string, options: LockOptions): Promise<Lease | undefined> {
    const { ttlMs, waitMs = 0 } = options;
    checkMs('ttlMs', ttlMs);
    checkMs('waitMs', waitMs, 0);
    const token = randomUUID();
    const deadline = performance.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      if (await this.store.tryAcquire(key, token, ttlMs)) return this.lease(key, token);
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(left, backoffMs(attempt)));
    }
  }

  async withLock<T>(
    key: string,
    options: LockOptions,
    fn: (lease: Lease) => Promise<T>,
  ): Promise<T> {
    const lease = await this.acquire(key, options);
    if (!lease) throw new LockBusyError(key, options.waitMs ?? 0);
    try {
      return await fn(lease);
    } finally {
      await lease.release().then(
        (released) => {
          if (!released) {
            this.logger.warn(
              { key, ttlMs: options.ttlMs },
              'lock expired before the work under it finished, so it may have run alongside another holder; raise ttlMs or extend the lease',
            );
          }
        },
        // The lease expires by itself; failing here would hide fn's own result or error.
        (error: unknown) => this.logger.warn({ err: error, key }, 'could not release lock'),
      );
    }
  }

  private lease(key: string, token: string): Lease {
    const { store } = this;
    return {
      key,
      token,
      release: () => store.release(key, token),
      extend: async (ttlMs: number) => {
        checkMs('ttlMs', ttlMs);
        return store.extend(key, token, ttlMs);
      },
    };
  }
}
