/** Argument checks shared by both backends, so that memory and Redis refuse the same values in the same words. */

/** Throws a RangeError unless `value` is a whole number of milliseconds of at least `min`. */
export function checkMs(name: string, value: number, min = 1): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `${name} must be a whole number of milliseconds from ${min} to ${Number.MAX_SAFE_INTEGER}; got ${String(value)}`,
    );
  }
}

/** Throws a RangeError unless `value` is a finite number greater than zero. */
export function checkPositive(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number greater than 0; got ${String(value)}`);
  }
}

/**
 * JSON text of `value`, or a TypeError naming `what` when it has none. JSON.stringify returns
 * undefined for undefined, functions and symbols; storing that would turn into the literal
 * string "undefined" in Redis and make the two backends disagree.
 */
export function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what} is not JSON-serializable: ${(error as Error).message}`);
  }
  if (json === undefined) {
    throw new TypeError(
      `${what} is not JSON-serializable (got ${typeof value}); use a JSON value such as null, a number, a string, an array or a plain object`,
    );
  }
  return json;
}
