import { describe, expect, it } from 'vitest';
import { roundTrips, type TradeFill, tripStats } from './round-trips.js';

const fill = (
  symbol: string,
  side: 'buy' | 'sell',
  quantity: number,
  price: number,
  at: string,
  strategy: string | null = null,
  commission = 0,
): TradeFill => ({ symbol, side, quantity, price, commission, at: new Date(at), strategy });

describe('roundTrips', () => {
  it('matches first in, first out, with weighted entry, holding time and both commissions', () => {
    const { trips, open } = roundTrips([
      fill('KO', 'buy', 10, 50, '2021-01-04T15:00:00Z', 'dip', 1),
      fill('KO', 'buy', 10, 60, '2021-01-06T15:00:00Z', 'dip', 1),
      // Closes the first lot and half of the second: one trip (one strategy).
      fill('KO', 'sell', 15, 70, '2021-01-08T15:00:00Z', null, 1.5),
    ]);
    expect(trips).toHaveLength(1);
    const [trip] = trips;
    expect(trip?.quantity).toBe(15);
    expect(trip?.entryPrice).toBeCloseTo((10 * 50 + 5 * 60) / 15, 12);
    expect(trip?.holdingDays).toBeCloseTo((10 * 4 + 5 * 2) / 15, 12);
    // (70−50)·10 + (70−60)·5 − entry commissions (0.1·10 + 0.1·5) − exit commission 1.5
    expect(trip?.pnl).toBeCloseTo(200 + 50 - 1.5 - 1.5, 10);
    expect(trip?.strategy).toBe('dip');
    expect(trip?.entryAt.toISOString()).toBe('2021-01-04T15:00:00.000Z');
    expect(open).toEqual([{ symbol: 'KO', quantity: 5 }]);
  });

  it('splits a closing fill by the strategies of the lots it closes, and keeps symbols apart', () => {
    const { trips } = roundTrips([
      fill('KO', 'buy', 5, 50, '2021-01-04T15:00:00Z', 'a'),
      fill('AAPL', 'buy', 1, 130, '2021-01-04T16:00:00Z', 'a'),
      fill('KO', 'buy', 5, 52, '2021-01-05T15:00:00Z', 'b'),
      fill('KO', 'sell', 10, 51, '2021-01-07T15:00:00Z'),
      fill('AAPL', 'sell', 1, 120, '2021-01-08T15:00:00Z'),
    ]);
    expect(trips.map((trip) => [trip.symbol, trip.strategy, trip.quantity, trip.pnl])).toEqual([
      ['KO', 'a', 5, 5],
      ['KO', 'b', 5, -5],
      ['AAPL', 'a', 1, -10],
    ]);
  });

  it('turns a position around: the rest of a larger sell opens a short that a buy closes', () => {
    const { trips, open } = roundTrips([
      fill('KO', 'buy', 10, 50, '2021-01-04T15:00:00Z'),
      fill('KO', 'sell', 15, 55, '2021-01-05T15:00:00Z'),
      fill('KO', 'buy', 5, 53, '2021-01-06T15:00:00Z'),
    ]);
    expect(trips.map((trip) => [trip.direction, trip.quantity, trip.pnl])).toEqual([
      ['long', 10, 50],
      ['short', 5, 10],
    ]);
    expect(open).toEqual([]);
  });

  it('sorts fills by time whatever order they come in, and refuses a fill that is not positive', () => {
    const late = fill('KO', 'sell', 1, 60, '2021-01-05T15:00:00Z');
    const early = fill('KO', 'buy', 1, 50, '2021-01-04T15:00:00Z');
    expect(roundTrips([late, early]).trips[0]?.pnl).toBe(10);
    expect(() => roundTrips([fill('KO', 'buy', 0, 50, '2021-01-04T15:00:00Z')])).toThrow(
      /quantity and price must be > 0/,
    );
  });
});

describe('tripStats', () => {
  const { trips } = roundTrips([
    fill('KO', 'buy', 1, 50, '2021-01-04T15:00:00Z', 'dip'),
    fill('KO', 'sell', 1, 55, '2021-01-05T15:00:00Z'), // Tuesday, +5
    fill('KO', 'buy', 1, 55, '2021-02-01T15:00:00Z', 'dip'),
    fill('KO', 'sell', 1, 52, '2021-02-05T15:00:00Z'), // Friday, −3
    fill('AAPL', 'buy', 2, 100, '2021-02-01T15:00:00Z'),
    fill('AAPL', 'sell', 2, 100, '2021-02-02T15:00:00Z'), // Tuesday, 0
  ]);

  it('counts wins, losses, win rate, P&L and holding time per symbol', () => {
    expect(tripStats(trips, 'symbol')).toEqual([
      {
        key: 'AAPL',
        trades: 1,
        wins: 0,
        losses: 0,
        winRate: 0,
        pnl: 0,
        averagePnl: 0,
        bestPnl: 0,
        worstPnl: 0,
        averageHoldingDays: 1,
      },
      {
        key: 'KO',
        trades: 2,
        wins: 1,
        losses: 1,
        winRate: 0.5,
        pnl: 2,
        averagePnl: 1,
        bestPnl: 5,
        worstPnl: -3,
        averageHoldingDays: 2.5,
      },
    ]);
  });

  it('groups by strategy, exit weekday and exit month', () => {
    expect(tripStats(trips, 'strategy').map((s) => [s.key, s.trades])).toEqual([
      ['(none)', 1],
      ['dip', 2],
    ]);
    expect(tripStats(trips, 'weekday').map((s) => [s.key, s.trades])).toEqual([
      ['2 Tuesday', 2],
      ['5 Friday', 1],
    ]);
    expect(tripStats(trips, 'month').map((s) => [s.key, s.pnl])).toEqual([
      ['2021-01', 5],
      ['2021-02', -3],
    ]);
  });
});
