/** The Cache port: JSON values under string keys, each with a time to live. */

/**
 * A shared cache for values that are expensive to compute and fine to lose (quotes, screens,
 * model outputs). Values travel as JSON: what `get` returns is `JSON.parse(JSON.stringify(value))`
 * of what was `set` (a Date comes back as its ISO string). Nothing stored here is a source of
 * truth; the database is.
 */
export interface Cache {
  /** The value under `key`, or undefined when it was never set, was deleted or has expired. */
  get<T>(key: string): Promise<T | undefined>;
  /**
   * Stores `value` under `key` for `ttlMs` milliseconds (a positive whole number), replacing
   * any previous value. Throws RangeError for a bad ttlMs and TypeError for a non-JSON value.
   */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** Removes `key`; no error when it is absent. */
  delete(key: string): Promise<void>;
}
