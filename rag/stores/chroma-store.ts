/**
 * The ChromaDB VectorStore, through the `chromadb` client (3.0.11). What Chroma does, and why
 * this adapter looks the way it does:
 * - `add` with an id that exists is a silent no-op (the old text stays): every write is `upsert`.
 * - The collection has no embedding function: vectors are always given, and a guard function
 *   that refuses to run stands in, so the client never loads `@chroma-core/default-embed` (a
 *   model download) and never warns that a collection has none.
 * - `$gt/$gte/$lt/$lte` compare numbers only: dates are also kept as yyyymmdd integers
 *   (`date_from_n`, `date_to_n`), which the date filters use and which reads drop again.
 * - `$and` needs two clauses or more and `$in` a non-empty list; a vector with NaN is accepted
 *   silently; ids must be non-empty; keys `chroma:*` are dropped. The shared input checks
 *   (store-input.ts) refuse all of that before it reaches Chroma.
 * - Space is cosine (distance = 1 − cosine similarity), on an HNSW index.
 */
import {
  ChromaClient,
  ChromaConnectionError,
  type Collection,
  type EmbeddingFunction,
  type Metadata,
  type Where,
} from 'chromadb';
import type { Chunk, ChunkFilter, ChunkMetadata, VectorHit, VectorStore } from '../ports.js';
import { type FilterFields, FilterIndex } from './filter-index.js';
import {
  checkQuery,
  checkUpsert,
  dateNumber,
  type NormalFilter,
  normaliseFilter,
} from './store-input.js';

export const DEFAULT_CHROMA_COLLECTION = 'countersign_chunks';
/** Records per request; Chroma's own limit (5461 on 1.0) caps it. */
const UPSERT_BATCH = 2000;
const DATE_FROM = 'date_from_n';
const DATE_TO = 'date_to_n';

/** Chroma could not be reached or answered as a broken server: retrieval should fall back. */
export class ChromaUnavailableError extends Error {
  override name = 'ChromaUnavailableError';
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(`ChromaDB at ${url} is unavailable: ${detail}`);
  }
}

/** Stands in for an embedding function: this adapter always gives vectors, so it must never run. */
const NO_EMBEDDING_FUNCTION: EmbeddingFunction = {
  async generate() {
    throw new Error('the Countersign Chroma collection embeds nothing itself: give the vectors');
  },
};

export interface ChromaStore extends VectorStore {
  readonly url: string;
  readonly collection: string;
  /**
   * Resolves when the in-process filter index holds every chunk already in the collection
   * (loaded in pages at open; about 13 s for 100,000). Until then filtered queries use Chroma's
   * own `where`, which is correct but slow. Never rejects: a failed load leaves Chroma's `where`.
   */
  readonly filterIndexReady: Promise<boolean>;
}

function filterFields(metadata: ChunkMetadata | Metadata): FilterFields {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const date = text(metadata.date);
  const from = date === undefined ? undefined : dateNumber(date);
  const end = text(metadata.date_end);
  return {
    kind: text(metadata.kind) ?? '',
    symbol: text(metadata.symbol),
    side: text(metadata.side),
    strategy: text(metadata.strategy),
    from,
    to: end === undefined ? from : (dateNumber(end) ?? from),
  };
}

const isEmpty = (filter: NormalFilter) => Object.keys(filter).length === 0;

/** What a store without texts keeps of a chunk's metadata: the filter fields (dates as numbers only). */
const FILTER_KEYS = new Set(['kind', 'symbol', 'side', 'strategy']);

function toChromaMetadata(metadata: ChunkMetadata, texts: boolean): Metadata {
  const out: Metadata = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!texts && !FILTER_KEYS.has(key)) continue;
    if (value !== undefined && value !== null) out[key] = value as string | number | boolean;
  }
  if (metadata.date !== undefined) {
    const from = dateNumber(metadata.date) as number;
    out[DATE_FROM] = from;
    out[DATE_TO] =
      metadata.date_end === undefined ? from : (dateNumber(metadata.date_end) as number);
  }
  return out;
}

const isoDate = (n: number) =>
  `${String(Math.floor(n / 10_000)).padStart(4, '0')}-${String(Math.floor(n / 100) % 100).padStart(2, '0')}-${String(n % 100).padStart(2, '0')}`;

function fromChromaMetadata(metadata: Metadata | null | undefined): ChunkMetadata {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (key === DATE_FROM || key === DATE_TO || value === null || value === undefined) continue;
    out[key] = value as string | number | boolean;
  }
  // A store without texts keeps the dates as numbers only.
  const from = metadata?.[DATE_FROM];
  const to = metadata?.[DATE_TO];
  if (out.date === undefined && typeof from === 'number') {
    out.date = isoDate(from);
    if (typeof to === 'number' && to !== from) out.date_end = isoDate(to);
  }
  out.cites ??= '{}';
  out.embedder ??= '';
  return out as unknown as ChunkMetadata;
}

/** The `where` of a filter, or undefined for none (Chroma refuses `$and` with one clause). */
export function chromaWhere(filter: NormalFilter): Where | undefined {
  const clauses: Where[] = [];
  for (const field of ['symbol', 'side', 'strategy'] as const) {
    const value = filter[field];
    if (value !== undefined) clauses.push({ [field]: { $eq: value } });
  }
  if (filter.kinds !== undefined) {
    clauses.push(
      filter.kinds.length === 1
        ? { kind: { $eq: filter.kinds[0] as string } }
        : { kind: { $in: filter.kinds } },
    );
  }
  // Overlap of the passage's days [from, to] with [start, end].
  if (filter.start !== undefined) clauses.push({ [DATE_TO]: { $gte: filter.start } });
  if (filter.end !== undefined) clauses.push({ [DATE_FROM]: { $lte: filter.end } });
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

function parseUrl(url: string): { host: string; port: number; ssl: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`CHROMA_URL ${JSON.stringify(url)} is not a URL: use http://host:port`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RangeError(`CHROMA_URL ${url}: use an http:// or https:// URL`);
  }
  const ssl = parsed.protocol === 'https:';
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : ssl ? 443 : 80,
    ssl,
  };
}

/**
 * Connects to the Chroma server at `url` and opens (creating on first use) `collection`.
 * Throws ChromaUnavailableError when no Chroma answers there.
 */
export async function createChromaStore(options: {
  url: string;
  collection?: string;
  /** Answer filtered queries from an in-process index (default true; see filter-index.ts). */
  filterIndex?: boolean;
  /**
   * Keep each chunk's text, cites and embedder in Chroma too (default true). False keeps the
   * vectors and filter fields only (VectorStore.keepsTexts): writes are about 1.7× faster, since
   * Chroma full-text indexes every document; for a caller that holds the texts itself.
   */
  texts?: boolean;
}): Promise<ChromaStore> {
  const texts = options.texts !== false;
  const url = options.url.replace(/\/+$/, '');
  const name = options.collection ?? DEFAULT_CHROMA_COLLECTION;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$/.test(name)) {
    throw new RangeError(
      `Chroma collection name ${JSON.stringify(name)}: use 3–512 characters from [a-zA-Z0-9._-], starting and ending with a letter or digit`,
    );
  }
  const client = new ChromaClient(parseUrl(url));

  /** Runs a Chroma call, turning its errors into ours. */
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const e = error as Error;
      if (e instanceof ChromaConnectionError) throw new ChromaUnavailableError(url, e.message);
      const detail = e?.message?.replace(/^Bad request to \S+ with status: /, '') ?? String(e);
      const dimensions = /dimension of (\d+), got (\d+)/i.exec(detail);
      if (dimensions) {
        throw new RangeError(
          `Chroma ${what}: the vector has ${dimensions[2]} dimensions, collection ${name} at ${url} holds ${dimensions[1]}: use the embedder that built the index, or reindex after changing embedders`,
        );
      }
      throw new Error(`Chroma ${what} on collection ${name} at ${url} failed: ${detail}`, {
        cause: error,
      });
    }
  };

  const open = () =>
    call('open', () =>
      client.getOrCreateCollection({
        name,
        embeddingFunction: NO_EMBEDDING_FUNCTION,
        configuration: { hnsw: { space: 'cosine' } },
      }),
    );
  let collection: Collection = await open();
  const space = collection.configuration?.hnsw?.space ?? 'cosine';
  if (space !== 'cosine') {
    throw new RangeError(
      `Chroma collection ${name} at ${url} uses ${space} distance, not cosine: drop it (it is rebuilt by \`countersign rag reindex\`) or choose another collection`,
    );
  }
  let maxBatch: number | undefined;
  let closed = false;

  const index = options.filterIndex === false ? undefined : new FilterIndex();
  let indexed = false;
  /** Bumped by clear(), so that a load still running stops filling an index that was emptied. */
  let generation = 0;
  /** Ids written or deleted while the index loads: what the load read of them is stale. */
  const touched = new Set<string>();
  const loadIndex = async (): Promise<boolean> => {
    if (!index) return false;
    const mine = generation;
    try {
      const page = 5000;
      for (let offset = 0; ; offset += page) {
        const result = await collection.get({
          include: ['embeddings', 'metadatas'],
          limit: page,
          offset,
        });
        if (closed || generation !== mine) return false;
        for (const [k, id] of result.ids.entries()) {
          const vector = result.embeddings[k];
          if (touched.has(id) || !vector) continue;
          index.set(id, filterFields(fromChromaMetadata(result.metadatas[k])), vector);
        }
        if (result.ids.length < page) break;
      }
      indexed = true;
      touched.clear();
      return true;
    } catch {
      return false;
    }
  };
  const filterIndexReady = loadIndex();
  const ready = () => {
    if (closed) throw new Error(`the Chroma store for ${url} is closed`);
  };

  /** A filtered query from the index: approximate candidates, re-scored exactly with Chroma's vectors. */
  const queryIndex = async (
    index: FilterIndex,
    vector: number[],
    limit: number,
    filter: NormalFilter,
  ): Promise<VectorHit[]> => {
    if (index.dimensions !== undefined && vector.length !== index.dimensions) {
      throw new RangeError(
        `query vector has ${vector.length} dimensions, collection ${name} at ${url} holds ${index.dimensions}: embed the question with the embedder that built the index`,
      );
    }
    // Twice the asked-for count by the 8-bit vectors, re-scored exactly with Chroma's own; the
    // texts and metadata are read for the winners only (a fetch of 200 with everything cost 22–34 ms).
    const candidates = index.nearest(vector, Math.max(limit * 2, limit + 10), filter);
    if (candidates.length === 0) return [];
    const found = await call('get', () =>
      collection.get({ ids: candidates.map((one) => one.id), include: ['embeddings'] }),
    );
    let queryNorm = 0;
    for (const value of vector) queryNorm += value * value;
    queryNorm = Math.sqrt(queryNorm);
    const scored = found.ids.map((id, k) => {
      const stored = found.embeddings[k] ?? [];
      let dot = 0;
      let norm = 0;
      for (let j = 0; j < stored.length; j++) {
        dot += (stored[j] as number) * (vector[j] as number);
        norm += (stored[j] as number) ** 2;
      }
      const denominator = Math.sqrt(norm) * queryNorm;
      return { id, similarity: denominator === 0 ? 0 : dot / denominator };
    });
    scored.sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1));
    const best = scored.slice(0, limit);
    if (best.length === 0) return [];
    const details = await call('get', () =>
      collection.get({
        ids: best.map((one) => one.id),
        include: texts ? ['documents', 'metadatas'] : ['metadatas'],
      }),
    );
    const byId = new Map(details.ids.map((id, k) => [id, k]));
    return best.flatMap(({ id, similarity }) => {
      const k = byId.get(id);
      if (k === undefined) return [];
      return [
        {
          chunk: {
            id,
            text: details.documents?.[k] ?? '',
            metadata: fromChromaMetadata(details.metadatas[k]),
          },
          similarity,
        },
      ];
    });
  };

  return {
    name: 'chroma',
    keepsTexts: texts,
    url,
    collection: name,
    filterIndexReady,

    async upsert(chunks: Chunk[], vectors: number[][]) {
      ready();
      checkUpsert(chunks, vectors);
      if (chunks.length === 0) return;
      maxBatch ??= await call('pre-flight', () => client.getMaxBatchSize());
      const size = maxBatch > 0 ? Math.min(UPSERT_BATCH, maxBatch) : UPSERT_BATCH;
      for (let start = 0; start < chunks.length; start += size) {
        const part = chunks.slice(start, start + size);
        await call('upsert', () =>
          collection.upsert({
            ids: part.map((chunk) => chunk.id),
            embeddings: vectors.slice(start, start + size),
            ...(texts ? { documents: part.map((chunk) => chunk.text) } : {}),
            metadatas: part.map((chunk) => toChromaMetadata(chunk.metadata, texts)),
          }),
        );
        if (index) {
          for (const [k, chunk] of part.entries()) {
            if (!indexed) touched.add(chunk.id);
            index.set(chunk.id, filterFields(chunk.metadata), vectors[start + k] as number[]);
          }
        }
      }
    },

    async query(vector: number[], limit: number, filter?: ChunkFilter): Promise<VectorHit[]> {
      ready();
      const normal = normaliseFilter(filter);
      checkQuery(vector, limit, undefined);
      if (index && indexed && !isEmpty(normal)) return queryIndex(index, vector, limit, normal);
      const where = chromaWhere(normal);
      const result = await call('query', () =>
        collection.query({
          queryEmbeddings: [vector],
          nResults: limit,
          where,
          include: texts ? ['documents', 'metadatas', 'distances'] : ['metadatas', 'distances'],
        }),
      );
      const ids = result.ids[0] ?? [];
      return ids.map((id, k) => ({
        chunk: {
          id,
          text: result.documents?.[0]?.[k] ?? '',
          metadata: fromChromaMetadata(result.metadatas[0]?.[k]),
        },
        similarity: 1 - (result.distances[0]?.[k] ?? 1),
      }));
    },

    async delete(ids: string[]) {
      ready();
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
        throw new TypeError('delete takes a list of id strings');
      }
      const unique = [...new Set(ids)].filter((id) => id !== '');
      for (let start = 0; start < unique.length; start += UPSERT_BATCH) {
        const part = unique.slice(start, start + UPSERT_BATCH);
        await call('delete', () => collection.delete({ ids: part }));
        for (const id of part) {
          if (!indexed) touched.add(id);
          index?.delete(id);
        }
      }
    },

    async count() {
      ready();
      return call('count', () => collection.count());
    },

    async clear() {
      ready();
      // Dropping the collection is instant at any size; deleting ids one batch at a time is not.
      await call('clear', () => client.deleteCollection({ name })).catch((error: unknown) => {
        if (!/could not be found|does not exist/i.test((error as Error).message)) throw error;
      });
      collection = await open();
      generation++;
      index?.clear();
      touched.clear();
      // An empty collection: the (empty) index is complete.
      if (index) indexed = true;
    },

    async close() {
      closed = true;
    },
  };
}
