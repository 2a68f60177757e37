/**
 * The contract every VectorStore passes (docs/STYLE.md: one suite, every implementation):
 * upsert by id (twice adds nothing, the second text wins), nearest first, each filter and their
 * combination, date overlap, delete, count, clear, and refusals of bad input that name the
 * value. Call it in a test file with a factory giving an empty store.
 */
import { describe, expect, it } from 'vitest';
import type { Chunk, ChunkMetadata, VectorStore } from '../ports.js';

const DIMENSIONS = 8;

/** A unit vector pointing mostly along `axis`, tilted a little by `tilt` along the next axis. */
function direction(axis: number, tilt = 0): number[] {
  const vector = new Array<number>(DIMENSIONS).fill(0);
  vector[axis % DIMENSIONS] = 1;
  vector[(axis + 1) % DIMENSIONS] = tilt;
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

function unit(vector: number[]): number[] {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

function chunk(id: string, metadata: Partial<ChunkMetadata> = {}, text = `text of ${id}`): Chunk {
  return {
    id,
    text,
    metadata: {
      kind: 'note',
      cites: JSON.stringify({ note_id: id }),
      embedder: 'test-v1',
      ...metadata,
    },
  };
}

/** Ten chunks: kinds, symbols, sides, strategies and dates to filter on; vectors fanning out from axis 0. */
const FIXTURE: { chunk: Chunk; vector: number[] }[] = [
  {
    chunk: chunk('n1', { kind: 'note', symbol: 'NVDA', date: '2024-01-10' }),
    vector: direction(0, 0),
  },
  {
    chunk: chunk('o1', { kind: 'order', symbol: 'NVDA', side: 'sell', date: '2024-02-01' }),
    vector: direction(0, 0.1),
  },
  {
    chunk: chunk('f1', { kind: 'fill', symbol: 'NVDA', side: 'sell', date: '2024-02-02' }),
    vector: direction(0, 0.2),
  },
  {
    chunk: chunk('t1', {
      kind: 'trade',
      symbol: 'JPM',
      side: 'buy',
      strategy: 'momentum_rotation',
      date: '2024-01-05',
      date_end: '2024-03-20',
    }),
    vector: direction(0, 0.3),
  },
  {
    chunk: chunk('p1', {
      kind: 'proposal',
      symbol: 'JPM',
      side: 'buy',
      strategy: 'momentum_rotation',
      date: '2024-01-04',
    }),
    vector: direction(0, 0.5),
  },
  {
    chunk: chunk('b1', {
      kind: 'backtest',
      symbol: 'MSFT',
      strategy: 'sma_cross',
      date: '2019-01-02',
      date_end: '2024-12-31',
    }),
    vector: direction(0, 0.8),
  },
  {
    chunk: chunk('x1', {
      kind: 'optimization',
      symbol: 'MSFT',
      strategy: 'sma_cross',
      date: '2025-06-30',
    }),
    vector: direction(0, 1.5),
  },
  {
    chunk: chunk('i1', { kind: 'imported_trade', symbol: 'AAPL', side: 'buy', date: '2023-11-15' }),
    vector: direction(1, 0),
  },
  // Mostly along axis 3, a little towards the query: ranks above the orthogonal ones (no ties).
  {
    chunk: chunk('n2', { kind: 'note', symbol: 'AAPL' }),
    vector: unit([0.05, 0, 0, 1, 0, 0, 0, 0]),
  },
  {
    chunk: chunk('n3', { kind: 'note' }, 'a general note, no symbol, no date'),
    vector: direction(5, 0),
  },
];
const QUERY = direction(0, 0);

async function filled(store: VectorStore): Promise<VectorStore> {
  await store.upsert(
    FIXTURE.map((one) => one.chunk),
    FIXTURE.map((one) => one.vector),
  );
  return store;
}

const ids = (hits: { chunk: Chunk }[]) => hits.map((hit) => hit.chunk.id);

/** What a hit gives back of `chunk`: all of it, or for a store without texts its filter fields. */
function asStored(store: VectorStore, chunk: Chunk | undefined): Chunk | undefined {
  if (!chunk || store.keepsTexts !== false) return chunk;
  const { kind, symbol, side, strategy, date, date_end } = chunk.metadata;
  const fields = { kind, symbol, side, strategy, date, date_end };
  const metadata = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return {
    id: chunk.id,
    text: '',
    metadata: { ...metadata, cites: '{}', embedder: '' } as ChunkMetadata,
  };
}

/** Runs the contract against stores `create()` gives (each empty); `dispose` after each test. */
export function vectorStoreContract(
  label: string,
  create: () => Promise<VectorStore>,
  dispose: (store: VectorStore) => Promise<void> = (store) => store.close(),
): void {
  const withStore = (run: (store: VectorStore) => Promise<void>) => async () => {
    const store = await create();
    try {
      await run(store);
    } finally {
      await dispose(store);
    }
  };

  describe(`vector store contract: ${label}`, () => {
    it(
      'starts empty and answers a query on nothing with nothing',
      withStore(async (store) => {
        expect(await store.count()).toBe(0);
        expect(await store.query(QUERY, 5)).toEqual([]);
      }),
    );

    it(
      'returns the nearest first, with cosine similarities, its texts and its metadata intact',
      withStore(async (store) => {
        await filled(store);
        const hits = await store.query(QUERY, 7);
        expect(ids(hits)).toEqual(['n1', 'o1', 'f1', 't1', 'p1', 'b1', 'x1']);
        expect(hits[0]?.similarity).toBeCloseTo(1, 4);
        for (const [k, hit] of hits.entries()) {
          const expected = FIXTURE.find((one) => one.chunk.id === hit.chunk.id);
          expect(hit.chunk).toEqual(asStored(store, expected?.chunk));
          const cosine = QUERY.reduce((sum, v, j) => sum + v * (expected?.vector[j] as number), 0);
          expect(hit.similarity).toBeCloseTo(cosine, 4);
          if (k > 0) expect(hit.similarity).toBeLessThanOrEqual(hits[k - 1]?.similarity as number);
        }
        // An orthogonal vector scores about 0, an opposite one about -1 (and comes last).
        const all = await store.query(QUERY, 10);
        expect(all.find((hit) => hit.chunk.id === 'n3')?.similarity).toBeCloseTo(0, 4);
        const opposite = await store.query(
          QUERY.map((v) => -v),
          10,
        );
        expect(opposite.at(-1)?.chunk.id).toBe('n1');
        expect(opposite.at(-1)?.similarity).toBeCloseTo(-1, 4);
      }),
    );

    it(
      'gives at most `limit` hits, and all there are when fewer',
      withStore(async (store) => {
        await filled(store);
        expect(await store.query(QUERY, 3)).toHaveLength(3);
        expect(await store.query(QUERY, 1000)).toHaveLength(FIXTURE.length);
      }),
    );

    it(
      'upserts by id: writing the same chunks twice adds no rows, and the last text and vector win',
      withStore(async (store) => {
        await filled(store);
        await filled(store);
        expect(await store.count()).toBe(FIXTURE.length);
        await store.upsert(
          [chunk('n1', { kind: 'note', symbol: 'NVDA', date: '2024-01-10' }, 'rewritten')],
          [direction(6)],
        );
        expect(await store.count()).toBe(FIXTURE.length);
        const [top] = await store.query(direction(6), 1);
        expect(top?.chunk.id).toBe('n1');
        if (store.keepsTexts !== false) expect(top?.chunk.text).toBe('rewritten');
        expect(ids(await store.query(QUERY, 1))).toEqual(['o1']);
      }),
    );

    it(
      'filters by symbol, side, strategy and kinds, alone and together',
      withStore(async (store) => {
        await filled(store);
        expect(ids(await store.query(QUERY, 10, { symbol: 'NVDA' }))).toEqual(['n1', 'o1', 'f1']);
        expect(ids(await store.query(QUERY, 10, { side: 'sell' }))).toEqual(['o1', 'f1']);
        expect(ids(await store.query(QUERY, 10, { strategy: 'momentum_rotation' }))).toEqual([
          't1',
          'p1',
        ]);
        expect(ids(await store.query(QUERY, 10, { kinds: ['note'] }))).toEqual(['n1', 'n2', 'n3']);
        expect(ids(await store.query(QUERY, 10, { kinds: ['fill', 'proposal'] }))).toEqual([
          'f1',
          'p1',
        ]);
        expect(ids(await store.query(QUERY, 10, { kinds: [] }))).toHaveLength(FIXTURE.length);
        expect(
          ids(await store.query(QUERY, 10, { symbol: 'NVDA', side: 'sell', kinds: ['fill'] })),
        ).toEqual(['f1']);
        expect(await store.query(QUERY, 10, { symbol: 'NVDA', strategy: 'sma_cross' })).toEqual([]);
        expect(await store.query(QUERY, 10, { symbol: 'TSLA' })).toEqual([]);
      }),
    );

    it(
      'filters by dates: a passage passes when its days overlap [start, end]; undated passages do not',
      withStore(async (store) => {
        await filled(store);
        // t1 spans 2024-01-05..2024-03-20; b1 2019..2024.
        expect(ids(await store.query(QUERY, 10, { start: '2024-02-01' }))).toEqual([
          'o1',
          'f1',
          't1',
          'b1',
          'x1',
        ]);
        expect(ids(await store.query(QUERY, 10, { end: '2024-01-04' }))).toEqual([
          'p1',
          'b1',
          'i1',
        ]);
        expect(
          ids(await store.query(QUERY, 10, { start: '2024-02-02', end: '2024-02-02' })),
        ).toEqual(['f1', 't1', 'b1']);
        expect(
          ids(
            await store.query(QUERY, 10, {
              start: '2025-01-01',
              end: '2025-12-31',
              symbol: 'MSFT',
            }),
          ),
        ).toEqual(['x1']);
        expect(
          ids(
            await store.query(QUERY, 10, {
              start: '2024-03-21',
              end: '2024-12-30',
              kinds: ['trade', 'backtest'],
            }),
          ),
        ).toEqual(['b1']);
      }),
    );

    it(
      'deletes by id (unknown ids and an empty list are fine) and counts what is left',
      withStore(async (store) => {
        await filled(store);
        await store.delete(['o1', 'f1', 'no-such-id']);
        await store.delete([]);
        expect(await store.count()).toBe(FIXTURE.length - 2);
        expect(ids(await store.query(QUERY, 3))).toEqual(['n1', 't1', 'p1']);
        await store.upsert([FIXTURE[1]?.chunk as Chunk], [FIXTURE[1]?.vector as number[]]);
        expect(await store.count()).toBe(FIXTURE.length - 1);
      }),
    );

    it(
      'clears everything, and takes vectors of another dimension afterwards (a reindex with another embedder)',
      withStore(async (store) => {
        await filled(store);
        await store.clear();
        expect(await store.count()).toBe(0);
        expect(await store.query(QUERY, 5)).toEqual([]);
        await store.upsert([chunk('w1')], [[0.6, 0.8, 0]]);
        expect(ids(await store.query([0.6, 0.8, 0], 1))).toEqual(['w1']);
      }),
    );

    it(
      'accepts an empty upsert, unicode and punctuation in ids and texts',
      withStore(async (store) => {
        await store.upsert([], []);
        const odd = chunk(
          'note:ü/ä 1#x',
          { kind: 'note', symbol: 'GLE.PA' },
          'Société Générale 買い 😀',
        );
        await store.upsert([odd], [direction(2)]);
        const [hit] = await store.query(direction(2), 1, { symbol: 'GLE.PA' });
        expect(hit?.chunk).toEqual(asStored(store, odd));
      }),
    );

    it(
      'refuses bad input, naming it, and keeps what it had',
      withStore(async (store) => {
        await filled(store);
        await expect(store.upsert([chunk('a')], [])).rejects.toThrow(/1 chunks but 0 vectors/);
        await expect(store.upsert([chunk('')], [direction(0)])).rejects.toThrow(
          /id "" must be a non-empty/,
        );
        await expect(
          store.upsert([chunk('a'), chunk('a')], [direction(0), direction(1)]),
        ).rejects.toThrow(/a appears twice/);
        await expect(
          store.upsert([chunk('a')], [[Number.NaN, ...direction(0).slice(1)]]),
        ).rejects.toThrow(/value 0 is NaN/);
        await expect(store.upsert([chunk('a')], [[1, 0, 0]])).rejects.toThrow(/3 dimensions/);
        await expect(
          store.upsert([chunk('a', { date: '2024-02-30' })], [direction(0)]),
        ).rejects.toThrow(/"2024-02-30" is not an ISO date/);
        await expect(
          store.upsert(
            [chunk('a', { date: '2024-02-03', date_end: '2024-02-01' })],
            [direction(0)],
          ),
        ).rejects.toThrow(/before its date/);
        await expect(store.query(QUERY, 0)).rejects.toThrow(/limit 0: .*1 to 1000/);
        await expect(store.query(QUERY, 5, { start: 'last week' })).rejects.toThrow(
          /start "last week" is not an ISO date/,
        );
        await expect(
          store.query(QUERY, 5, { start: '2024-02-01', end: '2024-01-01' }),
        ).rejects.toThrow(/after end/);
        await expect(store.query([1, 0, 0], 5)).rejects.toThrow(/3 dimensions/);
        expect(await store.count()).toBe(FIXTURE.length);
      }),
    );

    it(
      'takes concurrent upserts of different chunks without losing any',
      withStore(async (store) => {
        const many = Array.from({ length: 200 }, (_, k) => ({
          chunk: chunk(`c${k}`, { kind: k % 2 ? 'order' : 'note', symbol: `S${k % 5}` }),
          vector: direction(k % DIMENSIONS, (k % 17) / 10),
        }));
        await Promise.all(
          Array.from({ length: 4 }, (_, part) => {
            const slice = many.slice(part * 50, part * 50 + 50);
            return store.upsert(
              slice.map((one) => one.chunk),
              slice.map((one) => one.vector),
            );
          }),
        );
        expect(await store.count()).toBe(200);
        const hits = await store.query(direction(0), 100, { symbol: 'S0', kinds: ['note'] });
        expect(
          hits.every(
            (hit) => hit.chunk.metadata.symbol === 'S0' && hit.chunk.metadata.kind === 'note',
          ),
        ).toBe(true);
        expect(hits).toHaveLength(20);
      }),
    );
  });
}
