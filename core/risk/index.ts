/**
 * Pre-trade risk rules. They run when an order is proposed and again when it is approved
 * (docs/DESIGN.md: "risk limits still hold"); `runRiskRules` returns one RiskCheck per rule, in the
 * order of RULES, and its `checks` array is what `proposals.risk_results` stores. A proposal may
 * be approved only when `passed` is true; a RiskInputError (an unusable context) must be treated
 * as a failure too. Limits come from `accounts.risk_limits` through `parseRiskLimits`.
 *
 * Shared conventions: a figure exactly at its limit passes; a limit set to null turns its rule
 * off (it still reports, passed, saying so); orders that shrink a position are never blocked by
 * the weight, sector or daily-loss rules; the execution price is the limit price of a limit order,
 * the stop price of a stop order and the last price of a market order.
 */

import { duplicateOrder } from './duplicate-order.js';
import { limitPriceBand } from './limit-price-band.js';
import type { RiskLimits } from './limits.js';
import { marketOpenAndFreshPrice } from './market-open-and-fresh-price.js';
import { maxDailyLoss } from './max-daily-loss.js';
import { maxOrderNotional } from './max-order-notional.js';
import { maxPositionWeight } from './max-position-weight.js';
import { minCash } from './min-cash.js';
import { restrictedSymbols } from './restricted-symbols.js';
import type { RiskRule } from './rule.js';
import { sectorConcentration } from './sector-concentration.js';
import { shortSale } from './short-sale.js';
import type { RiskContext, RiskReport } from './types.js';

export { duplicateOrder } from './duplicate-order.js';
export { describeValue, RiskInputError } from './errors.js';
export {
  formatLimitPercent,
  formatPercent,
  formatPercentBeside,
  formatPrice,
  formatQuantity,
  formatUsd,
  formatUsdBeside,
} from './format.js';
export { limitPriceBand } from './limit-price-band.js';
export {
  DEFAULT_RISK_LIMITS,
  parseRiskLimits,
  type RiskLimits,
  RiskLimitsError,
  type RiskLimitsInput,
  riskLimitsSchema,
} from './limits.js';
export {
  isNyseEarlyClose,
  type NewYorkTime,
  type NyseSession,
  newYorkTime,
  nyseHolidays,
  nyseSession,
} from './market-calendar.js';
export { marketOpenAndFreshPrice } from './market-open-and-fresh-price.js';
export { maxDailyLoss } from './max-daily-loss.js';
export { maxOrderNotional } from './max-order-notional.js';
export { maxPositionWeight } from './max-position-weight.js';
export { minCash } from './min-cash.js';
export { restrictedSymbols } from './restricted-symbols.js';
export type { RiskRule, RiskRuleName } from './rule.js';
export { sectorConcentration } from './sector-concentration.js';
export { shortSale } from './short-sale.js';
export type {
  OrderSide,
  OrderType,
  RecentOrder,
  RiskAccount,
  RiskCheck,
  RiskContext,
  RiskLastPrice,
  RiskOrder,
  RiskPosition,
  RiskReport,
  TimeInForce,
} from './types.js';

/** Every rule, in the order runRiskRules reports them (a stable order, part of the contract). */
export const RULES: readonly RiskRule[] = Object.freeze([
  maxPositionWeight,
  maxOrderNotional,
  maxDailyLoss,
  restrictedSymbols,
  minCash,
  sectorConcentration,
  limitPriceBand,
  duplicateOrder,
  marketOpenAndFreshPrice,
  shortSale,
]);

/**
 * Runs every rule; `passed` is true only when every check passed. Throws RiskInputError (naming
 * the field and value) when the context lacks something a rule needs, e.g. the last price of a
 * market order; callers must then refuse the proposal or approval.
 */
export function runRiskRules(context: RiskContext, limits: RiskLimits): RiskReport {
  const checks = RULES.map((rule) => rule.check(context, limits));
  return { passed: checks.every((check) => check.passed), checks };
}
