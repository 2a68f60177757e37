/**
 * Passages from source texts: cut at sentence ends into parts of about 800 characters, each with
 * a stable id (`kind:source id[:part]`) and flat metadata (kind, symbol, side, strategy, dates,
 * the ids it cites).
 */
import { createHash } from 'node:crypto';
import type { Chunk } from './ports.js';

/** About this many characters a part. */
const PART = 800;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Splits text at sentence ends into parts of at most ~PART characters (a longer sentence is cut at a space). */
export function splitText(text: string, size = PART): string[] {
  if (text.length <= size) return [text];
  const sentences = text.match(/[^.!?\n]+[.!?\n]*\s*/g) ?? [text];
  const parts: string[] = [];
  let current = '';
  for (const sentence of sentences) {
    if ((current + sentence).length > size && current !== '') {
      parts.push(current.trim());
      current = '';
    }
    let rest = sentence;
    while (rest.length > size) {
      const cut = rest.lastIndexOf(' ', size) > size / 2 ? rest.lastIndexOf(' ', size) : size;
      parts.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut);
    }
    current += rest;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

export const day = (value: Date | string | null | undefined) =>
  value === null || value === undefined ? undefined : new Date(value).toISOString().slice(0, 10);

/** One source as passages (parts share its metadata; ids `kind:source[:k]`). */
export function chunksOf(
  kind: string,
  sourceId: string,
  text: string,
  meta: Omit<Chunk['metadata'], 'kind' | 'cites' | 'embedder'>,
  cites: Record<string, string>,
): Chunk[] {
  const parts = splitText(text);
  return parts.map((part, k) => ({
    id: parts.length === 1 ? `${kind}:${sourceId}` : `${kind}:${sourceId}:${k + 1}`,
    text: part,
    metadata: {
      kind,
      ...Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined && v !== null)),
      cites: JSON.stringify(cites),
      embedder: '',
    },
  }));
}

export interface Batch {
  /** Passages of the sources in this batch. */
  chunks: Chunk[];
  /** Sources read (for progress). */
  sources: number;
}
