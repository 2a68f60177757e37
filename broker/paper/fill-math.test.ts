/** The paper broker's execution rules, case by case, with every figure worked out by hand. */
import { describe, expect, it } from 'vitest';
import { Dec } from '../../core/decimal.js';
import {
  cents,
  commissionFor,
  decideFill,
  executionPrice,
  floorUnits,
  type OrderProgress,
  type OrderTerms,
  slippedPrice,
} from './fill-math.js';
import { resolvePaperTerms } from './options.js';

const d = (text: string) => new Dec(text);
const none: OrderProgress = { filledQuantity: d('0'), filledValue: d('0') };
const market = (side: 'buy' | 'sell', quantity: string): OrderTerms => ({
  side,
  type: 'market',
  quantity: d(quantity),
  notional: null,
  limitPrice: null,
  stopPrice: null,
});
const defaults = resolvePaperTerms();

describe('slippedPrice: against the trader, 4 decimals, rounded against the trader', () => {
  it.each([
    ['buy', '100', '5', '100.05'],
    ['sell', '100', '5', '99.95'],
    // 123.45 × 1.0005 = 123.511725 → up; 123.45 × 0.9995 = 123.388275 → down
    ['buy', '123.45', '5', '123.5118'],
    ['sell', '123.45', '5', '123.3882'],
    ['buy', '10.12345', '0', '10.1235'],
    ['sell', '10.12345', '0', '10.1234'],
    ['buy', '0.5', '20', '0.501'],
  ] as const)('%s at %s with %s bps → %s', (side, quote, bps, expected) => {
    expect(slippedPrice(side, d(quote), d(bps)).toFixed()).toBe(expected);
  });
});

describe('executionPrice', () => {
  const limit = (side: 'buy' | 'sell', price: string): OrderTerms => ({
    ...market(side, '10'),
    type: 'limit',
    limitPrice: d(price),
  });
  const stop = (side: 'buy' | 'sell', price: string): OrderTerms => ({
    ...market(side, '10'),
    type: 'stop',
    stopPrice: d(price),
  });
  const bps = d('5');
  const started: OrderProgress = { filledQuantity: d('1'), filledValue: d('105') };

  it.each([
    [
      'limit buy 99.99, quote 100: not through the limit',
      limit('buy', '99.99'),
      none,
      '100',
      'not_marketable',
    ],
    [
      'limit buy 100, quote 100: slipped 100.05 capped at the limit',
      limit('buy', '100'),
      none,
      '100',
      '100',
    ],
    ['limit buy 101, quote 100: the slipped quote', limit('buy', '101'), none, '100', '100.05'],
    [
      'limit buy 100, quote 99.98: 100.02999 → 100.03, capped at 100',
      limit('buy', '100'),
      none,
      '99.98',
      '100',
    ],
    [
      'limit sell 100, quote 99.99: not through',
      limit('sell', '100'),
      none,
      '99.99',
      'not_marketable',
    ],
    [
      'limit sell 100, quote 100: slipped 99.95 floored at the limit',
      limit('sell', '100'),
      none,
      '100',
      '100',
    ],
    ['limit sell 99, quote 100: the slipped quote', limit('sell', '99'), none, '100', '99.95'],
    [
      'stop buy 105, quote 104.99: not triggered',
      stop('buy', '105'),
      none,
      '104.99',
      'not_triggered',
    ],
    [
      'stop buy 105, quote 105: triggered, like a market order',
      stop('buy', '105'),
      none,
      '105',
      '105.0525',
    ],
    [
      'stop buy 105 already part filled, quote 104: stays triggered',
      stop('buy', '105'),
      started,
      '104',
      '104.052',
    ],
    [
      'stop sell 95, quote 95.01: not triggered',
      stop('sell', '95'),
      none,
      '95.01',
      'not_triggered',
    ],
    ['stop sell 95, quote 95: triggered', stop('sell', '95'), none, '95', '94.9525'],
    ['market sell, quote 100', market('sell', '1'), none, '100', '99.95'],
  ] as const)('%s', (_name, order, progress, quote, expected) => {
    const result = executionPrice(order, progress, d(quote), bps);
    expect('reason' in result ? result.reason : result.price.toFixed()).toBe(expected);
  });
});

describe('commissionFor: per share + bps, at least the minimum, to the cent (banker’s rounding)', () => {
  const terms = resolvePaperTerms({
    commissionPerShare: '0.005',
    commissionBps: '1',
    commissionMinimum: '1',
  });
  it.each([
    // 150 × 0.005 = 0.75; 150 × 123.5118 = 18526.77 × 0.0001 = 1.852677 → 2.602677 → 2.60
    ['150', '123.5118', terms, '2.6'],
    // 0.05 + 0.10005 = 0.15005, below the 1.00 minimum
    ['10', '100.05', terms, '1'],
    ['1', '10', resolvePaperTerms({ commissionPerShare: '0.005' }), '0'], // 0.005 → 0.00 (even)
    ['3', '10', resolvePaperTerms({ commissionPerShare: '0.005' }), '0.02'], // 0.015 → 0.02 (even)
    ['1000', '50', defaults, '0'],
  ] as const)('%s shares at %s → %s', (quantity, price, t, expected) => {
    expect(commissionFor(d(quantity), d(price), t).toFixed()).toBe(expected);
  });
});

describe('cents and units', () => {
  it.each([
    ['30.015', '30.02'],
    ['10.125', '10.12'],
    ['2551.275', '2551.28'],
    ['-0.005', '0'],
  ])('cents(%s) = %s', (amount, expected) => {
    expect(cents(d(amount)).toFixed()).toBe(expected);
  });

  it('rounds quantities down to whole shares, or millionths when fractional', () => {
    expect(floorUnits(d('9.9999'), false).toFixed()).toBe('9');
    expect(floorUnits(d('9.9950024987'), true).toFixed()).toBe('9.995002');
  });
});

describe('decideFill', () => {
  const quote = (price: string, volume: string | null) => ({
    price: d(price),
    volume: volume === null ? null : d(volume),
  });

  it('takes at most maxVolumeShare of the quote volume', () => {
    const decision = decideFill(market('buy', '250'), none, quote('50', '1000'), defaults, false);
    expect(decision).toMatchObject({ fill: true, complete: false });
    if (!decision.fill) throw new Error('expected a fill');
    expect(decision.quantity.toFixed()).toBe('100');
    expect(decision.price.toFixed()).toBe('50.025');
    expect(decision.value.toFixed()).toBe('5002.5');
  });

  it('fills the rest and completes when the cap allows it', () => {
    const progress = { filledQuantity: d('200'), filledValue: d('10000') };
    const decision = decideFill(
      market('buy', '250'),
      progress,
      quote('50', '1000'),
      defaults,
      false,
    );
    if (!decision.fill) throw new Error('expected a fill');
    expect(decision.quantity.toFixed()).toBe('50');
    expect(decision.complete).toBe(true);
  });

  it('an unknown volume puts no cap; a volume too small for one share gives no fill', () => {
    const all = decideFill(market('buy', '250'), none, quote('50', null), defaults, false);
    expect(all.fill && all.quantity.toFixed()).toBe('250');
    expect(decideFill(market('buy', '1'), none, quote('50', '5'), defaults, false)).toEqual({
      fill: false,
      reason: 'no_volume',
    });
    const fractional = decideFill(market('buy', '1'), none, quote('50', '5'), defaults, true);
    expect(fractional.fill && fractional.quantity.toFixed()).toBe('0.5');
  });

  it('a notional order buys what the notional pays for at the fill price, whole shares unless fractional', () => {
    const notional: OrderTerms = { ...market('buy', '1'), quantity: null, notional: d('1000') };
    const whole = decideFill(notional, none, quote('100', null), defaults, false);
    if (!whole.fill) throw new Error('expected a fill');
    // 1000 / 100.05 = 9.995…: 9 shares, and the 99.55 left buys none
    expect([whole.quantity.toFixed(), whole.value.toFixed(), whole.complete]).toEqual([
      '9',
      '900.45',
      true,
    ]);
    const fractional = decideFill(notional, none, quote('100', null), defaults, true);
    if (!fractional.fill) throw new Error('expected a fill');
    // 9.995002 × 100.05 = 999.9999501 → 1000.00
    expect([
      fractional.quantity.toFixed(),
      fractional.value.toFixed(),
      fractional.complete,
    ]).toEqual(['9.995002', '1000', true]);
  });

  it('a filled quantity order has nothing left', () => {
    const progress = { filledQuantity: d('10'), filledValue: d('1000') };
    expect(decideFill(market('sell', '10'), progress, quote('100', null), defaults, false)).toEqual(
      {
        fill: false,
        reason: 'nothing_left',
      },
    );
  });
});

describe('resolvePaperTerms', () => {
  it('fills in the defaults', () => {
    const terms = resolvePaperTerms();
    expect([
      terms.slippageBps.toFixed(),
      terms.commissionPerShare.toFixed(),
      terms.commissionBps.toFixed(),
      terms.commissionMinimum.toFixed(),
      terms.maxVolumeShare.toFixed(),
      terms.lockTimeoutMs,
    ]).toEqual(['5', '0', '0', '0', '0.1', 5000]);
  });

  it.each([
    [{ maxVolumeShare: 0 }, /maxVolumeShare must be in \(0, 1\], got 0/],
    [{ maxVolumeShare: '1.5' }, /maxVolumeShare must be in \(0, 1\], got 1.5/],
    [{ slippageBps: -1 }, /slippageBps must be from 0 to below 10000, got -1/],
    [{ commissionPerShare: 'abc' }, /commissionPerShare must be a number ≥ 0, got abc/],
    [{ commissionMinimum: -0.01 }, /commissionMinimum must be ≥ 0, got -0.01/],
    [{ lockTimeoutMs: 0 }, /lockTimeoutMs must be an integer from 1 to 600000, got 0/],
  ])('refuses %o', (options, message) => {
    expect(() => resolvePaperTerms(options)).toThrow(message);
  });
});
