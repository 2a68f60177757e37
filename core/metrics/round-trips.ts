/**
 * Closed trades from an account's fills, matched first in, first out per symbol, and their
 * statistics by group. A closing fill makes one round trip per strategy of the lots it closes:
 * its quantity, the quantity-weighted entry price and holding time, and its P&L after the
 * commissions of both sides (each fill's commission shared over its shares). A fill larger than
 * the open position closes it and opens the rest the other way (a short for a sell).
 */

/** One execution, as the broker reported it. */
export interface TradeFill {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number;
  commission: number;
  at: Date;
  /** The strategy label of the proposal the order came from, if any. */
  strategy: string | null;
  /** The caller's id of the fill, carried into the round trips it opens or closes. */
  ref?: string;
}

/** A closed trade. */
export interface RoundTrip {
  symbol: string;
  strategy: string | null;
  direction: 'long' | 'short';
  quantity: number;
  entryPrice: number;
  exitPrice: number;
  /** The first of the entry fills closed. */
  entryAt: Date;
  exitAt: Date;
  /** Quantity-weighted time from entry to exit, in days. */
  holdingDays: number;
  /** USD after the commissions of both sides. */
  pnl: number;
  /** With refs on the fills: the refs of the entry fills closed, and of the closing fill. */
  entryRefs?: string[];
  exitRef?: string;
}

interface Lot {
  direction: 1 | -1;
  quantity: number;
  price: number;
  commissionPerShare: number;
  at: Date;
  strategy: string | null;
  ref?: string;
}

const DAY_MS = 86_400_000;
const EPSILON = 1e-9;

/** The round trips the fills close, in the order of their exits, and what is still open. */
export function roundTrips(fills: readonly TradeFill[]): {
  trips: RoundTrip[];
  open: { symbol: string; quantity: number }[];
} {
  const sorted = [...fills].sort((a, b) => a.at.getTime() - b.at.getTime());
  const lots = new Map<string, Lot[]>();
  const trips: RoundTrip[] = [];
  for (const fill of sorted) {
    if (!(fill.quantity > 0) || !(fill.price > 0))
      throw new RangeError(
        `fill of ${fill.symbol} at ${fill.at.toISOString()}: quantity and price must be > 0`,
      );
    const direction = fill.side === 'buy' ? 1 : -1;
    const open = lots.get(fill.symbol) ?? [];
    lots.set(fill.symbol, open);
    const exitCommissionPerShare = fill.commission / fill.quantity;
    let remaining = fill.quantity;
    // Pieces closed by this fill, by the strategy of their lots.
    const closed = new Map<string, { lots: { lot: Lot; quantity: number }[] }>();
    while (remaining > EPSILON && open.length > 0 && (open[0] as Lot).direction !== direction) {
      const lot = open[0] as Lot;
      const quantity = Math.min(lot.quantity, remaining);
      const key = lot.strategy ?? '';
      const group = closed.get(key) ?? { lots: [] };
      closed.set(key, group);
      group.lots.push({ lot, quantity });
      lot.quantity -= quantity;
      remaining -= quantity;
      if (lot.quantity <= EPSILON) open.shift();
    }
    for (const { lots: pieces } of closed.values()) {
      const first = pieces[0]?.lot as Lot;
      let quantity = 0;
      let entryValue = 0;
      let heldDays = 0;
      let pnl = 0;
      let entryAt = first.at;
      for (const { lot, quantity: q } of pieces) {
        quantity += q;
        entryValue += lot.price * q;
        heldDays += ((fill.at.getTime() - lot.at.getTime()) / DAY_MS) * q;
        pnl +=
          (fill.price - lot.price) * q * lot.direction -
          (lot.commissionPerShare + exitCommissionPerShare) * q;
        if (lot.at < entryAt) entryAt = lot.at;
      }
      trips.push({
        symbol: fill.symbol,
        strategy: first.strategy,
        direction: first.direction === 1 ? 'long' : 'short',
        quantity,
        entryPrice: entryValue / quantity,
        exitPrice: fill.price,
        entryAt,
        exitAt: fill.at,
        holdingDays: heldDays / quantity,
        pnl,
        ...(fill.ref !== undefined
          ? {
              exitRef: fill.ref,
              entryRefs: pieces.flatMap(({ lot }) => (lot.ref === undefined ? [] : [lot.ref])),
            }
          : {}),
      });
    }
    if (remaining > EPSILON)
      open.push({
        direction,
        quantity: remaining,
        price: fill.price,
        commissionPerShare: exitCommissionPerShare,
        at: fill.at,
        strategy: fill.strategy,
        ...(fill.ref !== undefined ? { ref: fill.ref } : {}),
      });
  }
  const stillOpen = [...lots.entries()]
    .map(([symbol, held]) => ({
      symbol,
      quantity: held.reduce((sum, lot) => sum + lot.quantity * lot.direction, 0),
    }))
    .filter((position) => Math.abs(position.quantity) > EPSILON);
  return { trips, open: stillOpen };
}

/** How closed trades are grouped. */
export type TripGrouping = 'symbol' | 'strategy' | 'weekday' | 'month';

const WEEKDAYS = [
  '7 Sunday',
  '1 Monday',
  '2 Tuesday',
  '3 Wednesday',
  '4 Thursday',
  '5 Friday',
  '6 Saturday',
];

/** The group a trip falls in: its symbol, strategy ('(none)' without one), exit weekday or month (UTC). */
export function tripKey(trip: RoundTrip, by: TripGrouping): string {
  if (by === 'symbol') return trip.symbol;
  if (by === 'strategy') return trip.strategy ?? '(none)';
  if (by === 'weekday') return WEEKDAYS[trip.exitAt.getUTCDay()] as string;
  return trip.exitAt.toISOString().slice(0, 7);
}

/** Statistics of a group of closed trades. */
export interface TripStats {
  key: string;
  trades: number;
  wins: number;
  losses: number;
  /** wins / trades (a trade with P&L exactly 0 is neither). */
  winRate: number;
  pnl: number;
  averagePnl: number;
  bestPnl: number;
  worstPnl: number;
  averageHoldingDays: number;
}

/** Statistics per group, ordered by key. */
export function tripStats(trips: readonly RoundTrip[], by: TripGrouping): TripStats[] {
  const groups = new Map<string, RoundTrip[]>();
  for (const trip of trips) {
    const key = tripKey(trip, by);
    const group = groups.get(key) ?? [];
    groups.set(key, group);
    group.push(trip);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, group]) => {
      const pnls = group.map((trip) => trip.pnl);
      const pnl = pnls.reduce((sum, value) => sum + value, 0);
      return {
        key,
        trades: group.length,
        wins: pnls.filter((value) => value > 0).length,
        losses: pnls.filter((value) => value < 0).length,
        winRate: pnls.filter((value) => value > 0).length / group.length,
        pnl,
        averagePnl: pnl / group.length,
        bestPnl: Math.max(...pnls),
        worstPnl: Math.min(...pnls),
        averageHoldingDays: group.reduce((sum, trip) => sum + trip.holdingDays, 0) / group.length,
      };
    });
}
