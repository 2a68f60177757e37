/** The in-process Cache: a Map with expiry times, for one process with no Redis configured. */
import { performance } from 'node:perf_hooks';
import type { Cache } from './cache.js';
import { checkMs, toJson } from './checks.js';

interface Entry {
  json: string;
  /** performance.now() time; monotonic, so a wall-clock jump neither expires nor revives entries. */
  expiresAt: number;
}

/** Default bound on entries; past it the oldest-written entry goes first. */
export const MEMORY_CACHE_MAX_ENTRIES = 10_000;

/**
 * Cache in a Map. Expired entries are dropped when read; the size bound keeps entries that are
 * written once and never read again from growing memory without limit. Values are stored as JSON
 * text so that callers get fresh copies and the same round-trip as with Redis.
 */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? MEMORY_CACHE_MAX_ENTRIES;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(
        `maxEntries must be a whole number of at least 1; got ${this.maxEntries}`,
      );
    }
  }

  /** Entries held, expired ones not yet evicted included. */
  get size(): number {
    return this.entries.size;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= performance.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return JSON.parse(entry.json) as T;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    checkMs('ttlMs', ttlMs);
    const json = toJson(value, `cache value for "${key}"`);
    // Delete first so that a rewrite moves the key to the young end of the Map's order.
    this.entries.delete(key);
    this.entries.set(key, { json, expiresAt: performance.now() + ttlMs });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}
