/** The SVG pieces: escaping user text, clipping, nice ticks and the number labels. */
import { describe, expect, it } from 'vitest';
import { clip, escapeXml, moneyLabel, niceTicks, num, percentLabel } from './svg-kit.js';

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<script>&"'`)).toBe('&lt;script&gt;&amp;&quot;&#39;');
  });

  it('drops characters XML cannot hold at all, keeping tabs, newlines and astral ones', () => {
    expect(escapeXml('a\u0000b\u0008c\u001Fd\uFFFEe\uD800f\uDC00g')).toBe('abcdefg');
    expect(escapeXml('t\tn\n📈')).toBe('t\tn\n📈');
  });
});

describe('clip', () => {
  it('keeps short text, flattens whitespace and cuts long text on whole code points', () => {
    expect(clip('  a\n b ', 10)).toBe('a b');
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('📈📈📈📈', 3)).toBe('📈📈…');
  });
});

describe('niceTicks', () => {
  it.each([
    { min: 0, max: 1, values: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    {
      min: 97_000,
      max: 143_000,
      values: [90_000, 100_000, 110_000, 120_000, 130_000, 140_000, 150_000],
    },
    { min: -0.37, max: 0, values: [-0.4, -0.2, 0] },
    { min: 0.1, max: 0.3, values: [0.1, 0.15, 0.2, 0.25, 0.3] },
  ])('covers $min to $max with round steps', ({ min, max, values }) => {
    const ticks = niceTicks(min, max, values.length > 3 ? 5 : 2);
    expect(ticks.values).toEqual(values);
    expect(ticks.min).toBeLessThanOrEqual(min);
    expect(ticks.max).toBeGreaterThanOrEqual(max);
  });

  it('widens a flat or non-finite range instead of dividing by zero', () => {
    expect(niceTicks(1000, 1000).values.length).toBeGreaterThan(2);
    expect(niceTicks(0, 0).values).toContain(0);
    expect(niceTicks(Number.NaN, 5).values.every(Number.isFinite)).toBe(true);
  });
});

describe('labels', () => {
  it('prints percents with a typographic minus and no "-0"', () => {
    expect(percentLabel(0.125, 0.001)).toBe('12.5%');
    expect(percentLabel(-0.2, 0.1)).toBe('−20%');
    expect(percentLabel(-0.00001, 0.01)).toBe('0%');
  });

  it('prints money in k, M or B with decimals enough for the step', () => {
    expect(moneyLabel(0, 5e6, 15e6)).toBe('$0');
    expect(moneyLabel(120_000, 20_000)).toBe('$120k');
    expect(moneyLabel(1_250_000, 250_000)).toBe('$1.25M');
    expect(moneyLabel(950, 50)).toBe('$950');
    expect(moneyLabel(-2e9, 1e9)).toBe('−$2B');
  });

  it('rounds coordinates to one decimal, without "-0"', () => {
    expect(num(12.345)).toBe('12.3');
    expect(num(-0.01)).toBe('0');
  });
});
