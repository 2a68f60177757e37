/** One spelling of a JSON value, for hashing: the audit chain and the proposal hash use it. */

/** A value that has no faithful JSON form; `path` says where it sits (e.g. `.legs[0].price`). */
export class CanonicalJsonError extends TypeError {
  constructor(
    readonly what: string,
    readonly path: string,
  ) {
    super(`canonicalJson: ${what} at ${path === '' ? 'the top' : path} has no JSON form`);
    this.name = 'CanonicalJsonError';
  }
}

/**
 * JSON with object keys sorted (by UTF-16 code units) at every level and no whitespace; numbers
 * and strings spelled as JSON.stringify spells them. This is the RFC 8785 (JCS) form for the
 * values JSON can carry.
 *
 * It follows JSON.stringify where that is unambiguous (toJSON is honoured, so a Date or a Dec
 * becomes its string; undefined members are left out; undefined in an array, or at the top,
 * is null), so that `canonicalJson(v) === canonicalJson(JSON.parse(JSON.stringify(v)))`: a
 * value hashes the same before and after a trip through a jsonb column. Where JSON.stringify
 * would silently lose data it throws CanonicalJsonError instead: NaN and ±Infinity (stringify
 * writes null), bigint, functions and symbols.
 */
export function canonicalJson(value: unknown): string {
  return write(value);
}

/** What JSON.stringify writes for `value`: its toJSON() result when it has one (a Date, a Dec). */
function resolve(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    const json = (value as { toJSON?: unknown }).toJSON;
    if (typeof json === 'function') return json.call(value);
  }
  return value;
}

/** Rethrows a nested failure with `step` put in front of its path; the hot path builds no paths. */
function within(error: unknown, step: string): never {
  if (error instanceof CanonicalJsonError)
    throw new CanonicalJsonError(error.what, step + error.path);
  throw error;
}

function write(raw: unknown): string {
  return writeResolved(resolve(raw));
}

function writeResolved(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`the number ${value}`, '');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          try {
            out += write(value[i]);
          } catch (error) {
            within(error, `[${i}]`);
          }
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      // The default sort compares UTF-16 code units, which is what RFC 8785 asks for.
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = resolve(record[key]);
        if (member === undefined) continue;
        if (!first) out += ',';
        first = false;
        try {
          out += `${JSON.stringify(key)}:${writeResolved(member)}`;
        } catch (error) {
          within(error, `.${key}`);
        }
      }
      return `${out}}`;
    }
    default:
      throw new CanonicalJsonError(`a ${typeof value}`, '');
  }
}
