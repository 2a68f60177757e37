/**
 * The contract every Embedder passes (docs/STYLE.md: one suite, every implementation): the same
 * text gives the same vector, every vector has `dimensions` finite numbers and unit length, the
 * order of the answers is the order of the texts, an empty list gives an empty list, and long,
 * unicode and concurrent inputs work. Call it inside a test file with a factory for the embedder.
 */
import { describe, expect, it } from 'vitest';
import type { Embedder } from '../ports.js';

const TEXTS = [
  'Sold 50 NVDA at 131.20 after the momentum_rotation strategy rotated into JPM.',
  'Journal note: trimmed JPM ahead of earnings, risk check max_position_pct passed.',
  'Backtest sma_cross on MSFT 2019-01-01..2024-12-31: sharpe 1.12, max drawdown 18 %.',
  'order 0b6f1c52-8a3e-4d6e-9f55-1e2b7c4a9d10 filled 100 @ 412.05',
];

const norm = (vector: number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
const cosine = (a: number[], b: number[]) =>
  a.reduce((sum, value, k) => sum + value * (b[k] as number), 0) / (norm(a) * norm(b));

function expectWellFormed(vectors: number[][], count: number, dimensions: number): void {
  expect(vectors).toHaveLength(count);
  for (const vector of vectors) {
    expect(vector).toHaveLength(dimensions);
    expect(vector.every((value) => typeof value === 'number' && Number.isFinite(value))).toBe(true);
    expect(norm(vector)).toBeCloseTo(1, 5);
  }
}

/**
 * Runs the contract against the embedder `create()` gives (awaited once per test, so a factory
 * may start a stand-in server); `close` is called after each test when given.
 */
export function embedderContract(
  label: string,
  create: () => Promise<Embedder>,
  close?: (embedder: Embedder) => Promise<void>,
): void {
  const withEmbedder = (run: (embedder: Embedder) => Promise<void>) => async () => {
    const embedder = await create();
    try {
      await run(embedder);
    } finally {
      await close?.(embedder);
    }
  };

  describe(`embedder contract: ${label}`, () => {
    it(
      'has a stable id and a positive dimension once it has answered',
      withEmbedder(async (embedder) => {
        expect(embedder.id).toMatch(/^[a-z][\w.-]*(:[\w.:/-]+)?$/);
        await embedder.embed(['probe']);
        expect(Number.isInteger(embedder.dimensions)).toBe(true);
        expect(embedder.dimensions).toBeGreaterThan(0);
      }),
    );

    it(
      'gives vectors of its dimension, finite and of unit length',
      withEmbedder(async (embedder) => {
        const vectors = await embedder.embed(TEXTS);
        expectWellFormed(vectors, TEXTS.length, embedder.dimensions);
      }),
    );

    it(
      'gives the same vector for the same text, in one call, across calls and across instances',
      withEmbedder(async (embedder) => {
        const [first, again] = await embedder.embed([TEXTS[0] as string, TEXTS[0] as string]);
        expect(again).toEqual(first);
        const [later] = await embedder.embed([TEXTS[0] as string]);
        expect(later).toEqual(first);
        const other = await create();
        try {
          const [fresh] = await other.embed([TEXTS[0] as string]);
          expect(fresh).toEqual(first);
          expect(other.id).toBe(embedder.id);
        } finally {
          await close?.(other);
        }
      }),
    );

    it(
      'keeps the order of the texts (each answer is that text alone’s vector)',
      withEmbedder(async (embedder) => {
        const together = await embedder.embed(TEXTS);
        const reversed = await embedder.embed([...TEXTS].reverse());
        expect([...reversed].reverse()).toEqual(together);
        for (const [k, text] of TEXTS.entries()) {
          const [alone] = await embedder.embed([text]);
          expect(alone).toEqual(together[k]);
        }
        // Different texts are different vectors.
        expect(cosine(together[0] as number[], together[3] as number[])).toBeLessThan(0.999);
      }),
    );

    it(
      'answers an empty list with an empty list',
      withEmbedder(async (embedder) => {
        expect(await embedder.embed([])).toEqual([]);
      }),
    );

    it(
      'embeds a long text (100,000 characters) into one well-formed vector',
      withEmbedder(async (embedder) => {
        const long = `${TEXTS.join(' ')} `.repeat(
          Math.ceil(100_000 / (TEXTS.join(' ').length + 1)),
        );
        const vectors = await embedder.embed([long.slice(0, 100_000)]);
        expectWellFormed(vectors, 1, embedder.dimensions);
      }),
    );

    it(
      'embeds unicode (accents, CJK, emoji, right-to-left, combining marks) and keeps it apart',
      withEmbedder(async (embedder) => {
        const texts = [
          'Société Générale: vendu 10 GLE.PA',
          '買い 100 株 トヨタ 7203.T 😀',
          'ملاحظة: بيع السهم',
          'cafe\u0301 ñandú',
        ];
        const vectors = await embedder.embed(texts);
        expectWellFormed(vectors, texts.length, embedder.dimensions);
        expect(cosine(vectors[0] as number[], vectors[1] as number[])).toBeLessThan(0.999);
        const [again] = await embedder.embed([texts[1] as string]);
        expect(again).toEqual(vectors[1]);
      }),
    );

    it(
      'answers concurrent calls each with their own texts’ vectors',
      withEmbedder(async (embedder) => {
        const [expected] = await Promise.all([embedder.embed(TEXTS)]);
        const calls = Array.from({ length: 8 }, (_, k) => {
          const texts = TEXTS.map((text, j) => TEXTS[(j + k) % TEXTS.length] ?? text);
          return embedder.embed(texts).then((vectors) => ({ k, vectors }));
        });
        for (const { k, vectors } of await Promise.all(calls)) {
          expect(vectors).toEqual(
            TEXTS.map((_, j) => (expected as number[][])[(j + k) % TEXTS.length]),
          );
        }
      }),
    );

    it(
      'stops when its signal is aborted before it starts',
      withEmbedder(async (embedder) => {
        const controller = new AbortController();
        controller.abort(new Error('stop: the test aborted'));
        await expect(embedder.embed(TEXTS, controller.signal)).rejects.toThrow(/stop|abort/i);
      }),
    );
  });
}
