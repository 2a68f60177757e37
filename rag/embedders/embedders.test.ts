/** The embedder contract run against each embedder, and what is particular to each. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/cli.js';
import { type FakeOllama, startFakeOllama } from '../../test/helpers/fake-ollama.js';
import { embedderContract } from './embedder-contract.js';
import { createHashEmbedder, HASH_EMBEDDER_DIMENSIONS, hashTokens } from './hash-embedder.js';
import { createOllamaEmbedder, OllamaEmbedError } from './ollama-embedder.js';

const dot = (a: number[], b: number[]) =>
  a.reduce((sum, value, k) => sum + value * (b[k] as number), 0);

embedderContract('hash-v1', async () => createHashEmbedder());
embedderContract('hash-v1 at 64 dimensions', async () => createHashEmbedder({ dimensions: 64 }));

let fake: FakeOllama;
beforeAll(async () => {
  fake = await startFakeOllama();
  fake.embed.dimensions = 256;
});
afterAll(async () => {
  await fake?.close();
});

embedderContract('ollama:nomic-embed-text (through the stand-in)', async () =>
  createOllamaEmbedder({ host: fake.url, model: 'nomic-embed-text', batch: 3 }),
);

describe('hash embedder', () => {
  const embedder = createHashEmbedder();
  const passages = [
    'Sold JPM after the earnings call; the momentum_rotation strategy had rotated out of banks.',
    'Bought NVDA on the breakout, sma_cross signal fast 20 over slow 50.',
    'Journal: order 0b6f1c52-8a3e-4d6e-9f55-1e2b7c4a9d10 was filled at a bad price.',
    'Trimmed MSFT to rebalance into bonds, a quarterly rebalancing.',
  ];
  const nearest = async (question: string) => {
    const [query, ...vectors] = await embedder.embed([question, ...passages]);
    const scores = vectors.map((vector) => dot(query as number[], vector));
    return scores.indexOf(Math.max(...scores));
  };

  it('is hash-v1 at 384 dimensions and names another dimension in its id', () => {
    expect(embedder.id).toBe('hash-v1');
    expect(embedder.dimensions).toBe(HASH_EMBEDDER_DIMENSIONS);
    expect(createHashEmbedder({ dimensions: 512 }).id).toBe('hash-v1:512');
  });

  it('refuses a dimension outside 16..65536, naming it', () => {
    expect(() => createHashEmbedder({ dimensions: 3 })).toThrow(/dimensions 3: .*16 to 65536/);
    expect(() => createHashEmbedder({ dimensions: 10.5 })).toThrow(/10\.5/);
  });

  it('finds exact names: a ticker, a strategy name written as words, an order id', async () => {
    expect(await nearest('why did I sell JPM?')).toBe(0);
    expect(await nearest('which trades came from the momentum rotation?')).toBe(0);
    expect(await nearest('what happened with 0b6f1c52-8a3e-4d6e-9f55-1e2b7c4a9d10')).toBe(2);
    expect(await nearest('sma_cross on NVDA')).toBe(1);
    expect(await nearest('rebalance')).toBe(3);
  });

  it('keeps capitalised tickers that are also stop words (IT, ON) but drops the words', () => {
    expect(hashTokens('Bought IT and ON').words).toEqual(['bought', 'it', 'on']);
    expect(hashTokens('it is on the list').words).toEqual(['list']);
    expect(hashTokens('momentum_rotation').compounds).toEqual(['momentum_rotation']);
  });

  it('gives a unit vector for text with no words (empty, punctuation, only stop words)', async () => {
    const vectors = await embedder.embed(['', '  !?… ', 'why did I']);
    for (const vector of vectors) expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 9);
    expect(vectors[1]).toEqual(vectors[0]);
  });

  it('treats NFKC-equal and case-different texts alike', async () => {
    const [a, b] = await embedder.embed(['ＪＰＭ ﬁll', 'jpm fill']);
    expect(a).toEqual(b);
  });

  it('refuses something that is not a list of strings, naming the position', async () => {
    await expect(embedder.embed(['ok', 42 as unknown as string])).rejects.toThrow(
      /text 1 is number/,
    );
  });
});

describe('ollama embedder', () => {
  it('sends truncate: true, batches the texts, and learns the dimension from the first answer', async () => {
    fake.embeds.length = 0;
    const embedder = createOllamaEmbedder({ host: fake.url, model: 'nomic-embed-text', batch: 4 });
    expect(embedder.id).toBe('ollama:nomic-embed-text');
    expect(embedder.dimensions).toBe(0);
    const texts = Array.from({ length: 10 }, (_, k) => `passage ${k}`);
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(10);
    expect(embedder.dimensions).toBe(256);
    expect(fake.embeds.map((one) => (one.input as string[]).length)).toEqual([4, 4, 2]);
    expect(
      fake.embeds.every((one) => one.truncate === true && one.model === 'nomic-embed-text'),
    ).toBe(true);
  });

  it('ready() asks once and then knows the dimension', async () => {
    const embedder = createOllamaEmbedder({ host: fake.url, model: 'nomic-embed-text' });
    fake.embeds.length = 0;
    await embedder.ready();
    await embedder.ready();
    expect(embedder.dimensions).toBe(256);
    expect(fake.embeds).toHaveLength(1);
  });

  it('says to ollama pull a model that is not there', async () => {
    const embedder = createOllamaEmbedder({ host: fake.url, model: 'mxbai-embed-large' });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OllamaEmbedError);
    expect((error as OllamaEmbedError).code).toBe('model_missing');
    expect((error as Error).message).toContain('ollama pull mxbai-embed-large');
    expect((error as Error).message).toContain(fake.url);
  });

  it('names the host when nothing answers there', async () => {
    const host = `http://127.0.0.1:${await freePort()}`;
    const embedder = createOllamaEmbedder({ host, model: 'nomic-embed-text' });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect((error as OllamaEmbedError).code).toBe('unreachable');
    expect((error as Error).message).toContain(host);
    expect((error as Error).message).toContain('nomic-embed-text');
  });

  it('refuses an answer whose dimension changed (the model was replaced), asking for a reindex', async () => {
    const embedder = createOllamaEmbedder({ host: fake.url, model: 'nomic-embed-text' });
    await embedder.ready();
    fake.embed.dimensions = 128;
    try {
      await expect(embedder.embed(['x'])).rejects.toThrow(/128-dimension .* 256 before.*Reindex/);
    } finally {
      fake.embed.dimensions = 256;
    }
  });

  it('reports a server error with its status text', async () => {
    const embedder = createOllamaEmbedder({ host: fake.url, model: 'nomic-embed-text' });
    fake.embed.status = 500;
    try {
      const error = await embedder.embed(['x']).catch((e: unknown) => e);
      expect((error as OllamaEmbedError).code).toBe('failed');
      expect((error as Error).message).toMatch(/scripted failure 500/);
    } finally {
      fake.embed.status = undefined;
    }
  });

  it('aborts a slow request when its signal fires', async () => {
    const embedder = createOllamaEmbedder({ host: fake.url, model: 'nomic-embed-text' });
    fake.embed.delayMs = 2_000;
    try {
      const started = Date.now();
      await expect(embedder.embed(['x'], AbortSignal.timeout(100))).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      fake.embed.delayMs = undefined;
    }
  });

  it('refuses a batch size outside 1..4096', () => {
    expect(() => createOllamaEmbedder({ host: fake.url, model: 'm', batch: 0 })).toThrow(
      /batch 0: .*1 to 4096/,
    );
  });
});
