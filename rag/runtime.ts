/**
 * Retrieval as a process runs it. The embedder: the weight-free one by default (`RAG_EMBEDDER`
 * `hash`), or Ollama's `OLLAMA_EMBED_MODEL` (`RAG_EMBEDDER=ollama`). The vector store: ChromaDB
 * at `CHROMA_URL`, or, in the embedded mode, the Chroma server the `chromadb` package ships,
 * started for `DATA_DIR/chroma` in the background (search answers by keywords until it is up,
 * and says so). New proposals, orders and fills are indexed as the orders module announces them
 * on the bus; notes, imports and backtests when a search or a reindex catches up.
 */
import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import type { Pool } from '../store/db/pool.js';
import type { Bus } from '../store/kv/bus.js';
import { createHashEmbedder } from './embedders/hash-embedder.js';
import { createOllamaEmbedder } from './embedders/ollama-embedder.js';
import type { Embedder, VectorStore } from './ports.js';
import { createRetrieval, type Retrieval } from './retrieval.js';
import { type ChromaServer, startChromaServer } from './stores/chroma-server.js';
import { createChromaStore } from './stores/chroma-store.js';

export interface RetrievalHealth {
  status: 'ok' | 'down' | 'degraded' | 'not_configured';
  detail: string;
}

export interface RetrievalRuntime {
  retrieval: Retrieval;
  /** Resolves when the vector store is ready (or known to have failed). */
  ready: Promise<void>;
  health(): Promise<RetrievalHealth>;
  close(): Promise<void>;
}

/** A vector store that is not there yet: every call fails with "starting" until `attach`. */
function lateStore(): VectorStore & {
  attach(store: VectorStore): void;
  failed(reason: string): void;
} {
  let inner: VectorStore | undefined;
  let reason = 'starting';
  const get = () => {
    if (!inner) throw new Error(`the vector store is ${reason}`);
    return inner;
  };
  return {
    get name() {
      return inner?.name ?? 'chroma (starting)';
    },
    attach(store) {
      inner = store;
    },
    failed(why) {
      reason = `down: ${why}`;
    },
    upsert: async (chunks, vectors) => get().upsert(chunks, vectors),
    query: async (vector, limit, filter) => get().query(vector, limit, filter),
    delete: async (ids) => get().delete(ids),
    count: async () => get().count(),
    clear: async () => get().clear(),
    close: async () => inner?.close(),
  };
}

/**
 * The Chroma store retrieval writes to: vectors and filter fields only, since the passages'
 * texts and citations are read from PostgreSQL (rag_chunks), the source of truth.
 */
export function openChromaStore(url: string) {
  return createChromaStore({ url, texts: false });
}

export function embedderFrom(config: Config): Embedder {
  return config.rag.embedder === 'ollama'
    ? createOllamaEmbedder({ host: config.ollama.host, model: config.ollama.embedModel })
    : createHashEmbedder();
}

export function createRetrievalRuntime(options: {
  pool: Pool;
  config: Config;
  logger: Logger;
  bus?: Bus;
  /** Start the packaged Chroma server under DATA_DIR when CHROMA_URL is unset (the embedded mode). */
  embeddedChroma?: boolean;
}): RetrievalRuntime {
  const { pool, config, logger } = options;
  const store = lateStore();
  const embedder = embedderFrom(config);
  const retrieval = createRetrieval({ pool, embedder, store, logger });
  let server: ChromaServer | undefined;
  let where = config.chromaUrl ?? 'not started';
  let failure: string | undefined;
  const unsubscribe: (() => Promise<void>)[] = [];

  const ready = (async () => {
    try {
      let url = config.chromaUrl;
      if (!url) {
        if (options.embeddedChroma === false) {
          failure = 'no CHROMA_URL and no embedded Chroma in this process';
          store.failed(failure);
          return;
        }
        server = await startChromaServer({ dataDir: config.dataDir, logger });
        url = server.url;
        where = `embedded Chroma at ${url} (data ${server.path}, log ${server.logFile})`;
      } else where = `Chroma at ${url} (CHROMA_URL)`;
      store.attach(await openChromaStore(url));
      logger.info({ where }, 'retrieval: vector store ready');
      // Passages written while it started (or while it was away) go in now.
      await retrieval
        .catchUp()
        .catch((error: Error) => logger.warn({ err: error }, 'retrieval: first catch-up failed'));
    } catch (error) {
      failure = (error as Error).message.slice(0, 300);
      store.failed(failure);
      logger.warn({ err: error }, 'retrieval: no vector store; search answers by keywords');
    }
  })();

  // New proposals, orders and fills, as announced: indexed a moment later, in one pass.
  let timer: NodeJS.Timeout | undefined;
  const soon = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void retrieval
        .catchUp()
        .catch((error: Error) => logger.warn({ err: error }, 'retrieval: catch-up failed'));
    }, 250);
    timer.unref();
  };
  if (options.bus) {
    for (const topic of [
      'proposal.created',
      'proposal.approved',
      'proposal.rejected',
      'proposal.expired',
      'order.filled',
      'order.failed',
      'order.cancelled',
    ] as const)
      void options.bus
        .subscribe(topic, soon)
        .then((off) => unsubscribe.push(off))
        .catch((error: Error) =>
          logger.warn({ err: error, topic }, 'retrieval: could not subscribe'),
        );
  }

  return {
    retrieval,
    ready,
    async health() {
      if (failure)
        return {
          status: config.chromaUrl ? 'down' : 'degraded',
          detail: `${failure}; search answers by keywords over PostgreSQL`,
        };
      if (server) {
        const h = await server.health();
        return h.ok
          ? { status: 'ok', detail: `${where}; embedder ${embedder.id}` }
          : {
              status: 'degraded',
              detail: `embedded Chroma ${h.state}${h.detail ? `: ${h.detail}` : ''}; search answers by keywords meanwhile`,
            };
      }
      if (config.chromaUrl) {
        try {
          await store.count();
          return { status: 'ok', detail: `${where}; embedder ${embedder.id}` };
        } catch (error) {
          return {
            status: 'down',
            detail: `${where}: ${(error as Error).message.slice(0, 200)}; search answers by keywords`,
          };
        }
      }
      return {
        status: 'degraded',
        detail: 'the vector store is starting; search answers by keywords meanwhile',
      };
    },
    async close() {
      if (timer) clearTimeout(timer);
      await Promise.all(unsubscribe.map((off) => off().catch(() => undefined)));
      await ready.catch(() => undefined);
      await store.close().catch(() => undefined);
      await server?.stop();
    },
  };
}
