/** Stock screening: rank a universe on one date by weighted cross-sectional factor z-scores (the screen_stocks tool). */
export { type CrossSectionalZ, crossSectionalZ, type FactorStats } from './cross-section.js';
export {
  FACTOR_MIN_BARS,
  FACTOR_NAMES,
  FACTOR_ORIENTATION,
  type FactorName,
  PRICE_FACTOR_NAMES,
  type PriceFactorName,
  priceFactors,
} from './factors.js';
export {
  DOLLAR_VOLUME_BARS,
  EXCLUSION_REASONS,
  type Exclusion,
  type ExclusionReason,
  SMA_FILTER_BARS,
  STALE_AFTER_DAYS,
} from './filters.js';
export {
  DEFAULT_TOP,
  DEFAULT_WEIGHTS,
  DEFAULT_WINSORIZE,
  MAX_TOP,
  parseScreenRequest,
  type ResolvedScreenRequest,
  type ScreenFilters,
  type ScreenRequest,
  ScreenRequestError,
  screenRequestSchema,
} from './request.js';
export { type ScreenResult, type ScreenRow, type ScreenUniverse, screenStocks } from './screen.js';
