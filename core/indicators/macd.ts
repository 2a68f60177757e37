/** MACD kernel: the fast-minus-slow EMA line, its signal line and their difference. */
import { checkPeriod } from './check-parameters.js';
import { ema } from './ema.js';

/** The three MACD series, each as long as the input. */
export interface MacdLines {
  /** EMA(fast) − EMA(slow); first value at index slow − 1. */
  macd: Float64Array;
  /** EMA(signal) of the MACD line; first value at index slow + signal − 2. */
  signal: Float64Array;
  /** macd − signal. */
  histogram: Float64Array;
}

/**
 * MACD with SMA-seeded EMAs (see ema.ts): both EMAs run from the first bar, and the signal EMA is
 * seeded with the mean of the first `signal` MACD values. The fast period must be below the slow.
 */
export function macd(close: Float64Array, fast = 12, slow = 26, signal = 9): MacdLines {
  checkPeriod('macd fast period', fast);
  checkPeriod('macd slow period', slow, 2);
  checkPeriod('macd signal period', signal);
  if (fast >= slow) {
    throw new RangeError(
      `macd fast period must be less than the slow period (${slow}), got ${fast}`,
    );
  }
  // Built in place to allocate three arrays rather than five: the fast EMA becomes the MACD line
  // and the slow EMA, once read, becomes the histogram.
  const line = ema(close, fast);
  const histogram = ema(close, slow);
  for (let i = 0; i < line.length; i++) {
    line[i] = (line[i] as number) - (histogram[i] as number);
  }
  const signalLine = ema(line, signal);
  for (let i = 0; i < line.length; i++) {
    histogram[i] = (line[i] as number) - (signalLine[i] as number);
  }
  return { macd: line, signal: signalLine, histogram };
}
