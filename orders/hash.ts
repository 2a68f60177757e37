/**
 * The canonical hash of a proposal's orders: what an approval is bound to. Any change to any leg
 * (or to the account, or to what a cancel targets) gives another hash, so an approval of one
 * order can never be spent on another.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import { Dec } from '../core/decimal.js';
import type { Leg } from './types.js';

/** A decimal in one spelling ("10.50", "10.5" and "1.05e1" are all "10.5"); null stays null. */
export function normalDecimal(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return new Dec(value).toString();
}

/** SHA-256 hex of the canonical form of the account, kind, cancel target and legs (reference prices excluded: they are not the order). */
export function orderHash(input: {
  accountId: string;
  kind: string;
  cancelOrderId: string | null;
  legs: Leg[];
}): string {
  const legs = [...input.legs]
    .sort((a, b) => a.leg - b.leg)
    .map((leg) => ({
      leg: leg.leg,
      symbol: leg.symbol,
      side: leg.side,
      quantity: normalDecimal(leg.quantity),
      notional: normalDecimal(leg.notional),
      type: leg.type,
      limitPrice: normalDecimal(leg.limitPrice),
      stopPrice: normalDecimal(leg.stopPrice),
      timeInForce: leg.timeInForce,
    }));
  const text = canonicalJson({
    accountId: input.accountId,
    kind: input.kind,
    cancelOrderId: input.cancelOrderId,
    legs,
  });
  return createHash('sha256').update(text).digest('hex');
}

/** The broker's idempotency key for one leg: the same proposal and leg always give the same id. */
export function clientOrderId(proposalId: string, leg: number): string {
  return `cs-${proposalId}-${leg}`;
}

/** How many hex digits of the hash every channel shows beside an order (48 bits). */
export const SHORT_HASH_LENGTH = 12;

/** The short form of an order hash that channels display: its first 12 hex digits. */
export function shortHash(hash: string): string {
  return hash.slice(0, SHORT_HASH_LENGTH);
}

/**
 * True when `shown` — what a channel sent back as the hash the person saw — is `stored` (a
 * 64-hex-digit SHA-256) in full or in its short form, compared in constant time. Anything that is
 * not a string of exactly one of those lengths is false: there is no default to fall back on.
 */
export function hashMatches(shown: unknown, stored: string): boolean {
  if (typeof shown !== 'string') return false;
  const given = shown.trim().toLowerCase();
  const expected =
    given.length === SHORT_HASH_LENGTH ? shortHash(stored) : given.length === 64 ? stored : null;
  if (expected === null || expected.length !== given.length) return false;
  return timingSafeEqual(Buffer.from(given, 'utf8'), Buffer.from(expected, 'utf8'));
}
