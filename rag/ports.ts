/**
 * The retrieval ports: what an embedder and a vector store are to the rest of rag/. Adapters
 * (the weight-free embedder, Ollama, later an ONNX model; ChromaDB, an in-memory store for
 * tests and fallbacks) implement these and pass one contract suite each.
 */

/** Turns texts into vectors of one fixed dimension; the same text always gives the same vector. */
export interface Embedder {
  /** Stable name and version, recorded with every vector: "hash-v1", "ollama:nomic-embed-text". */
  readonly id: string;
  readonly dimensions: number;
  /** One vector per text, in order; each has `dimensions` finite numbers (L2-normalised). */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

/** What a chunk says about itself, for filters and citations. Flat, scalar values only (Chroma's rule). */
export interface ChunkMetadata {
  /** proposal, order, fill, trade (a round trip), imported_trade, note, backtest, optimization */
  kind: string;
  symbol?: string;
  side?: string;
  strategy?: string;
  /** ISO date the passage is about (its first day); `date_end` its last, when a span. */
  date?: string;
  date_end?: string;
  /** Ids the passage cites, as JSON text of {proposal_id?, order_id?, fill_id?, trade_id?, backtest_id?, note_id?, external_id?}. */
  cites: string;
  /** The embedder id that made the vector. */
  embedder: string;
}

/** One passage: a stable id (the same source always gives the same id), its text and metadata. */
export interface Chunk {
  id: string;
  text: string;
  metadata: ChunkMetadata;
}

/** Metadata filters a search may give (all optional; `kinds` any of). */
export interface ChunkFilter {
  symbol?: string;
  side?: string;
  strategy?: string;
  kinds?: string[];
  /** Passages about days on or after / on or before. */
  start?: string;
  end?: string;
}

export interface VectorHit {
  chunk: Chunk;
  /** Cosine similarity, -1..1 (higher is closer). */
  similarity: number;
}

/** Stores vectors with their chunks; upsert by id, so writing the same chunk twice adds nothing. */
export interface VectorStore {
  readonly name: string;
  /**
   * False when the store keeps vectors and the filter fields only (kind, symbol, side, strategy,
   * date, date_end): its hits then carry an empty text, cites "{}" and embedder "", and the caller
   * holds the rest (retrieval reads it from PostgreSQL's rag_chunks). Absent means true.
   */
  readonly keepsTexts?: boolean;
  upsert(chunks: Chunk[], vectors: number[][]): Promise<void>;
  /** The `limit` nearest chunks to `vector` that pass `filter`. */
  query(vector: number[], limit: number, filter?: ChunkFilter): Promise<VectorHit[]>;
  delete(ids: string[]): Promise<void>;
  count(): Promise<number>;
  /** Drops every vector (a reindex with another embedder starts empty). */
  clear(): Promise<void>;
  close(): Promise<void>;
}
