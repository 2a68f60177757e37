/**
 * What every VectorStore checks before it writes or searches, and the filter semantics they
 * share: a store refuses bad input with a message naming the value (Chroma itself silently
 * accepts NaN in a vector), and a date filter keeps a passage whose days overlap [start, end].
 */
import type { Chunk, ChunkFilter, ChunkMetadata } from '../ports.js';

export const MAX_QUERY_LIMIT = 1000;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/;

/** "2024-03-15" (or an ISO timestamp on that day) → 20240315; undefined for anything else. */
export function dateNumber(value: string): number | undefined {
  const match = ISO_DATE.exec(value);
  if (!match) return undefined;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1) return undefined; // 2024-02-30
  return year * 10_000 + month * 100 + day;
}

/** Refuses chunks and vectors a store cannot keep, naming the first bad one. */
export function checkUpsert(chunks: Chunk[], vectors: number[][], dimensions?: number): void {
  if (!Array.isArray(chunks) || !Array.isArray(vectors)) {
    throw new TypeError('upsert takes a list of chunks and a list of vectors');
  }
  if (chunks.length !== vectors.length) {
    throw new RangeError(
      `upsert got ${chunks.length} chunks but ${vectors.length} vectors: give one vector per chunk`,
    );
  }
  const seen = new Set<string>();
  const width = dimensions ?? vectors[0]?.length;
  for (const [k, chunk] of chunks.entries()) {
    if (typeof chunk?.id !== 'string' || chunk.id.length === 0) {
      throw new RangeError(
        `chunk ${k}: id ${JSON.stringify(chunk?.id)} must be a non-empty string`,
      );
    }
    if (seen.has(chunk.id)) {
      throw new RangeError(
        `chunk id ${chunk.id} appears twice in one upsert: give each chunk once`,
      );
    }
    seen.add(chunk.id);
    if (typeof chunk.text !== 'string') {
      throw new TypeError(`chunk ${chunk.id}: text is ${typeof chunk.text}, not a string`);
    }
    checkMetadata(chunk.id, chunk.metadata);
    const vector = vectors[k] as number[];
    if (!Array.isArray(vector) || vector.length === 0) {
      throw new RangeError(`chunk ${chunk.id}: its vector is empty`);
    }
    if (vector.length !== width) {
      throw new RangeError(
        `chunk ${chunk.id}: its vector has ${vector.length} dimensions, the store holds ${width}: reindex after changing embedders`,
      );
    }
    for (const [j, value] of vector.entries()) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new RangeError(
          `chunk ${chunk.id}: vector value ${j} is ${value}; every value must be a finite number`,
        );
      }
    }
  }
}

function checkMetadata(id: string, metadata: ChunkMetadata): void {
  if (metadata === null || typeof metadata !== 'object') {
    throw new TypeError(`chunk ${id}: metadata must be an object`);
  }
  for (const field of ['kind', 'cites', 'embedder'] as const) {
    if (typeof metadata[field] !== 'string') {
      throw new RangeError(`chunk ${id}: metadata.${field} must be a string`);
    }
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new RangeError(
        `chunk ${id}: metadata.${key} is ${value === null ? 'null' : typeof value}; metadata values are strings, numbers or booleans`,
      );
    }
  }
  for (const field of ['date', 'date_end'] as const) {
    const value = metadata[field];
    if (value !== undefined && dateNumber(value) === undefined) {
      throw new RangeError(
        `chunk ${id}: metadata.${field} ${JSON.stringify(value)} is not an ISO date (YYYY-MM-DD)`,
      );
    }
  }
  if (metadata.date_end !== undefined && metadata.date === undefined) {
    throw new RangeError(`chunk ${id}: metadata.date_end ${metadata.date_end} without a date`);
  }
  if (
    metadata.date !== undefined &&
    metadata.date_end !== undefined &&
    (dateNumber(metadata.date_end) as number) < (dateNumber(metadata.date) as number)
  ) {
    throw new RangeError(
      `chunk ${id}: metadata.date_end ${metadata.date_end} is before its date ${metadata.date}`,
    );
  }
}

/** A query's vector and limit, checked. */
export function checkQuery(vector: number[], limit: number, dimensions: number | undefined): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new RangeError(`query limit ${limit}: use a whole number from 1 to ${MAX_QUERY_LIMIT}`);
  }
  if (!Array.isArray(vector) || vector.length === 0) {
    throw new RangeError('query vector is empty');
  }
  if (dimensions !== undefined && vector.length !== dimensions) {
    throw new RangeError(
      `query vector has ${vector.length} dimensions, the store holds ${dimensions}: embed the question with the embedder that built the index`,
    );
  }
  for (const [j, value] of vector.entries()) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RangeError(
        `query vector value ${j} is ${value}; every value must be a finite number`,
      );
    }
  }
}

/** The filter with its dates as numbers; refuses a date that is not one. */
export interface NormalFilter {
  symbol?: string;
  side?: string;
  strategy?: string;
  kinds?: string[];
  start?: number;
  end?: number;
}

/** Checks a filter; an empty `kinds` list means no restriction by kind. */
export function normaliseFilter(filter: ChunkFilter | undefined): NormalFilter {
  const out: NormalFilter = {};
  if (filter === undefined || filter === null) return out;
  for (const field of ['symbol', 'side', 'strategy'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') {
      throw new RangeError(`filter ${field} ${JSON.stringify(value)} must be a non-empty string`);
    }
    out[field] = value;
  }
  if (filter.kinds !== undefined) {
    if (!Array.isArray(filter.kinds) || !filter.kinds.every((k) => typeof k === 'string' && k)) {
      throw new RangeError(
        `filter kinds ${JSON.stringify(filter.kinds)} must be a list of kind names`,
      );
    }
    if (filter.kinds.length > 0) out.kinds = [...new Set(filter.kinds)];
  }
  for (const field of ['start', 'end'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    const day = typeof value === 'string' ? dateNumber(value) : undefined;
    if (day === undefined) {
      throw new RangeError(
        `filter ${field} ${JSON.stringify(value)} is not an ISO date (YYYY-MM-DD)`,
      );
    }
    out[field] = day;
  }
  if (out.start !== undefined && out.end !== undefined && out.start > out.end) {
    throw new RangeError(`filter start ${filter.start} is after end ${filter.end}`);
  }
  return out;
}

/**
 * Whether a chunk passes a filter: fields equal, kind among `kinds`, and its days
 * [date, date_end or date] overlapping [start, end]. A chunk without a date fails any date filter.
 */
export function passes(metadata: ChunkMetadata, filter: NormalFilter): boolean {
  if (filter.symbol !== undefined && metadata.symbol !== filter.symbol) return false;
  if (filter.side !== undefined && metadata.side !== filter.side) return false;
  if (filter.strategy !== undefined && metadata.strategy !== filter.strategy) return false;
  if (filter.kinds !== undefined && !filter.kinds.includes(metadata.kind)) return false;
  if (filter.start !== undefined || filter.end !== undefined) {
    const from = metadata.date === undefined ? undefined : dateNumber(metadata.date);
    if (from === undefined) return false;
    const to =
      (metadata.date_end === undefined ? undefined : dateNumber(metadata.date_end)) ?? from;
    if (filter.start !== undefined && to < filter.start) return false;
    if (filter.end !== undefined && from > filter.end) return false;
  }
  return true;
}
