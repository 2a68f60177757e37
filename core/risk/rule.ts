/** The shape every pre-trade risk rule has. */
import type { Dec } from '../decimal.js';
import type { RiskLimits } from './limits.js';
import type { RiskCheck, RiskContext } from './types.js';

/** The rules' names, in the order RULES runs them. */
export type RiskRuleName =
  | 'max_position_weight'
  | 'max_order_notional'
  | 'max_daily_loss'
  | 'restricted_symbols'
  | 'min_cash'
  | 'sector_concentration'
  | 'limit_price_band'
  | 'duplicate_order'
  | 'market_open_and_fresh_price'
  | 'short_sale';

/**
 * One pre-trade rule. `check` is pure: it always returns a RiskCheck (passed: true with "… is
 * off" when its limit is null), and throws RiskInputError only when the context lacks or garbles
 * something it needs.
 */
export interface RiskRule {
  name: RiskRuleName;
  /** One or two sentences: what is measured, against which limit, and the choices made. */
  description: string;
  check(context: RiskContext, limits: RiskLimits): RiskCheck;
}

/** A RiskCheck with decimal figures turned into plain numbers for JSON. */
export function result(
  rule: RiskRuleName,
  passed: boolean,
  message: string,
  limit: Dec | number | string | null,
  value: Dec | number | string | null,
): RiskCheck {
  const plain = (figure: Dec | number | string | null) => {
    if (figure === null || typeof figure === 'string') return figure;
    const number = typeof figure === 'number' ? figure : figure.toNumber();
    return number === 0 ? 0 : number; // no -0 in stored JSON
  };
  return { rule, passed, message, limit: plain(limit), value: plain(value) };
}
