/**
 * Group commit for audit entries that record no change of their own (a tool call, a read): every
 * caller waits until its entry is committed, but entries that arrive while a commit is running
 * share the next one — one transaction, one lock and one INSERT for all of them. Under load this
 * turns the global audit lock from one holder per entry into one per batch; alone, an entry is
 * written at once, with no timer and no added wait.
 */
import type { Pool } from '../db/pool.js';
import { appendAuditEntriesAlone, MAX_AUDIT_BATCH } from './audit-log.js';
import type { AuditInput, AuditRecord } from './types.js';

/** Appends standalone audit entries, batching those that arrive together. */
export interface AuditBatcher {
  /** Resolves with the entry as stored, once committed; rejects when it could not be written. */
  append(entry: AuditInput): Promise<AuditRecord>;
}

interface Waiting {
  entry: AuditInput;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

/** A batcher writing through `pool`; `maxBatch` entries at most per transaction. */
export function createAuditBatcher(pool: Pool, maxBatch = 200): AuditBatcher {
  const size = Math.max(1, Math.min(maxBatch, MAX_AUDIT_BATCH));
  let queue: Waiting[] = [];
  let flushing = false;

  const write = async (batch: Waiting[]) => {
    try {
      const records = await appendAuditEntriesAlone(
        pool,
        batch.map((waiting) => waiting.entry),
      );
      for (const [k, waiting] of batch.entries()) waiting.resolve(records[k] as AuditRecord);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad entry must not take the others down with it: write them one by one.
      for (const waiting of batch) await write([waiting]);
    }
  };

  const flush = async () => {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, size);
        queue = queue.slice(size);
        await write(batch);
      }
    } finally {
      flushing = false;
    }
  };

  return {
    append(entry) {
      return new Promise<AuditRecord>((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        if (!flushing) void flush();
      });
    },
  };
}

const shared = new WeakMap<Pool, AuditBatcher>();

/** The one batcher of a pool, so that every caller on it shares the batches. */
export function auditBatcherFor(pool: Pool): AuditBatcher {
  let batcher = shared.get(pool);
  if (!batcher) {
    batcher = createAuditBatcher(pool);
    shared.set(pool, batcher);
  }
  return batcher;
}
