/** Why a screen ranked no symbol, in words: the history the weighted factors need, or the filters that removed the symbols. */
import { FACTOR_MIN_BARS, type FactorName, PRICE_FACTOR_NAMES } from './factors.js';
import {
  EXCLUSION_REASONS,
  type Exclusion,
  type ExclusionReason,
  STALE_AFTER_DAYS,
} from './filters.js';

/** What the explanation reads, besides the exclusions themselves. */
export interface EmptyScreenFacts {
  asOf: string;
  /** Symbols in the universe. */
  universe: number;
  exclusions: readonly Exclusion[];
  /** The factors with a non-zero weight. */
  weighted: readonly FactorName[];
  /** Bars on or before asOf, and the date of the last of them, by symbol. */
  history: ReadonlyMap<string, { bars: number; last: string | undefined }>;
}

const FILTER_NAMES: Partial<Record<ExclusionReason, string>> = {
  sector: 'the sector filter',
  min_price: 'the minimum price filter',
  min_dollar_volume: 'the minimum dollar volume filter',
  sma200: 'the SMA 200 filter',
};

/** What a factor needs, as a phrase: "253 bars", or a model score for model_score. */
function need(name: FactorName): string {
  return name === 'model_score' ? 'a model score' : `${FACTOR_MIN_BARS[name]} bars`;
}

const have = (count: number) => (count === 1 ? `${count} has` : `${count} have`);

/** The range of bar counts of `symbols`, as "10 to 12 bars" or "30 bars". */
function barRange(symbols: string[], facts: EmptyScreenFacts): string {
  const counts = symbols.map((symbol) => facts.history.get(symbol)?.bars ?? 0);
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  return low === high ? `${low} bars` : `${low} to ${high} bars`;
}

/** The history clause and its advice, for the symbols left out as no_factors. */
function historyClause(symbols: string[], facts: EmptyScreenFacts): [string, string] {
  const needs = facts.weighted
    .map((name, k) => (k === 0 ? `${name} needs ${need(name)}` : `${name} ${need(name)}`))
    .join(', ');
  const they = symbols.length === 1 ? 'it has' : 'they have';
  const clause =
    `${have(symbols.length)} too little history for any weighted factor (${needs}): ` +
    `${they} ${barRange(symbols, facts)} on or before ${facts.asOf}`;
  const fewest = Math.min(
    ...facts.weighted.map((name) =>
      name === 'model_score' ? Number.POSITIVE_INFINITY : FACTOR_MIN_BARS[name],
    ),
  );
  const shorter = PRICE_FACTOR_NAMES.filter(
    (name) => !facts.weighted.includes(name) && FACTOR_MIN_BARS[name] < fewest,
  );
  const alternatives = shorter.map((name) => `${name} ${FACTOR_MIN_BARS[name]}`).join(', ');
  const advice =
    shorter.length > 0
      ? `Screen a later date, or weight a factor that needs fewer bars (${alternatives}).`
      : 'Screen a later date.';
  return [clause, advice];
}

/**
 * One paragraph saying why nothing was ranked, e.g. "No symbol was ranked on 2021-01-10: all 2
 * were left out. 2 have too little history for any weighted factor (momentum_12_1 needs 253 bars):
 * they have 10 to 12 bars on or before 2021-01-10. Screen a later date …". Each reason in
 * EXCLUSION_REASONS order with its count and, for a filter, one symbol's values as the example.
 */
export function explainEmptyScreen(facts: EmptyScreenFacts): string {
  const clauses: string[] = [];
  const advice = new Set<string>();
  const filters: string[] = [];
  for (const reason of EXCLUSION_REASONS) {
    const group = facts.exclusions.filter((e) => e.reason === reason);
    const first = group[0];
    if (first === undefined) continue;
    const count = group.length;
    if (reason === 'no_factors') {
      const [clause, tip] = historyClause(
        group.map((e) => e.symbol),
        facts,
      );
      clauses.push(clause);
      advice.add(tip);
    } else if (reason === 'no_data') {
      clauses.push(
        `${have(count)} no bar on or before ${facts.asOf} (${first.symbol}'s prices start later)`,
      );
      advice.add('Screen a date the prices cover.');
    } else if (reason === 'stale') {
      const last = facts.history.get(first.symbol)?.last;
      clauses.push(
        `${have(count)} no bar in the ${STALE_AFTER_DAYS} calendar days up to ${facts.asOf} ` +
          `(${first.symbol}'s last is on ${last})`,
      );
      advice.add('Screen a date the prices cover.');
    } else {
      clauses.push(`${count} by ${FILTER_NAMES[reason]} (${first.symbol}: ${first.detail})`);
      filters.push(reason);
    }
  }
  if (filters.length > 0)
    advice.add(`Loosen or drop ${filters.length === 1 ? 'that filter' : 'those filters'}.`);
  const who =
    facts.universe === 1 ? 'the 1 symbol was left out' : `all ${facts.universe} were left out`;
  return [
    `No symbol was ranked on ${facts.asOf}: ${who}.`,
    `${clauses.join('; ')}.`,
    ...advice,
  ].join(' ');
}
