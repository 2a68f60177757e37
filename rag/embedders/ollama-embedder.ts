/**
 * The Ollama embedder: POST /api/embed through the `ollama` client, `truncate: true` so that a
 * passage longer than the model's context is cut rather than refused. The dimension is the
 * model's, learned from its first answer (`ready()` asks once); every later answer must match it.
 */
import { Ollama } from 'ollama';
import type { Embedder } from '../ports.js';

export const OLLAMA_EMBED_BATCH = 64;

/** Ollama could not embed: unreachable, the model not pulled, or an answer that is not vectors. */
export class OllamaEmbedError extends Error {
  override name = 'OllamaEmbedError';
  constructor(
    message: string,
    readonly code: 'unreachable' | 'model_missing' | 'bad_answer' | 'failed',
  ) {
    super(message);
  }
}

export interface OllamaEmbedder extends Embedder {
  /** Embeds one probe text to learn the dimension (and prove the model is there); idempotent. */
  ready(signal?: AbortSignal): Promise<void>;
}

function explain(error: unknown, host: string, model: string): OllamaEmbedError {
  if (error instanceof OllamaEmbedError) return error;
  const e = error as {
    name?: string;
    message?: string;
    cause?: { code?: string };
    status_code?: number;
  };
  const message = e?.message ?? String(error);
  if (
    e?.cause?.code === 'ECONNREFUSED' ||
    e?.cause?.code === 'ENOTFOUND' ||
    /fetch failed|ECONNREFUSED/.test(message)
  ) {
    return new OllamaEmbedError(
      `no Ollama answers at ${host} (OLLAMA_HOST) to embed with ${model}: start it (\`ollama serve\`) or use the weight-free embedder`,
      'unreachable',
    );
  }
  if (e?.status_code === 404 || /not found/i.test(message)) {
    return new OllamaEmbedError(
      `the embedding model ${model} is not pulled on Ollama at ${host}: run \`ollama pull ${model}\` (or set OLLAMA_EMBED_MODEL)`,
      'model_missing',
    );
  }
  return new OllamaEmbedError(
    `Ollama at ${host} failed to embed with ${model}: ${message.slice(0, 300)}`,
    'failed',
  );
}

/**
 * Creates an embedder for `model` on the Ollama at `host`. `dimensions` is 0 until the first
 * answer (call `ready()` before reading it); `batch` texts go in one request.
 */
export function createOllamaEmbedder(options: {
  host: string;
  model: string;
  batch?: number;
}): OllamaEmbedder {
  const { host, model } = options;
  const batch = options.batch ?? OLLAMA_EMBED_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > 4096) {
    throw new RangeError(`Ollama embed batch ${batch}: use a whole number from 1 to 4096`);
  }
  if (!model.trim()) throw new RangeError('Ollama embed model is empty: set OLLAMA_EMBED_MODEL');
  const client = new Ollama({ host });
  let dimensions = 0;

  /** `ollama` has no per-request signal for embed; a client whose fetch carries one does it. */
  const clientFor = (signal?: AbortSignal) =>
    signal
      ? new Ollama({ host, fetch: (input, init) => fetch(input, { ...init, signal }) })
      : client;

  const request = async (input: string[], signal?: AbortSignal): Promise<number[][]> => {
    let answer: { embeddings?: unknown };
    try {
      answer = await clientFor(signal).embed({ model, input, truncate: true });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw explain(error, host, model);
    }
    const vectors = answer?.embeddings;
    if (!Array.isArray(vectors) || vectors.length !== input.length) {
      throw new OllamaEmbedError(
        `Ollama at ${host} answered ${Array.isArray(vectors) ? vectors.length : 'no'} embeddings for ${input.length} texts (model ${model})`,
        'bad_answer',
      );
    }
    for (const [k, vector] of vectors.entries()) {
      if (
        !Array.isArray(vector) ||
        vector.length === 0 ||
        !vector.every((value) => typeof value === 'number' && Number.isFinite(value))
      ) {
        throw new OllamaEmbedError(
          `Ollama at ${host} answered embedding ${k} that is not a list of finite numbers (model ${model})`,
          'bad_answer',
        );
      }
      if (dimensions === 0) dimensions = vector.length;
      if (vector.length !== dimensions) {
        throw new OllamaEmbedError(
          `Ollama at ${host} answered a ${vector.length}-dimension embedding from ${model}, which gave ${dimensions} before: was the model replaced? Reindex.`,
          'bad_answer',
        );
      }
    }
    // /api/embed answers unit vectors; normalise anyway so that the port's promise holds for any server.
    return (vectors as number[][]).map((vector) => {
      let norm = 0;
      for (const value of vector) norm += value * value;
      norm = Math.sqrt(norm);
      return norm === 0 || Math.abs(norm - 1) < 1e-6 ? vector : vector.map((v) => v / norm);
    });
  };

  const embedder: OllamaEmbedder = {
    id: `ollama:${model}`,
    get dimensions() {
      return dimensions;
    },
    async ready(signal) {
      if (dimensions === 0) await request(['dimension probe'], signal);
    },
    async embed(texts, signal) {
      if (!Array.isArray(texts)) {
        throw new TypeError(`embed takes a list of texts, got ${typeof texts}`);
      }
      for (const [k, text] of texts.entries()) {
        if (typeof text !== 'string') {
          throw new TypeError(`embed: text ${k} is ${typeof text}, not a string`);
        }
      }
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += batch) {
        signal?.throwIfAborted();
        vectors.push(...(await request(texts.slice(start, start + batch), signal)));
      }
      return vectors;
    },
  };
  return embedder;
}
