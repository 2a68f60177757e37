/** `countersign screen`: rank the universe on one date by weighted factor z-scores (the screen_stocks tool). */
import { FACTOR_NAMES, type FactorName } from '../core/screening/index.js';
import { screenStocksTool } from '../tools/screen-stocks.js';
import { reportRunFailure } from './input-errors.js';
import { money } from './output.js';
import { today } from './research-source.js';
import { date, nonNegative, number, parseSymbols, UsageError } from './run-options.js';
import { callTool } from './run-tool.js';

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

/** screen_stocks' full answer (detail 'full'), as the command reads it. */
interface ScreenOutput {
  as_of: string;
  universe: number;
  passed: number;
  excluded: Record<string, number>;
  weights: Record<string, number>;
  winsorize: number;
  rows: {
    rank: number;
    symbol: string;
    price: number;
    score: number;
    contributions: Record<string, number>;
    model_score: number | null;
  }[];
  model?: {
    name: string;
    version: number;
    status: string;
    out_of_sample: {
      months: number;
      mean_ic: number;
      ic_t_stat: number;
      momentum_mean_ic: number;
      beats_momentum: boolean;
    } | null;
  };
  model_unavailable?: string;
  note?: string;
  elapsed_ms: number;
}

/** The line naming the model behind the model column, and how good it was. */
function modelLine(result: ScreenOutput): string {
  if (!result.model) return `Model score: none (${result.model_unavailable ?? 'no model'}).`;
  const { name, version, status, out_of_sample: oos } = result.model;
  return `Model score: ${name} v${version} (${status})${oos ? `, out of sample over ${oos.months} months: mean rank IC ${oos.mean_ic} (t ${oos.ic_t_stat}) vs 12-1 momentum ${oos.momentum_mean_ic}; ${oos.beats_momentum ? 'beats momentum' : 'does not beat momentum'}` : ''}. It is the predicted percentile of the next 21 days' return.`;
}

function summary(result: ScreenOutput): string {
  const header = `Screen as of ${result.as_of}: ${result.passed} of ${result.universe} symbols ranked (${result.elapsed_ms.toFixed(1)} ms)`;
  const excluded = Object.entries(result.excluded)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const weighted = FACTOR_NAMES.filter((name) => (result.weights[name] ?? 0) !== 0);
  const rows = result.rows.map((row) => {
    const parts = weighted
      .map((name) => `${name} ${(row.contributions[name] ?? 0).toFixed(2)}`)
      .join('  ');
    const model = row.model_score === null ? '   -' : row.model_score.toFixed(2);
    return `${String(row.rank).padStart(3)}  ${row.symbol.padEnd(6)}  score ${row.score.toFixed(2).padStart(6)}  model ${model}  $${money(row.price).padStart(10)}  ${parts}`;
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
    modelLine(result),
  ].join('\n');
}

/** `{ [name]: value }`, or nothing when the flag was not given. */
function optional(name: string, value: number | undefined): Record<string, number> {
  return value === undefined ? {} : { [name]: value };
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
    const sectors = options.sectors
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const args = {
      as_of: asOf,
      ...(symbols === 'all' ? {} : { symbols }),
      ...(top === undefined ? {} : { top }),
      ...optional(
        'winsorize',
        number('--winsorize', options.winsorize, 'use a z-score clip such as 3'),
      ),
      ...(options.weights === undefined ? {} : { weights: parseFactorWeights(options.weights) }),
      ...optional('min_price', nonNegative('--min-price', options.minPrice, 'a price in currency')),
      ...optional(
        'min_dollar_volume',
        nonNegative(
          '--min-dollar-volume',
          options.minDollarVolume,
          'average close × volume over 20 days',
        ),
      ),
      ...(sectors === undefined ? {} : { sectors }),
      ...(options.aboveSma200 ? { above_sma200: true } : {}),
      detail: 'full',
    };
    const output = await callTool(screenStocksTool, args, { data: options.data, models: true });
    // --json prints the tool's full answer as it is (snake_case, elapsed_ms last).
    console.log(options.json ? JSON.stringify(output) : summary(output as unknown as ScreenOutput));
  } catch (error) {
    process.exitCode = reportRunFailure('screen', error);
  }
}
