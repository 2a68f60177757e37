/**
 * The weight-free embedder (the embedded default: nothing to download). Feature hashing of word
 * unigrams, word bigrams and character 3-grams into a fixed number of signed buckets, with
 * sublinear term frequency and L2 normalisation. It knows no synonyms, but exact names share
 * features: a ticker ("JPM"), a strategy name ("momentum_rotation", which is also the words
 * "momentum" and "rotation" and their bigram) and an id (a uuid is one token) land in the
 * same buckets in a question and in a passage, and typos still share most 3-grams.
 */
import type { Embedder } from '../ports.js';

export const HASH_EMBEDDER_DIMENSIONS = 384;

/** Words that carry no meaning in a question about trades; dropped (unless written in capitals, like a ticker). */
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in ' +
    'into is it its me my of on or our so than that the their them then there these this those ' +
    'to us was we were what when where which who whom why will with would you your'
  ).split(' '),
);

/** Feature classes: weight of one occurrence and a seed so that "jpm" the word and "jpm" the 3-gram differ. */
const UNIGRAM = { weight: 1, seed: 0x9e3779b1 };
const COMPOUND = { weight: 1, seed: 0x85ebca77 };
const BIGRAM = { weight: 0.8, seed: 0xc2b2ae3d };
/** A word of n letters has n 3-grams (with boundary marks); each weighs less than the word itself. */
const TRIGRAM = { weight: 0.35, seed: 0x27d4eb2f };

/** A compound token: letters, digits and marks, joined by `_`, `-`, `.` or `:` inside the token. */
const TOKEN = /[\p{L}\p{N}\p{M}]+(?:[_\-.:/][\p{L}\p{N}\p{M}]+)*/gu;
const PART_SEPARATOR = /[_\-.:/]/;
const UPPERCASE = /^[\p{Lu}\p{N}]{2,}$/u;

/** 32-bit hash of a string (FNV-1a over UTF-16 code units, then a murmur3 finaliser), seeded per class. */
function hash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let k = 0; k < text.length; k++) {
    h ^= text.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The words of a text, normalised (NFKC, lower case), with the compound tokens they came from. */
export function hashTokens(text: string): { words: string[]; compounds: string[] } {
  const words: string[] = [];
  const compounds: string[] = [];
  for (const match of text.normalize('NFKC').matchAll(TOKEN)) {
    const raw = match[0];
    const parts = raw.split(PART_SEPARATOR);
    if (parts.length > 1) compounds.push(raw.toLowerCase());
    for (const part of parts) {
      const word = part.toLowerCase();
      if (STOPWORDS.has(word) && !UPPERCASE.test(part)) continue;
      words.push(word);
    }
  }
  return { words, compounds };
}

/**
 * Creates the weight-free embedder. Its id names the algorithm version ("hash-v1"; with another
 * dimension "hash-v1:<d>"): change anything that moves a vector and the version must change, so
 * that the index is rebuilt instead of mixing two vector spaces.
 */
export function createHashEmbedder(options: { dimensions?: number } = {}): Embedder {
  const dimensions = options.dimensions ?? HASH_EMBEDDER_DIMENSIONS;
  if (!Number.isInteger(dimensions) || dimensions < 16 || dimensions > 65_536) {
    throw new RangeError(
      `hash embedder dimensions ${dimensions}: use a whole number from 16 to 65536`,
    );
  }
  const id = dimensions === HASH_EMBEDDER_DIMENSIONS ? 'hash-v1' : `hash-v1:${dimensions}`;

  const embedOne = (text: string): number[] => {
    // Keyed by the full 32-bit hash (collisions there are negligible); the bucket and sign come from it.
    const counts = new Map<number, number>();
    const weights = new Map<number, number>();
    const add = (feature: string, kind: { weight: number; seed: number }) => {
      const h = hash(feature, kind.seed);
      counts.set(h, (counts.get(h) ?? 0) + 1);
      weights.set(h, kind.weight);
    };
    const { words, compounds } = hashTokens(text);
    for (let k = 0; k < words.length; k++) {
      const word = words[k] as string;
      add(word, UNIGRAM);
      if (k > 0) add(`${words[k - 1]} ${word}`, BIGRAM);
      const marked = `\u0002${word}\u0003`;
      for (let c = 0; c + 3 <= marked.length; c++) add(marked.slice(c, c + 3), TRIGRAM);
    }
    for (const compound of compounds) add(compound, COMPOUND);

    const vector = new Array<number>(dimensions).fill(0);
    if (counts.size === 0) {
      // No words (empty, only punctuation or stopwords): a fixed unit vector, so it stays normalised.
      const h = hash('\u0000empty', UNIGRAM.seed);
      vector[h % dimensions] = 1;
      return vector;
    }
    for (const [h, count] of counts) {
      const value = (weights.get(h) as number) * (1 + Math.log(count));
      const bucket = h % dimensions;
      vector[bucket] = (vector[bucket] as number) + (h & 0x80000000 ? -value : value);
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      // Every feature cancelled out (possible in principle with signed buckets): same fallback.
      vector[hash('\u0000empty', UNIGRAM.seed) % dimensions] = 1;
      return vector;
    }
    for (let k = 0; k < dimensions; k++) vector[k] = (vector[k] as number) / norm;
    return vector;
  };

  return {
    id,
    dimensions,
    async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
      if (!Array.isArray(texts)) {
        throw new TypeError(`embed takes a list of texts, got ${typeof texts}`);
      }
      const vectors: number[][] = [];
      for (let k = 0; k < texts.length; k++) {
        signal?.throwIfAborted();
        const text = texts[k];
        if (typeof text !== 'string') {
          throw new TypeError(`embed: text ${k} is ${typeof text}, not a string`);
        }
        vectors.push(embedOne(text));
      }
      return vectors;
    },
  };
}
