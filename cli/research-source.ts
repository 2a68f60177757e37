/** Dates research commands check against. */

/** Today as YYYY-MM-DD (UTC): research dates after it are refused. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
