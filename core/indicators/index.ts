/**
 * Technical indicators as Float64Array kernels: each returns series as long as its input, NaN
 * during warm-up, in O(n) time with no allocation per bar. Reads are written `values[i] as number`
 * because noUncheckedIndexedAccess types every typed-array read as possibly undefined.
 */
export { atr } from './atr.js';
export { type BollingerBands, bollinger } from './bollinger.js';
export { type DonchianChannel, donchian } from './donchian.js';
export { ema } from './ema.js';
export { type MacdLines, macd } from './macd.js';
export { obv } from './obv.js';
export { momentum, roc } from './roc.js';
export { rollingVolatility } from './rolling-volatility.js';
export { rsi } from './rsi.js';
export { sma } from './sma.js';
export { type StochasticLines, stochastic } from './stochastic.js';
export { wma } from './wma.js';
export { zscore } from './zscore.js';
