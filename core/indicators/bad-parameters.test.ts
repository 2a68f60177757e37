/** Every parameter a caller can get wrong, and the RangeError message that names the bad value and the valid range. */
import { describe, expect, it } from 'vitest';
import {
  atr,
  bollinger,
  donchian,
  ema,
  macd,
  momentum,
  obv,
  roc,
  rollingVolatility,
  rsi,
  sma,
  stochastic,
  wma,
  zscore,
} from './index.js';

const five = Float64Array.from([1, 2, 3, 4, 5]);
const four = Float64Array.from([1, 2, 3, 4]);

const cases: [string, () => unknown, string][] = [
  ['sma period 0', () => sma(five, 0), 'sma period must be a whole number ≥ 1, got 0'],
  ['sma period −3', () => sma(five, -3), 'sma period must be a whole number ≥ 1, got -3'],
  ['sma period 2.5', () => sma(five, 2.5), 'sma period must be a whole number ≥ 1, got 2.5'],
  ['sma period NaN', () => sma(five, Number.NaN), 'sma period must be a whole number ≥ 1, got NaN'],
  [
    'sma period ∞',
    () => sma(five, Number.POSITIVE_INFINITY),
    'sma period must be a whole number ≥ 1, got Infinity',
  ],
  ['ema period 0', () => ema(five, 0), 'ema period must be a whole number ≥ 1, got 0'],
  ['wma period 1.5', () => wma(five, 1.5), 'wma period must be a whole number ≥ 1, got 1.5'],
  ['rsi period 0', () => rsi(five, 0), 'rsi period must be a whole number ≥ 1, got 0'],
  ['macd fast 0', () => macd(five, 0), 'macd fast period must be a whole number ≥ 1, got 0'],
  ['macd slow 1', () => macd(five, 1, 1), 'macd slow period must be a whole number ≥ 2, got 1'],
  [
    'macd signal 0',
    () => macd(five, 12, 26, 0),
    'macd signal period must be a whole number ≥ 1, got 0',
  ],
  [
    'macd fast ≥ slow',
    () => macd(five, 26, 12),
    'macd fast period must be less than the slow period (12), got 26',
  ],
  [
    'bollinger period 0',
    () => bollinger(five, 0),
    'bollinger period must be a whole number ≥ 1, got 0',
  ],
  [
    'bollinger k −1',
    () => bollinger(five, 20, -1),
    'bollinger k must be a finite number ≥ 0, got -1',
  ],
  [
    'bollinger k NaN',
    () => bollinger(five, 20, Number.NaN),
    'bollinger k must be a finite number ≥ 0, got NaN',
  ],
  ['atr period 0', () => atr(five, five, five, 0), 'atr period must be a whole number ≥ 1, got 0'],
  [
    'atr lengths',
    () => atr(five, four, five),
    'atr inputs must all have the same length, got high 5, low 4, close 5',
  ],
  [
    'stochastic kPeriod 0',
    () => stochastic(five, five, five, 0),
    'stochastic kPeriod must be a whole number ≥ 1, got 0',
  ],
  [
    'stochastic dPeriod 0',
    () => stochastic(five, five, five, 14, 0),
    'stochastic dPeriod must be a whole number ≥ 1, got 0',
  ],
  [
    'stochastic lengths',
    () => stochastic(five, five, four),
    'stochastic inputs must all have the same length, got high 5, low 5, close 4',
  ],
  [
    'obv lengths',
    () => obv(five, four),
    'obv inputs must all have the same length, got close 5, volume 4',
  ],
  ['roc period 0', () => roc(five, 0), 'roc period must be a whole number ≥ 1, got 0'],
  [
    'momentum period 0',
    () => momentum(five, 0),
    'momentum period must be a whole number ≥ 1, got 0',
  ],
  [
    'donchian period 0',
    () => donchian(five, five, 0),
    'donchian period must be a whole number ≥ 1, got 0',
  ],
  [
    'donchian lengths',
    () => donchian(four, five, 2),
    'donchian inputs must all have the same length, got high 4, low 5',
  ],
  [
    'rollingVolatility period 1',
    () => rollingVolatility(five, 1),
    'rollingVolatility period must be a whole number ≥ 2, got 1',
  ],
  [
    'rollingVolatility periodsPerYear 0',
    () => rollingVolatility(five, 2, 0),
    'rollingVolatility periodsPerYear must be a finite number > 0, got 0',
  ],
  ['zscore period 1', () => zscore(five, 1), 'zscore period must be a whole number ≥ 2, got 1'],
];

describe('bad parameters', () => {
  it.each(cases)(
    '%s throws a RangeError naming the value and the range',
    (_name, call, message) => {
      expect(call).toThrow(RangeError);
      expect(call).toThrow(new RangeError(message));
    },
  );
});
