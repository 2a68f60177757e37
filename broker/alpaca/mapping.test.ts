/** Alpaca's statuses and objects mapped onto the port, case by case. */
import { describe, expect, it } from 'vitest';
import { BrokerUnavailableError } from '../port.js';
import {
  alpacaOrderSchema,
  alpacaPositionSchema,
  mapStatus,
  parseAlpaca,
  toBrokerOrder,
  toBrokerPosition,
} from './mapping.js';

describe('mapStatus', () => {
  it.each([
    ['new', '0', 'accepted'],
    ['accepted', '0', 'accepted'],
    ['pending_new', '0', 'accepted'],
    ['accepted_for_bidding', '0', 'accepted'],
    ['calculated', '0', 'accepted'],
    ['held', '0', 'accepted'],
    ['stopped', '0', 'accepted'],
    ['suspended', '0', 'accepted'],
    ['done_for_day', '5', 'partially_filled'],
    ['pending_cancel', '0', 'accepted'],
    ['pending_replace', '2', 'partially_filled'],
    ['partially_filled', '2', 'partially_filled'],
    ['filled', '10', 'filled'],
    ['canceled', '3', 'cancelled'],
    ['expired', '0', 'expired'],
    ['rejected', '0', 'rejected'],
    ['replaced', '0', 'cancelled'],
    ['some_future_status', '0', 'accepted'],
  ])('%s with %s filled → %s', (status, filled, expected) => {
    expect(mapStatus(status, filled)).toBe(expected);
  });
});

describe('objects', () => {
  const order = {
    id: '61e69015-8549-4bfd-b9c3-01e75843f47d',
    client_order_id: 'cs-1-1',
    created_at: '2026-03-09T15:00:00Z',
    updated_at: '2026-03-09T15:00:01Z',
    symbol: 'AAPL',
    side: 'buy',
    qty: '10.0',
    notional: null,
    filled_qty: '0',
    filled_avg_price: null,
    status: 'replaced',
    replaced_by: 'b0b6dd9d',
  };

  it('an order: decimals normalised, a reason for orders that ended unfilled', () => {
    expect(toBrokerOrder(parseAlpaca(alpacaOrderSchema, order, 'order'))).toEqual({
      clientOrderId: 'cs-1-1',
      brokerOrderId: order.id,
      status: 'cancelled',
      filledQuantity: '0',
      avgFillPrice: null,
      reason: 'alpaca: replaced by order b0b6dd9d',
      updatedAt: '2026-03-09T15:00:01Z',
    });
  });

  it('a malformed order is refused with what was wrong', () => {
    expect(() => parseAlpaca(alpacaOrderSchema, { ...order, filled_qty: 'ten' }, 'order')).toThrow(
      new BrokerUnavailableError(
        'alpaca: unexpected order in the answer: filled_qty: not a decimal number',
      ),
    );
  });

  it('a short position gets a negative quantity, however Alpaca signs it', () => {
    const short = {
      symbol: 'AAPL ',
      side: 'short',
      avg_entry_price: '100.0',
      market_value: '-600.0',
    };
    const position = (qty: string) =>
      toBrokerPosition(parseAlpaca(alpacaPositionSchema, { ...short, qty }, 'position'));
    expect(position('5')).toEqual({
      symbol: 'AAPL',
      quantity: '-5',
      avgCost: '100',
      marketValue: '-600',
    });
    expect(position('-5').quantity).toBe('-5');
  });
});
