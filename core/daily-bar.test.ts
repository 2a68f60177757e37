import { describe, expect, it } from 'vitest';
import { type BarText, checkBar, isIsoDate, isValidSymbol } from './daily-bar.js';

const good: BarText = {
  date: '1999-11-01',
  open: '80.0',
  high: '80.69',
  low: '77.37',
  close: '77.62',
  adjClose: '0.596878742448',
  volume: '2487300',
  dividend: '0.0',
  split: '1.0',
};

describe('checkBar', () => {
  it('accepts a real bar, and whole volumes written with a decimal point', () => {
    expect(checkBar(good)).toBeUndefined();
    expect(checkBar({ ...good, volume: '2487300.0' })).toBeUndefined();
    expect(checkBar({ ...good, volume: '0' })).toBeUndefined();
    expect(checkBar({ ...good, open: '80.69', close: '77.37' })).toBeUndefined();
  });

  it.each<[string, Partial<BarText>, keyof BarText, string]>([
    ['a non-numeric price', { close: 'null' }, 'close', 'not a number'],
    ['an empty price', { open: '' }, 'open', 'not a number'],
    ['a hexadecimal price', { high: '0x50' }, 'high', 'not a number'],
    ['Infinity', { high: 'Infinity' }, 'high', 'not a number'],
    ['a negative price', { low: '-1.5' }, 'low', 'negative; a traded price must be > 0'],
    ['a zero price', { open: '0' }, 'open', 'zero; a traded price must be > 0'],
    ['a negative adjusted close', { adjClose: '-0.5' }, 'adjClose', 'negative'],
    ['high below low', { high: '77.0' }, 'high', 'below low 77.37; high must be ≥ low'],
    ['close above high', { close: '81' }, 'close', 'outside [low, high] = [77.37, 80.69]'],
    ['close below low', { close: '77.36' }, 'close', 'outside [low, high]'],
    ['open outside the range', { open: '90' }, 'open', 'outside [low, high]'],
    ['a negative volume', { volume: '-5' }, 'volume', 'negative; volume must be ≥ 0'],
    ['a fractional volume', { volume: '10.5' }, 'volume', 'not a whole number of shares'],
    ['a negative dividend', { dividend: '-0.1' }, 'dividend', 'negative'],
    ['a zero split', { split: '0' }, 'split', 'zero; a split coefficient must be > 0'],
    ['a slash date', { date: '11/01/1999' }, 'date', 'not a date in the form YYYY-MM-DD'],
    ['an impossible date', { date: '2021-02-29' }, 'date', 'not a date'],
  ])('refuses %s, naming the column, the value and the rule', (_name, change, column, reason) => {
    const problem = checkBar({ ...good, ...change });
    expect(problem?.column).toBe(column);
    expect(problem?.value).toBe({ ...good, ...change }[column]);
    expect(problem?.reason).toContain(reason);
  });
});

describe('isIsoDate', () => {
  it.each([
    ['2020-02-29', true],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2021-04-31', false],
    ['2021-13-01', false],
    ['2021-00-10', false],
    ['2021-1-01', false],
    ['1700-01-01', false],
    ['2021-04-21', true],
  ])('%s → %s', (text, valid) => {
    expect(isIsoDate(text)).toBe(valid);
  });
});

describe('isValidSymbol', () => {
  it.each([
    ['AAPL', true],
    ['BRK.B', true],
    ['BF-B', true],
    ['aapl', false],
    ['', false],
    ['A B', false],
    ['TOO-LONG-SYMBOL-NAME-X', false],
  ])('%j → %s', (symbol, valid) => {
    expect(isValidSymbol(symbol)).toBe(valid);
  });
});
