/** sector_concentration: sector sums, the boundary, gross shorts, unknown sectors, off. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from './limits.js';
import { sectorConcentration } from './sector-concentration.js';
import { makeContext } from './test-context.js';

const limits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  ...DEFAULT_RISK_LIMITS,
  ...overrides,
});

describe('sector_concentration', () => {
  it("adds the order to the sector's other holdings and says what it checked", () => {
    expect(sectorConcentration.check(makeContext(), limits())).toEqual({
      rule: 'sector_concentration',
      passed: true,
      message:
        'Information Technology would be 31.5 % of equity after this order (AAPL, MSFT), within ' +
        'the sector cap 40 %',
      limit: 0.4,
      value: 0.315,
    });
  });

  it('passes exactly at the cap and fails just above it, naming both', () => {
    const at = makeContext({ order: { quantity: 100, type: 'limit', limitPrice: 125 } });
    expect(sectorConcentration.check(at, limits())).toMatchObject({ passed: true, value: 0.4 });
    const above = makeContext({ order: { quantity: 101, type: 'limit', limitPrice: 125 } });
    const check = sectorConcentration.check(above, limits());
    expect(check.passed).toBe(false);
    expect(check.message).toBe(
      'Information Technology would be 40.1 % of equity after this order (AAPL, MSFT); the ' +
        'sector cap is 40 %',
    );
  });

  it('matches sector names ignoring case and counts shorts gross', () => {
    const context = makeContext({
      sectors: { aapl: 'Information Technology', MSFT: 'information technology' },
      account: {
        positions: { AAPL: { quantity: 100, price: 150 }, MSFT: { quantity: -50, price: 300 } },
      },
    });
    expect(sectorConcentration.check(context, limits()).value).toBe(0.315);
  });

  it('passes a sell that shrinks a position in a sector above the cap', () => {
    const context = makeContext({
      order: { side: 'sell', quantity: 10 },
      account: {
        positions: { AAPL: { quantity: 200, price: 150 }, MSFT: { quantity: 100, price: 200 } },
      },
    });
    const check = sectorConcentration.check(context, limits());
    expect(check).toMatchObject({ passed: true, value: 0.485 });
    expect(check.message).toContain(
      'above the sector cap 40 %, but the order reduces the position',
    );
  });

  it('fails an order in a symbol with no sector by default, and says why', () => {
    const context = makeContext({ order: { symbol: 'ZZZ' }, sectors: { ZZZ: null } });
    const check = sectorConcentration.check(context, limits());
    expect(check).toEqual({
      rule: 'sector_concentration',
      passed: false,
      message:
        "ZZZ has no sector in the instruments table, so its sector weight cannot be checked against the cap 40 %; refused because unknownSector is 'fail' (set the sector, or unknownSector to 'pass')",
      limit: 0.4,
      value: null,
    });
  });

  it("passes it, saying so, under unknownSector 'pass'; a blank sector is unknown too", () => {
    const context = makeContext({ order: { symbol: 'ZZZ' }, sectors: { ZZZ: '  ' } });
    const check = sectorConcentration.check(context, limits({ unknownSector: 'pass' }));
    expect(check.passed).toBe(true);
    expect(check.message).toContain("passed because unknownSector is 'pass'");
  });

  it('passes a sell that reduces a position with no sector even under the default', () => {
    const context = makeContext({
      order: { symbol: 'ZZZ', side: 'sell', quantity: 5 },
      account: { positions: { ZZZ: { quantity: 10, price: 150 } } },
      sectors: {},
    });
    expect(sectorConcentration.check(context, limits()).passed).toBe(true);
  });

  it('counts held symbols with no sector in a note', () => {
    const context = makeContext({
      account: {
        positions: {
          AAPL: { quantity: 100, price: 150 },
          QQQ: { quantity: 10, price: 400 },
          SPY: { quantity: 10, price: 500 },
        },
      },
    });
    const check = sectorConcentration.check(context, limits());
    expect(check.message).toBe(
      'Information Technology would be 16.5 % of equity after this order (AAPL), within the ' +
        'sector cap 40 % [2 held symbols have no sector and are not counted]',
    );
  });

  it('reports off, passed, when maxSectorWeight is null', () => {
    const check = sectorConcentration.check(makeContext(), limits({ maxSectorWeight: null }));
    expect(check).toMatchObject({ passed: true, limit: null, value: null });
    expect(check.message).toBe('sector concentration is off (maxSectorWeight is null)');
  });
});
