/** Shaping results for people (aligned text) and for programs (snake_case JSON). */

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** A JSON-ready copy with snake_case keys; typed arrays become arrays, non-finite numbers null. */
export function toJson(value: unknown): unknown {
  if (value instanceof Float64Array || value instanceof Int32Array)
    return Array.from(value, (n) => toJson(n));
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, member]) => [snake(key), toJson(member)]),
    );
  }
  return value;
}

/** 0.1234 → "12.34 %"; null → "n/a". */
export function percent(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(2)} %`;
}

/** 1234567.891 → "1,234,567.89"; null → "n/a". */
export function money(value: number | null): string {
  return value === null
    ? 'n/a'
    : value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A ratio to two decimals; null → "n/a". */
export function ratio(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(2);
}

/** Left-aligned label: value lines. */
export function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
