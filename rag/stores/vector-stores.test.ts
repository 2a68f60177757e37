/**
 * The vector-store contract against the memory store and against a real Chroma server that this
 * file starts (the package's own `chroma run`, through startChromaServer), plus what only Chroma has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { freePort } from '../../test/helpers/cli.js';
import { tempFolder } from '../../test/helpers/fixtures.js';
import type { Chunk } from '../ports.js';
import { type ChromaServer, startChromaServer } from './chroma-server.js';
import { ChromaUnavailableError, chromaWhere, createChromaStore } from './chroma-store.js';
import { createMemoryStore } from './memory-store.js';
import { normaliseFilter } from './store-input.js';
import { vectorStoreContract } from './vector-store-contract.js';

let server: ChromaServer;
let cleanup: () => Promise<void> = async () => {};
let collections = 0;

beforeAll(async () => {
  const folder = await tempFolder();
  cleanup = folder.cleanup;
  server = await startChromaServer({ dataDir: folder.dir, logger: silentLogger() });
});
afterAll(async () => {
  await server?.stop();
  await cleanup();
});

vectorStoreContract('memory', async () => createMemoryStore());
vectorStoreContract('chroma (filtered queries from the in-process filter index)', async () => {
  const store = await createChromaStore({
    url: server.url,
    collection: `contract_${process.pid}_${collections++}`,
  });
  expect(await store.filterIndexReady).toBe(true);
  return store;
});
vectorStoreContract('chroma without texts (vectors and filter fields only)', async () => {
  const store = await createChromaStore({
    url: server.url,
    collection: `contract_lean_${process.pid}_${collections++}`,
    texts: false,
  });
  expect(store.keepsTexts).toBe(false);
  expect(await store.filterIndexReady).toBe(true);
  return store;
});
vectorStoreContract('chroma without texts, by Chroma’s own where', async () =>
  createChromaStore({
    url: server.url,
    collection: `contract_lean_where_${process.pid}_${collections++}`,
    texts: false,
    filterIndex: false,
  }),
);
vectorStoreContract('chroma (filtered queries by Chroma’s own where)', async () =>
  createChromaStore({
    url: server.url,
    collection: `contract_where_${process.pid}_${collections++}`,
    filterIndex: false,
  }),
);

const note = (id: string, text = `note ${id}`): Chunk => ({
  id,
  text,
  metadata: { kind: 'note', cites: '{}', embedder: 'test-v1', symbol: 'NVDA', date: '2024-05-01' },
});

describe('chroma store', () => {
  it('keeps its rows in the collection across store instances (the server holds them)', async () => {
    const name = `reopen_${process.pid}`;
    const first = await createChromaStore({ url: server.url, collection: name });
    await first.upsert(
      [note('a'), note('b')],
      [
        [1, 0],
        [0, 1],
      ],
    );
    await first.close();
    const second = await createChromaStore({ url: server.url, collection: name });
    expect(await second.count()).toBe(2);
    const [hit] = await second.query([1, 0], 1);
    // The yyyymmdd numbers kept for date filters are Chroma's business, not the chunk's.
    expect(hit?.chunk).toEqual(note('a'));
    await second.clear();
    await second.close();
  });

  it.each([
    ['with texts', true],
    ['without texts', false],
  ])(
    'loads the filter index from what the collection already holds (%s), and filters the same way as Chroma',
    async (_, texts) => {
      const name = `index_${texts}_${process.pid}`;
      const writer = await createChromaStore({ url: server.url, collection: name, texts });
      const symbols = ['NVDA', 'JPM', 'MSFT'];
      const chunks = Array.from({ length: 300 }, (_, k) => ({
        ...note(`i${k}`),
        metadata: {
          ...note(`i${k}`).metadata,
          symbol: symbols[k % 3] as string,
          kind: k % 2 ? 'order' : 'note',
          date: `2024-0${1 + (k % 9)}-1${k % 10}`,
        },
      }));
      const vectors = chunks.map((_, k) => [Math.cos(k / 7), Math.sin(k / 7), (k % 5) / 5]);
      await writer.upsert(chunks, vectors);
      const indexed = await createChromaStore({ url: server.url, collection: name, texts });
      expect(await indexed.filterIndexReady).toBe(true);
      const plain = await createChromaStore({
        url: server.url,
        collection: name,
        filterIndex: false,
        texts,
      });
      const filters = [
        { symbol: 'JPM' },
        { kinds: ['order'], start: '2024-03-01', end: '2024-05-31' },
        { symbol: 'NVDA', kinds: ['note', 'order'], end: '2024-02-15' },
      ];
      for (const filter of filters) {
        for (const query of [
          [1, 0, 0],
          [0, 1, 0.5],
          [-1, 0.2, 0.9],
        ]) {
          const a = await indexed.query(query, 10, filter);
          const b = await plain.query(query, 10, filter);
          expect(a.map((hit) => hit.chunk.id)).toEqual(b.map((hit) => hit.chunk.id));
          expect(a.length).toBeGreaterThan(0);
          for (const [k, hit] of a.entries()) {
            expect(hit.similarity).toBeCloseTo(b[k]?.similarity as number, 5);
            expect(hit.chunk).toEqual(b[k]?.chunk);
          }
        }
      }
      await expect(indexed.query([1, 0], 5, { symbol: 'JPM' })).rejects.toThrow(/2 dimensions/);
      await indexed.clear();
    },
  );

  it('writes more than Chroma’s batch limit in one upsert', async () => {
    const store = await createChromaStore({ url: server.url, collection: `big_${process.pid}` });
    const chunks = Array.from({ length: 6000 }, (_, k) => note(`n${k}`));
    const vectors = chunks.map((_, k) => [Math.cos(k), Math.sin(k), 1]);
    await store.upsert(chunks, vectors);
    expect(await store.count()).toBe(6000);
    await store.upsert(chunks, vectors);
    expect(await store.count()).toBe(6000);
    await store.delete(chunks.slice(0, 2500).map((one) => one.id));
    expect(await store.count()).toBe(3500);
    await store.clear();
  });

  it('builds Chroma where clauses: none, one clause bare, several under $and, dates as numbers', () => {
    expect(chromaWhere(normaliseFilter({}))).toBeUndefined();
    expect(chromaWhere(normaliseFilter({ symbol: 'JPM' }))).toEqual({ symbol: { $eq: 'JPM' } });
    expect(
      chromaWhere(
        normaliseFilter({ kinds: ['note', 'fill'], start: '2024-01-01', end: '2024-12-31' }),
      ),
    ).toEqual({
      $and: [
        { kind: { $in: ['note', 'fill'] } },
        { date_to_n: { $gte: 20240101 } },
        { date_from_n: { $lte: 20241231 } },
      ],
    });
  });

  it('says Chroma is unavailable, naming the URL, when nothing answers there', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await createChromaStore({ url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChromaUnavailableError);
    expect((error as Error).message).toContain(url);
  });

  it('refuses a bad URL or collection name, naming it', async () => {
    await expect(createChromaStore({ url: 'localhost:8000' })).rejects.toThrow(/localhost:8000/);
    await expect(createChromaStore({ url: server.url, collection: 'x' })).rejects.toThrow(
      /"x": use 3–512 characters/,
    );
  });
});
