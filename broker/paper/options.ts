/** The paper broker's settings: slippage, commission, liquidity and lock waits, with their defaults. */
import { Dec } from '../../core/decimal.js';

/** What a caller may set; every field is optional. Decimal settings accept a number or a decimal string. */
export interface PaperBrokerOptions {
  /** Slippage against the trader, in basis points of the quote: buys pay more, sells get less. Default 5. */
  slippageBps?: number | string;
  /** Commission per share (currency units). Default 0. */
  commissionPerShare?: number | string;
  /** Commission in basis points of the traded value. Default 0. */
  commissionBps?: number | string;
  /** Least commission charged on one fill. Default 0. */
  commissionMinimum?: number | string;
  /** Largest share of one quote's volume a single order may take from it, in (0, 1]. Default 0.1. */
  maxVolumeShare?: number | string;
  /** How long submit, cancel and match wait for a row another transaction holds, in ms. Default 5000. */
  lockTimeoutMs?: number;
}

/** The settings resolved to exact decimals. */
export interface PaperTerms {
  slippageBps: Dec;
  commissionPerShare: Dec;
  commissionBps: Dec;
  commissionMinimum: Dec;
  maxVolumeShare: Dec;
  lockTimeoutMs: number;
}

export const PAPER_DEFAULTS = {
  slippageBps: '5',
  commissionPerShare: '0',
  commissionBps: '0',
  commissionMinimum: '0',
  maxVolumeShare: '0.1',
  lockTimeoutMs: 5000,
} as const;

function decimalSetting(
  name: string,
  value: number | string,
  valid: (d: Dec) => boolean,
  range: string,
): Dec {
  let parsed: Dec;
  try {
    parsed = new Dec(value);
  } catch {
    throw new RangeError(`paper broker: ${name} must be a number ${range}, got ${String(value)}`);
  }
  if (!parsed.isFinite() || !valid(parsed))
    throw new RangeError(`paper broker: ${name} must be ${range}, got ${String(value)}`);
  return parsed;
}

/** Checks the options and fills in defaults; throws RangeError naming a bad value and its valid range. */
export function resolvePaperTerms(options: PaperBrokerOptions = {}): PaperTerms {
  const nonNegative = (name: keyof typeof PAPER_DEFAULTS, value: number | string | undefined) =>
    decimalSetting(name, value ?? PAPER_DEFAULTS[name], (d) => d.gte(0), '≥ 0');
  const lockTimeoutMs = options.lockTimeoutMs ?? PAPER_DEFAULTS.lockTimeoutMs;
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 1 || lockTimeoutMs > 600_000)
    throw new RangeError(
      `paper broker: lockTimeoutMs must be an integer from 1 to 600000, got ${lockTimeoutMs}`,
    );
  return {
    slippageBps: decimalSetting(
      'slippageBps',
      options.slippageBps ?? PAPER_DEFAULTS.slippageBps,
      (d) => d.gte(0) && d.lt(10_000),
      'from 0 to below 10000',
    ),
    commissionPerShare: nonNegative('commissionPerShare', options.commissionPerShare),
    commissionBps: nonNegative('commissionBps', options.commissionBps),
    commissionMinimum: nonNegative('commissionMinimum', options.commissionMinimum),
    maxVolumeShare: decimalSetting(
      'maxVolumeShare',
      options.maxVolumeShare ?? PAPER_DEFAULTS.maxVolumeShare,
      (d) => d.gt(0) && d.lte(1),
      'in (0, 1]',
    ),
    lockTimeoutMs,
  };
}
