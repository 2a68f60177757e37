/** `countersign screen`: rank the universe on one date by weighted factor z-scores. */
import {
  FACTOR_NAMES,
  type FactorName,
  type ScreenResult,
  screenStocks,
} from '../core/screening/index.js';
import { loadUniverse } from '../store/market-data/universe.js';
import { reportRunFailure } from './input-errors.js';
import { money, toJson } from './output.js';
import { today, withSeriesSource } from './research-source.js';
import { date, nonNegative, number, parseSymbols, UsageError } from './run-options.js';

/** The option strings commander hands over. */
export interface ScreenOptions {
  asOf: string;
  symbols?: string;
  top?: string;
  minPrice?: string;
  minDollarVolume?: string;
  sectors?: string;
  aboveSma200?: boolean;
  weights?: string;
  winsorize?: string;
  data?: string;
  json?: boolean;
}

/** factor=weight,… → weights; names checked against the factors. */
export function parseFactorWeights(text: string): Partial<Record<FactorName, number>> {
  const out: Partial<Record<FactorName, number>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.split('=');
    const weight = Number(value);
    if (!(FACTOR_NAMES as readonly string[]).includes(name ?? ''))
      throw new UsageError(`--weights: unknown factor "${name}"; use ${FACTOR_NAMES.join(', ')}`);
    if (value === undefined || value.trim() === '' || !Number.isFinite(weight))
      throw new UsageError(`--weights: "${part}" is not factor=number, e.g. momentum_12_1=1`);
    out[name as FactorName] = weight;
  }
  return out;
}

/** The screen as printed with --json: snake_case, symbols untouched, elapsed_ms. */
export function screenJson(result: ScreenResult, elapsedMs: number): Record<string, unknown> {
  return { ...(toJson(result) as Record<string, unknown>), elapsed_ms: elapsedMs };
}

function summary(result: ScreenResult, elapsedMs: number): string {
  const header = `Screen as of ${result.asOf}: ${result.passed} of ${result.universe} symbols ranked (${elapsedMs.toFixed(1)} ms)`;
  const excluded = Object.entries(result.excluded)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const weighted = FACTOR_NAMES.filter((name) => result.weights[name] !== 0);
  const rows = result.rows.map((row) => {
    const parts = weighted
      .map((name) => `${name} ${(row.contributions[name] ?? 0).toFixed(2)}`)
      .join('  ');
    return `${String(row.rank).padStart(3)}  ${row.symbol.padEnd(6)}  score ${row.score.toFixed(2).padStart(6)}  $${money(row.price).padStart(10)}  ${parts}`;
  });
  const weights = weighted.map((name) => `${name} ${result.weights[name]}`).join(', ');
  return [
    header,
    `Weights: ${weights}`,
    ...(excluded ? [`Excluded: ${excluded}`] : []),
    // Nothing ranked: why, and what to change (core/screening/empty-screen.ts).
    ...(result.note ? ['', result.note] : []),
    '',
    ...rows,
    '',
    `Each figure is weight × the factor's cross-sectional z-score (clipped at ±${result.winsorize}); a missing factor counts 0.`,
  ].join('\n');
}

/** Runs the command. */
export async function screenCommand(options: ScreenOptions): Promise<void> {
  try {
    const asOf = date('--as-of', options.asOf) as string;
    if (asOf > today())
      throw new UsageError(`--as-of ${asOf} is in the future; today is ${today()}`);
    const symbols =
      options.symbols === undefined || options.symbols.trim().toLowerCase() === 'all'
        ? 'all'
        : parseSymbols(options.symbols);
    const top = number('--top', options.top, 'use a whole number from 1 to 500');
    const request = {
      asOf,
      top,
      winsorize: number('--winsorize', options.winsorize, 'use a z-score clip such as 3'),
      weights: options.weights === undefined ? undefined : parseFactorWeights(options.weights),
      filters: {
        minPrice: nonNegative('--min-price', options.minPrice, 'a price in currency'),
        minDollarVolume: nonNegative(
          '--min-dollar-volume',
          options.minDollarVolume,
          'average close × volume over 20 days',
        ),
        sectors: options.sectors
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        aboveSma200: options.aboveSma200 ? true : undefined,
      },
    };
    const universe = await withSeriesSource(options.data, (source) =>
      loadUniverse(source, { symbols }),
    );
    const started = performance.now();
    const result = screenStocks(universe, request);
    const elapsedMs = performance.now() - started;
    console.log(
      options.json ? JSON.stringify(screenJson(result, elapsedMs)) : summary(result, elapsedMs),
    );
  } catch (error) {
    process.exitCode = reportRunFailure('screen', error);
  }
}
