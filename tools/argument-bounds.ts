/**
 * Bounds on tool arguments, checked before validation without recursion (a 100,000-deep body
 * must not overflow the stack): nesting depth, size, and NUL bytes (PostgreSQL text cannot hold
 * U+0000). Also the audit digest of arguments: SHA-256 of their canonical JSON, bounded the same
 * way, so that two different calls never share a digest because one could not be serialised.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';

/** Deepest nesting a tool's arguments may have (the deepest schema needs 4). */
export const MAX_ARGUMENT_DEPTH = 32;
/** Most values (object members and array elements, at any depth) in one call's arguments. */
export const MAX_ARGUMENT_VALUES = 100_000;
/** Depth to which the digest serialises arguments; deeper parts are digested as a marker. */
const DIGEST_DEPTH = 64;

/** Where a value sits, for messages: `legs[0].symbol`. */
function pathText(path: readonly (string | number)[]): string {
  return path
    .map((step, k) => (typeof step === 'number' ? `[${step}]` : k === 0 ? step : `.${step}`))
    .join('')
    .slice(0, 120);
}

/**
 * Why these arguments are refused before validation, or null: nested deeper than
 * MAX_ARGUMENT_DEPTH, more than MAX_ARGUMENT_VALUES values, or a NUL byte in a string or key.
 */
export function argumentBoundsProblem(raw: unknown): string | null {
  const stack: { value: unknown; depth: number; path: (string | number)[] }[] = [
    { value: raw, depth: 0, path: [] },
  ];
  let values = 0;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as (typeof stack)[number];
    if (typeof value === 'string') {
      if (value.includes('\u0000'))
        return `${path.length === 0 ? 'the arguments' : pathText(path)} contains a NUL byte (U+0000), which text cannot hold; remove it`;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_ARGUMENT_DEPTH)
      return `the arguments are nested more than ${MAX_ARGUMENT_DEPTH} levels deep (at ${pathText(path) || 'the top'}); no tool takes more than a few levels`;
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((item, k) => [k, item])
      : Object.entries(value as Record<string, unknown>);
    values += entries.length;
    if (values > MAX_ARGUMENT_VALUES)
      return `the arguments hold more than ${MAX_ARGUMENT_VALUES.toLocaleString('en-US')} values; send less`;
    for (const [key, item] of entries) {
      if (typeof key === 'string' && key.includes('\u0000'))
        return `a field name under ${pathText(path) || 'the arguments'} contains a NUL byte (U+0000); remove it`;
      stack.push({ value: item, depth: depth + 1, path: [...path, key] });
    }
  }
  return null;
}

/**
 * A copy of `value` cut at `depth` levels and `budget` values: deeper or further parts become the
 * string "…(cut)". Recursion is bounded by `depth`, so this never overflows the stack.
 */
function pruned(value: unknown, depth: number, budget: { left: number; cut: boolean }): unknown {
  if (value !== null && typeof value === 'object') {
    const json = (value as { toJSON?: unknown }).toJSON;
    if (typeof json === 'function') value = json.call(value);
  }
  if (value === null || typeof value !== 'object') {
    // canonicalJson refuses what JSON cannot carry; the digest must still be made.
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol')
      return `(${typeof value})`;
    return value;
  }
  if (depth <= 0 || budget.left <= 0) {
    budget.cut = true;
    return '…(cut)';
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      if (--budget.left < 0) {
        budget.cut = true;
        out.push('…(cut)');
        break;
      }
      out.push(pruned(item, depth - 1, budget));
    }
    return out;
  }
  // No prototype: a "__proto__" key from JSON.parse stays an ordinary member of the copy.
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (--budget.left < 0) {
      budget.cut = true;
      out['…(cut)'] = true;
      break;
    }
    out[key] = pruned(item, depth - 1, budget);
  }
  return out;
}

/**
 * The audit digest of a call's arguments: SHA-256 hex of their canonical JSON (RFC 8785 form),
 * and whether the arguments had to be cut (deeper than 64 levels or more than
 * MAX_ARGUMENT_VALUES values) to be serialised. Never throws.
 */
export function argumentsDigest(raw: unknown): { sha256: string; cut: boolean } {
  const budget = { left: MAX_ARGUMENT_VALUES, cut: false };
  const bounded = pruned(raw === undefined ? null : raw, DIGEST_DEPTH, budget);
  return {
    sha256: createHash('sha256').update(canonicalJson(bounded)).digest('hex'),
    cut: budget.cut,
  };
}
