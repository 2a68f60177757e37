/** The error thrown when a rule's input is unusable: it names the field and the value. */

/**
 * A context the rules cannot judge: a missing price, a quantity ≤ 0 or not finite, a date that is
 * not ISO. Callers must treat it as a failed risk check (fail closed), never as a pass.
 */
export class RiskInputError extends RangeError {
  /** The path of the bad field, e.g. 'order.quantity'. */
  readonly field: string;

  /** `field` is the path of the bad input; `message` the whole sentence. */
  constructor(field: string, message: string) {
    super(message);
    this.name = 'RiskInputError';
    this.field = field;
  }
}

/** How a bad input value reads in a message: numbers as written (NaN, Infinity), the rest as JSON. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
