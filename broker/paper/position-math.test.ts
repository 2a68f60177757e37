/** Positions through a sequence of fills: averaging up, realizing on reductions, flipping through zero both ways. */
import { describe, expect, it } from 'vitest';
import { Dec } from '../../core/decimal.js';
import { applyFill, type PositionState } from './position-math.js';

const d = (text: string) => new Dec(text);
const flat: PositionState = { quantity: d('0'), avgCost: d('0'), realizedPnl: d('0') };

describe('applyFill', () => {
  // One running position; each row is a fill and the position after it.
  const steps = [
    ['buy', '10', '100', '10', '100', '0', true, 'opens a long'],
    ['buy', '5', '110', '15', '103.3333333333', '0', false, 'adds: (1000 + 550) / 15'],
    [
      'sell',
      '5',
      '120',
      '10',
      '103.3333333333',
      '83.3333333335',
      false,
      'reduces: 5 × (120 − 103.3333333333)',
    ],
    [
      'sell',
      '10',
      '100',
      '0',
      '0',
      '50.0000000005',
      false,
      'closes: 10 × (100 − 103.3333333333) = −33.333333333',
    ],
    ['buy', '10', '100', '10', '100', '50.0000000005', true, 'opens again'],
    [
      'sell',
      '15',
      '110',
      '-5',
      '110',
      '150.0000000005',
      true,
      'flips long → short: +100 on the 10 closed, 5 short at 110',
    ],
    [
      'sell',
      '5',
      '100',
      '-10',
      '105',
      '150.0000000005',
      false,
      'adds to the short: (550 + 500) / 10',
    ],
    ['buy', '4', '100', '-6', '105', '170.0000000005', false, 'covers 4: 4 × (105 − 100)'],
    [
      'buy',
      '10',
      '90',
      '4',
      '90',
      '260.0000000005',
      true,
      'flips short → long: +90 on the 6 covered, 4 long at 90',
    ],
  ] as const;

  let position: PositionState = flat;
  it.each(steps)(
    '%s %s @ %s → %s @ %s, realized %s (%s, %s)',
    (side, qty, price, q, cost, pnl, opened) => {
      const next = applyFill(position, side, d(qty), d(price));
      expect([
        next.quantity.toFixed(),
        next.avgCost.toFixed(),
        next.realizedPnl.toFixed(),
        next.opened,
      ]).toEqual([q, cost, pnl, opened]);
      position = next;
    },
  );

  it('keeps fractional quantities exact', () => {
    const next = applyFill(flat, 'buy', d('0.123456'), d('187.3312'));
    const after = applyFill(next, 'sell', d('0.023456'), d('190'));
    expect([
      after.quantity.toFixed(),
      after.avgCost.toFixed(),
      after.realizedPnl.toFixed(),
    ]).toEqual([
      '0.1',
      '187.3312',
      // 0.023456 × (190 − 187.3312) = 0.023456 × 2.6688
      '0.0625993728',
    ]);
  });
});
