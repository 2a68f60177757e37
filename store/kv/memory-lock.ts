/** The in-process LockStore: holders and expiry times in a Map, for one process with no Redis configured. */
import { performance } from 'node:perf_hooks';
import type { LockStore } from './lock.js';

interface Holder {
  token: string;
  /** performance.now() time, immune to wall-clock jumps. */
  expiresAt: number;
}

/** Locks held before the first sweep of expired ones. */
const FIRST_SWEEP_AT = 1024;

/**
 * Lock holders for one process. JavaScript runs one step at a time, so each method is atomic
 * as Redis's are. Expired holders are replaced on the next acquire of their key, and swept
 * whenever the Map doubles, so abandoned keys do not pile up.
 */
export class MemoryLockStore implements LockStore {
  private readonly holders = new Map<string, Holder>();
  private sweepAt = FIRST_SWEEP_AT;

  private live(key: string): Holder | undefined {
    const holder = this.holders.get(key);
    return holder && holder.expiresAt > performance.now() ? holder : undefined;
  }

  async tryAcquire(key: string, token: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.holders.set(key, { token, expiresAt: performance.now() + ttlMs });
    if (this.holders.size >= this.sweepAt) this.sweep();
    return true;
  }

  async release(key: string, token: string): Promise<boolean> {
    if (this.live(key)?.token !== token) return false;
    this.holders.delete(key);
    return true;
  }

  async extend(key: string, token: string, ttlMs: number): Promise<boolean> {
    const holder = this.live(key);
    if (holder?.token !== token) return false;
    holder.expiresAt = performance.now() + ttlMs;
    return true;
  }

  private sweep(): void {
    const now = performance.now();
    for (const [key, holder] of this.holders) {
      if (holder.expiresAt <= now) this.holders.delete(key);
    }
    this.sweepAt = Math.max(FIRST_SWEEP_AT, this.holders.size * 2);
  }
}
