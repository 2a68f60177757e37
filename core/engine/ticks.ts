/** Exact money arithmetic on integer ticks held in doubles, and the rounding rules for fills. */

/** Thrown when an amount leaves the range where doubles hold integers exactly (±2^53). */
export class ExactRangeError extends RangeError {
  constructor(what: string, value: number, scale: number) {
    super(
      `${what} reached ${(value / scale).toFixed(2)}, beyond the exact range at a price grid of 1/${scale}; lower the starting cash`,
    );
    this.name = 'ExactRangeError';
  }
}

/** floor(a / b) for non-negative integers below 2^53, exact even where a / b rounds up to an integer. */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

/**
 * A price moved `bps` basis points against the trader, on the tick grid: buys round up and sells
 * round down, so slippage never turns into a gain through rounding.
 */
export function slipTicks(ticks: number, bps: number, side: 1 | -1): number {
  if (bps === 0) return ticks;
  const moved = ticks * (1 + (side * bps) / 10_000);
  const nearest = Math.round(moved);
  // Within float noise of a whole tick: that tick (else 10 bps on 100.00 would round to 100.11).
  if (Math.abs(moved - nearest) < 1e-7) return nearest;
  return side === 1 ? Math.ceil(moved) : Math.floor(moved);
}

/** A price level (limit, stop) put on the tick grid against the trader: buys up, sells down. */
export function levelTicks(price: number, scale: number, side: 1 | -1): number {
  const raw = price * scale;
  const nearest = Math.round(raw);
  if (Math.abs(raw - nearest) < 1e-7) return nearest;
  return side === 1 ? Math.ceil(raw) : Math.floor(raw);
}
