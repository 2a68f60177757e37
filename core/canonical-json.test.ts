import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson } from './canonical-json.js';
import { Dec } from './decimal.js';

describe('canonicalJson', () => {
  it.each([
    [
      'keys sorted at every level',
      { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } },
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    ],
    [
      'no whitespace, JSON strings',
      { 'a b': 'tab\there "q" \u00e9 \u2028 \ud800' },
      '{"a b":"tab\\there \\"q\\" é \u2028 \\ud800"}',
    ],
    [
      'numbers as JSON spells them',
      [1, 1.5, -0, 1e21, 1e-7, 0.1 + 0.2],
      '[1,1.5,0,1e+21,1e-7,0.30000000000000004]',
    ],
    [
      'undefined members left out, undefined in arrays is null',
      { a: undefined, b: [undefined] },
      '{"b":[null]}',
    ],
    ['undefined at the top is null', undefined, 'null'],
    [
      'toJSON honoured',
      { when: new Date('2026-01-02T03:04:05.678Z'), price: new Dec('10.50') },
      '{"price":"10.5","when":"2026-01-02T03:04:05.678Z"}',
    ],
    [
      'keys sorted by UTF-16 code units',
      { é: 1, z: 2, Z: 3, '\u{1F600}': 4, '\uFFFF': 5 },
      '{"Z":3,"z":2,"é":1,"😀":4,"\uFFFF":5}',
    ],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('hashes the same after a JSON round trip (what a jsonb column does)', () => {
    const value = { z: [1, { b: 'x', a: undefined }], a: new Date(0), n: 123.456, t: true };
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  it('matches JSON.stringify on values that have one spelling already', () => {
    const value = { a: 1, b: ['x', null, false], c: { d: 'e' } };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });

  it.each([
    ['NaN', { legs: [{ price: Number.NaN }] }, '.legs[0].price'],
    ['Infinity', [1, Number.POSITIVE_INFINITY], '[1]'],
    ['bigint', { volume: 10n }, '.volume'],
    ['a function', { f: () => 1 }, '.f'],
    ['a symbol', Symbol('s'), ''],
  ])('refuses %s and says where it is', (_name, value, path) => {
    let caught: unknown;
    try {
      canonicalJson(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CanonicalJsonError);
    expect((caught as CanonicalJsonError).path).toBe(path);
  });
});
