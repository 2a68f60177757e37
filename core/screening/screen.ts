/** screenStocks: rank a universe of symbols on one date by a weighted sum of cross-sectional factor z-scores. */
import type { PriceSeries } from '../series/price-series.js';
import { crossSectionalZ, type FactorStats } from './cross-section.js';
import { explainEmptyScreen } from './empty-screen.js';
import {
  FACTOR_NAMES,
  FACTOR_ORIENTATION,
  type FactorName,
  PRICE_FACTOR_NAMES,
  priceFactors,
} from './factors.js';
import {
  type AsOfBar,
  checkFilters,
  EXCLUSION_REASONS,
  type Exclusion,
  type ExclusionReason,
  lastIndexOnOrBefore,
} from './filters.js';
import { parseScreenRequest, type ScreenRequest, ScreenRequestError } from './request.js';

/** The symbols a screen chooses from: their bars (already in memory) and their sectors. */
export interface ScreenUniverse {
  series: readonly PriceSeries[];
  /** GICS sector (or any grouping) by symbol; a symbol without one has sector null in the rows. */
  sectors: Readonly<Record<string, string | undefined>>;
}

/** One ranked symbol. Factor records hold only the factors that are present for it. */
export interface ScreenRow {
  /** 1 for the best score; ties are ordered by symbol, so ranks are always 1, 2, 3, … */
  rank: number;
  symbol: string;
  sector: string | null;
  /** The date of the bar used: the last one on or before asOf. */
  date: string;
  /** Raw (traded) close on `date`. */
  price: number;
  /** Mean raw close × volume over the last 20 bars. */
  dollarVolume: number;
  /** Σ contributions, summed in FACTOR_NAMES order. */
  score: number;
  /** weight × z for every factor with a non-zero weight; 0 for one that is missing. */
  contributions: Partial<Record<FactorName, number>>;
  /** Raw factor values (see factors.ts for each formula). */
  factors: Partial<Record<FactorName, number>>;
  /** Oriented (higher = better), clipped cross-sectional z-scores. */
  zScores: Partial<Record<FactorName, number>>;
  /** Factors this symbol lacks (too little history, or no model score): they contribute 0. */
  missing: FactorName[];
}

/** What a screen found. */
export interface ScreenResult {
  asOf: string;
  /** Symbols in the universe. */
  universe: number;
  /** Symbols ranked: they passed every filter and have at least one weighted factor. */
  passed: number;
  /** How many symbols each reason left out (reasons with none are omitted). */
  excluded: Partial<Record<ExclusionReason, number>>;
  /** Every symbol left out, by symbol, with the values behind its reason. */
  exclusions: Exclusion[];
  /** The weight of every factor after defaults. */
  weights: Record<FactorName, number>;
  /** The ± clip applied to z-scores. */
  winsorize: number;
  /** Mean, std and count of each factor over the ranked symbols (model_score only when given). */
  factorStats: Partial<Record<FactorName, FactorStats>>;
  /** The best `top` symbols, by score descending, then symbol ascending. */
  rows: ScreenRow[];
  /**
   * Only when no symbol was ranked: why, in words (the history each weighted factor needs and how
   * many bars the symbols have, or which filter removed them, with an example), and what to change.
   */
  note?: string;
}

interface Candidate {
  symbol: string;
  sector: string | undefined;
  bar: AsOfBar;
  raw: Record<FactorName, number>;
}

function sectorOf(universe: ScreenUniverse, symbol: string): string | undefined {
  return Object.hasOwn(universe.sectors, symbol) ? universe.sectors[symbol] : undefined;
}

function bySymbol(a: PriceSeries, b: PriceSeries): number {
  return a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0;
}

/** Throws unless the universe has bars and each symbol once; returns its series sorted by symbol. */
function sortedSeries(universe: ScreenUniverse): PriceSeries[] {
  const series = [...universe.series].sort(bySymbol);
  if (series.length === 0) throw new ScreenRequestError('the universe has no symbols to screen');
  for (let j = 1; j < series.length; j++) {
    const symbol = (series[j] as PriceSeries).symbol;
    if (symbol === (series[j - 1] as PriceSeries).symbol) {
      throw new ScreenRequestError(
        `the universe holds ${symbol} twice; each symbol may appear once`,
      );
    }
  }
  return series;
}

/** Throws when asOf lies outside every series' dates, naming the nearest date that has data. */
function checkAsOfInRange(series: PriceSeries[], asOf: string): void {
  let first: string | undefined;
  let last: string | undefined;
  for (const s of series) {
    const a = s.dates[0];
    const b = s.dates[s.dates.length - 1];
    if (a !== undefined && (first === undefined || a < first)) first = a;
    if (b !== undefined && (last === undefined || b > last)) last = b;
  }
  if (first === undefined || last === undefined) {
    throw new ScreenRequestError('no symbol in the universe has any bars; load prices first');
  }
  if (asOf > last) {
    throw new ScreenRequestError(
      `asOf ${asOf} is after the last bar of every series; the latest available date is ${last}`,
    );
  }
  if (asOf < first) {
    throw new ScreenRequestError(
      `asOf ${asOf} is before the first bar of every series; the earliest available date is ${first}`,
    );
  }
}

/** The filter's sector names in lower case; throws for one that no symbol of the universe has. */
function wantedSectors(
  series: PriceSeries[],
  universe: ScreenUniverse,
  names: string[] | undefined,
): Set<string> | undefined {
  if (names === undefined) return undefined;
  const known = new Map<string, string>();
  for (const s of series) {
    const sector = sectorOf(universe, s.symbol);
    if (sector !== undefined) known.set(sector.toLowerCase(), sector);
  }
  const unknown = names.filter((name) => !known.has(name.toLowerCase()));
  if (unknown.length > 0) {
    const valid = [...known.values()].sort();
    throw new ScreenRequestError(
      `unknown sector ${unknown.map((name) => JSON.stringify(name)).join(', ')} in filters.sectors; ` +
        `sectors in the universe are ${valid.length > 0 ? valid.join(', ') : '(none: no sectors were loaded)'}`,
    );
  }
  return new Set(names.map((name) => name.toLowerCase()));
}

/**
 * Screens `universe` on `request.asOf` (see ScreenRequest; throws ScreenRequestError for a bad
 * request). For each symbol, reads only the bars dated on or before asOf, and only the windows the
 * factors need. Symbols that pass the filters are scored:
 *
 *   score = Σ_f weight_f × z_f,   z_f = clip(orientation_f × (x_f − mean_f) / std_f, ±winsorize)
 *
 * with mean and population std of each factor over the ranked symbols that have it. A factor a
 * symbol lacks contributes 0 (the cross-sectional mean) and is listed in its `missing`. Symbols
 * with none of the non-zero-weighted factors are excluded as no_factors. The result does not depend
 * on the order of `universe.series`. An asOf after the last bar of every series is refused with the
 * latest available date — even a weekend or holiday just after it — and so is one before all data.
 */
export function screenStocks(universe: ScreenUniverse, request: ScreenRequest): ScreenResult {
  const { asOf, filters, weights, top, winsorize, modelScores } = parseScreenRequest(request);
  const series = sortedSeries(universe);
  checkAsOfInRange(series, asOf);
  const sectors = wantedSectors(series, universe, filters.sectors);
  const active: FactorName[] = modelScores ? [...FACTOR_NAMES] : [...PRICE_FACTOR_NAMES];
  const weighted = active.filter((name) => weights[name] !== 0);

  const candidates: Candidate[] = [];
  const exclusions: Exclusion[] = [];
  for (const s of series) {
    const sector = sectorOf(universe, s.symbol);
    const checked = checkFilters(s, sector, asOf, filters, sectors);
    if ('reason' in checked) {
      exclusions.push(checked);
      continue;
    }
    const model =
      modelScores && Object.hasOwn(modelScores, s.symbol)
        ? (modelScores[s.symbol] as number)
        : Number.NaN;
    const raw = { ...priceFactors(s, checked.t), model_score: model };
    if (weighted.every((name) => Number.isNaN(raw[name]))) {
      const needed = weighted.join(', ');
      const detail = `has ${checked.t + 1} bars on or before ${asOf}: too few for any of ${needed}`;
      exclusions.push({ symbol: s.symbol, reason: 'no_factors', detail });
      continue;
    }
    candidates.push({ symbol: s.symbol, sector, bar: checked, raw });
  }

  const factorStats: Partial<Record<FactorName, FactorStats>> = {};
  const zByFactor = new Map<FactorName, Float64Array>();
  for (const name of active) {
    const values = Float64Array.from(candidates, (c) => c.raw[name]);
    const { z, stats } = crossSectionalZ(values, FACTOR_ORIENTATION[name], winsorize);
    zByFactor.set(name, z);
    factorStats[name] = stats;
  }

  const scores = new Float64Array(candidates.length);
  const contributions = candidates.map((_, i) => {
    const parts: Partial<Record<FactorName, number>> = {};
    let score = 0;
    for (const name of weighted) {
      const z = (zByFactor.get(name) as Float64Array)[i] as number;
      // + 0 keeps a 0 weight × negative z from showing as −0.
      const part = Number.isNaN(z) ? 0 : weights[name] * z + 0;
      parts[name] = part;
      score += part;
    }
    scores[i] = score;
    return parts;
  });

  const order = candidates
    .map((_, i) => i)
    .sort((a, b) => {
      const diff = (scores[b] as number) - (scores[a] as number);
      if (diff !== 0) return diff;
      const x = (candidates[a] as Candidate).symbol;
      const y = (candidates[b] as Candidate).symbol;
      return x < y ? -1 : x > y ? 1 : 0;
    })
    .slice(0, top);

  const rows = order.map((i, position): ScreenRow => {
    const c = candidates[i] as Candidate;
    const factors: Partial<Record<FactorName, number>> = {};
    const zScores: Partial<Record<FactorName, number>> = {};
    const missing: FactorName[] = [];
    for (const name of active) {
      const value = c.raw[name];
      if (Number.isNaN(value)) {
        missing.push(name);
        continue;
      }
      factors[name] = value;
      zScores[name] = (zByFactor.get(name) as Float64Array)[i] as number;
    }
    return {
      rank: position + 1,
      symbol: c.symbol,
      sector: c.sector ?? null,
      date: c.bar.date,
      price: c.bar.price,
      dollarVolume: c.bar.dollarVolume,
      score: scores[i] as number,
      contributions: contributions[i] as Partial<Record<FactorName, number>>,
      factors,
      zScores,
      missing,
    };
  });

  const excluded: Partial<Record<ExclusionReason, number>> = {};
  for (const reason of EXCLUSION_REASONS) {
    const count = exclusions.filter((e) => e.reason === reason).length;
    if (count > 0) excluded[reason] = count;
  }
  const result: ScreenResult = {
    asOf,
    universe: series.length,
    passed: candidates.length,
    excluded,
    exclusions,
    weights,
    winsorize,
    factorStats,
    rows,
  };
  if (rows.length === 0) {
    const history = new Map(
      series.map((s) => {
        const t = lastIndexOnOrBefore(s.dates, asOf);
        return [s.symbol, { bars: t + 1, last: s.dates[t] }] as const;
      }),
    );
    result.note = explainEmptyScreen({
      asOf,
      universe: series.length,
      exclusions,
      weighted,
      history,
    });
  }
  return result;
}
