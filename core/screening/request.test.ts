/** parseScreenRequest: the defaults it fills in, and the message for every kind of bad input. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEIGHTS, parseScreenRequest, ScreenRequestError } from './request.js';

const FACTORS =
  'momentum_12_1, reversal_1m, volatility, rsi, distance_52w_high, drawdown, trend_strength, model_score';

describe('parseScreenRequest', () => {
  it('fills the defaults', () => {
    expect(parseScreenRequest({ asOf: '2021-04-21' })).toEqual({
      asOf: '2021-04-21',
      filters: {},
      weights: DEFAULT_WEIGHTS,
      top: 20,
      winsorize: 3,
      modelScores: undefined,
    });
    const sum = Object.values(DEFAULT_WEIGHTS).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 15);
    expect(DEFAULT_WEIGHTS.momentum_12_1).toBe(Math.max(...Object.values(DEFAULT_WEIGHTS)));
  });

  it('keeps what is given', () => {
    const parsed = parseScreenRequest({
      asOf: '2020-02-29',
      filters: { minPrice: 0, minDollarVolume: 1e6, sectors: ['Energy'], aboveSma200: false },
      weights: { volatility: -1, model_score: 2 },
      top: 500,
      winsorize: 0.5,
      modelScores: { AAPL: -3 },
    });
    expect(parsed).toEqual({
      asOf: '2020-02-29',
      filters: { minPrice: 0, minDollarVolume: 1e6, sectors: ['Energy'], aboveSma200: false },
      weights: {
        ...Object.fromEntries(Object.keys(DEFAULT_WEIGHTS).map((name) => [name, 0])),
        volatility: -1,
        model_score: 2,
      },
      top: 500,
      winsorize: 0.5,
      modelScores: { AAPL: -3 },
    });
  });

  const asOf = '2021-01-04';
  it.each([
    { input: null, message: 'the screen request must be an object, got null' },
    { input: [], message: 'the screen request must be an object, got []' },
    { input: {}, message: 'asOf must be a date written YYYY-MM-DD, got nothing' },
    {
      input: { asOf: '2021-02-30' },
      message: 'asOf must be a date written YYYY-MM-DD, got "2021-02-30"',
    },
    {
      input: { asOf: '04/01/2021' },
      message: 'asOf must be a date written YYYY-MM-DD, got "04/01/2021"',
    },
    { input: { asOf: 20210104 }, message: 'asOf must be a date written YYYY-MM-DD, got 20210104' },
    {
      input: { asOf, limit: 5 },
      message:
        'unknown field "limit" in the screen request; valid fields are asOf, filters, weights, top, winsorize, modelScores',
    },
    {
      input: { asOf, weights: { momentum: 1 } },
      message: `unknown factor "momentum" in weights; valid factors are ${FACTORS}`,
    },
    {
      input: { asOf, weights: { rsi: '1' } },
      message: 'weights.rsi must be a finite number, got "1"',
    },
    {
      input: { asOf, weights: { rsi: Number.NaN } },
      message: 'weights.rsi must be a finite number, got NaN',
    },
    {
      input: { asOf, weights: { drawdown: Number.POSITIVE_INFINITY } },
      message: 'weights.drawdown must be a finite number, got Infinity',
    },
    {
      input: { asOf, weights: [1] },
      message: 'weights must be an object of factor weights, got [1]',
    },
    { input: { asOf, top: -1 }, message: 'top must be a whole number from 1 to 500, got -1' },
    { input: { asOf, top: 0 }, message: 'top must be a whole number from 1 to 500, got 0' },
    { input: { asOf, top: 501 }, message: 'top must be a whole number from 1 to 500, got 501' },
    { input: { asOf, top: 2.5 }, message: 'top must be a whole number from 1 to 500, got 2.5' },
    { input: { asOf, top: '10' }, message: 'top must be a whole number from 1 to 500, got "10"' },
    { input: { asOf, winsorize: 0 }, message: 'winsorize must be a finite number > 0, got 0' },
    { input: { asOf, winsorize: -2 }, message: 'winsorize must be a finite number > 0, got -2' },
    { input: { asOf, filters: 'cheap' }, message: 'filters must be an object, got "cheap"' },
    {
      input: { asOf, filters: { minPrice: -1 } },
      message: 'filters.minPrice must be a finite number ≥ 0, got -1',
    },
    {
      input: { asOf, filters: { minDollarVolume: '1e6' } },
      message: 'filters.minDollarVolume must be a finite number ≥ 0, got "1e6"',
    },
    {
      input: { asOf, filters: { sectors: [] } },
      message: 'filters.sectors must be a non-empty list of sector names, got []',
    },
    {
      input: { asOf, filters: { sectors: 'Energy' } },
      message: 'filters.sectors must be a list of sector names, got "Energy"',
    },
    {
      input: { asOf, filters: { sectors: ['Energy', ''] } },
      message: 'filters.sectors[1] must be a sector name, got ""',
    },
    {
      input: { asOf, filters: { aboveSma200: 'yes' } },
      message: 'filters.aboveSma200 must be true or false, got "yes"',
    },
    {
      input: { asOf, filters: { sma200: true } },
      message:
        'unknown filter "sma200"; valid filters are minPrice, minDollarVolume, sectors, aboveSma200',
    },
    {
      input: { asOf, modelScores: { 'BRK.B': null } },
      message: 'modelScores["BRK.B"] must be a finite number, got null',
    },
    {
      input: { asOf, modelScores: [0.5] },
      message: 'modelScores must be an object of scores by symbol, got [0.5]',
    },
    {
      input: {
        asOf,
        weights: {
          momentum_12_1: 0,
          reversal_1m: 0,
          volatility: 0,
          distance_52w_high: 0,
          trend_strength: 0,
        },
      },
      message: `all factor weights are 0; give at least one of ${FACTORS} a non-zero weight`,
    },
    {
      input: { asOf, weights: { model_score: 0.5 } },
      message:
        'weights.model_score is 0.5 but no modelScores were given; pass modelScores or leave weights.model_score at 0',
    },
    {
      input: { asOf: 'today', top: 0 },
      message:
        'asOf must be a date written YYYY-MM-DD, got "today"; top must be a whole number from 1 to 500, got 0',
    },
  ])('refuses $input', ({ input, message }) => {
    expect(() => parseScreenRequest(input)).toThrow(new ScreenRequestError(message));
  });

  it('throws ScreenRequestError, named so', () => {
    try {
      parseScreenRequest({ asOf: 'x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScreenRequestError);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).name).toBe('ScreenRequestError');
    }
  });
});
