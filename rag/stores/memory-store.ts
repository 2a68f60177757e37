/**
 * An in-memory VectorStore: brute-force cosine over every chunk that passes the filter. Exact
 * (no approximate index), for tests, small indexes and as the reference the Chroma store is
 * held to by the same contract suite.
 */
import type { Chunk, ChunkFilter, VectorHit, VectorStore } from '../ports.js';
import { checkQuery, checkUpsert, normaliseFilter, passes } from './store-input.js';

interface Entry {
  chunk: Chunk;
  /** Float32: half the memory of number[]; cosines still agree with float64 to about 1e-7. */
  vector: Float32Array;
  norm: number;
}

/** Creates an empty in-memory store. */
export function createMemoryStore(options: { name?: string } = {}): VectorStore {
  const entries = new Map<string, Entry>();
  let dimensions: number | undefined;
  let closed = false;
  const open = () => {
    if (closed) throw new Error('the memory vector store is closed');
  };

  return {
    name: options.name ?? 'memory',

    async upsert(chunks, vectors) {
      open();
      checkUpsert(chunks, vectors, dimensions);
      if (chunks.length === 0) return;
      dimensions ??= (vectors[0] as number[]).length;
      for (const [k, chunk] of chunks.entries()) {
        const vector = Float32Array.from(vectors[k] as number[]);
        let norm = 0;
        for (const value of vector) norm += value * value;
        // A copy, so that a caller changing its objects later changes nothing here.
        entries.set(chunk.id, {
          chunk: { id: chunk.id, text: chunk.text, metadata: { ...chunk.metadata } },
          vector,
          norm: Math.sqrt(norm),
        });
      }
    },

    async query(vector: number[], limit: number, filter?: ChunkFilter): Promise<VectorHit[]> {
      open();
      const normal = normaliseFilter(filter);
      checkQuery(vector, limit, dimensions);
      if (entries.size === 0) return [];
      let queryNorm = 0;
      for (const value of vector) queryNorm += value * value;
      queryNorm = Math.sqrt(queryNorm);
      // The best `limit` kept sorted as they come (ties by id, so the order is the same on every run).
      const hits: { entry: Entry; similarity: number }[] = [];
      const before = (a: { entry: Entry; similarity: number }, similarity: number, id: string) =>
        a.similarity > similarity || (a.similarity === similarity && a.entry.chunk.id < id);
      for (const entry of entries.values()) {
        if (!passes(entry.chunk.metadata, normal)) continue;
        let product = 0;
        const stored = entry.vector;
        for (let k = 0; k < stored.length; k++)
          product += (stored[k] as number) * (vector[k] as number);
        const denominator = entry.norm * queryNorm;
        const similarity = denominator === 0 ? 0 : product / denominator;
        const id = entry.chunk.id;
        if (
          hits.length >= limit &&
          before(hits[hits.length - 1] as (typeof hits)[0], similarity, id)
        )
          continue;
        let at = hits.length;
        while (at > 0 && !before(hits[at - 1] as (typeof hits)[0], similarity, id)) at--;
        hits.splice(at, 0, { entry, similarity });
        if (hits.length > limit) hits.pop();
      }
      return hits.slice(0, limit).map(({ entry, similarity }) => ({
        chunk: {
          id: entry.chunk.id,
          text: entry.chunk.text,
          metadata: { ...entry.chunk.metadata },
        },
        similarity,
      }));
    },

    async delete(ids) {
      open();
      if (!Array.isArray(ids)) throw new TypeError('delete takes a list of ids');
      for (const id of ids) entries.delete(id);
    },

    async count() {
      open();
      return entries.size;
    },

    async clear() {
      open();
      entries.clear();
      dimensions = undefined;
    },

    async close() {
      closed = true;
      entries.clear();
    },
  };
}
