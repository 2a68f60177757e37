import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countTerms, terms } from './keyword.js';

// Text made of the pieces that matter to the tokenizer: words, stop words, digits, the joiners
// _ . - (alone, doubled, at the edges), punctuation, upper case and spaces.
const piece = fc.constantFrom(
  'NVDA',
  'nvda',
  'sold',
  'the',
  'a',
  'momentum_rotation',
  'sma_cross',
  '_',
  '.',
  '-',
  '__',
  '-.',
  '10',
  '2021-03-04',
  'x',
  'é',
  ' ',
  ' ',
  ',',
  '!',
  'b_-c',
  '.d',
  'e.',
  'Why',
  'is',
);
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));

describe('countTerms', () => {
  it('counts exactly what terms() lists, and gives its length', () => {
    fc.assert(
      fc.property(text, fc.array(piece, { maxLength: 6 }), (body, asked) => {
        const wanted = [...new Set(asked.flatMap((one) => terms(one)))];
        const slot = new Map(wanted.map((term, k) => [term, k]));
        const tf = new Float64Array(wanted.length);
        const listed = terms(body);
        expect(countTerms(body, slot, tf)).toBe(listed.length);
        wanted.forEach((term, k) => {
          expect(tf[k]).toBe(listed.filter((word) => word === term).length);
        });
      }),
      { numRuns: 2000 },
    );
  });
});
