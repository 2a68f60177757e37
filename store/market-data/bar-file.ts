/** Turns the lines of an OHLCV CSV file into checked bars, or says exactly where the file is wrong. */
import path from 'node:path';
import { type BarText, checkBar, isValidSymbol } from '../../core/daily-bar.js';
import { headerKey, splitCsvLine } from './csv.js';

/** Where and why a file was refused. `line` is 1-based, counting the header. */
export interface FileProblem {
  file: string;
  line: number;
  column?: string;
  value?: string;
  reason: string;
}

/** Thrown while reading a file that must be refused whole; carries the exact location. */
export class FileRejected extends Error {
  constructor(readonly problem: FileProblem) {
    super(formatProblem(problem));
    this.name = 'FileRejected';
  }
}

/** "AAPL.csv.gz line 12, column high, value "9.1": below low 9.5; high must be ≥ low" */
export function formatProblem(problem: FileProblem): string {
  // Line 0: the file as a whole (unreadable, or its name is not a ticker).
  const where = [
    problem.line > 0
      ? `${path.basename(problem.file)} line ${problem.line}`
      : path.basename(problem.file),
  ];
  if (problem.column) where.push(`column ${problem.column}`);
  if (problem.value !== undefined) where.push(`value ${JSON.stringify(problem.value)}`);
  return `${where.join(', ')}: ${problem.reason}`;
}

/** Header names accepted for each field, after headerKey() normalisation. */
const ALIASES: Record<keyof BarText, string[]> = {
  date: ['date', 'timestamp', 'day'],
  open: ['open'],
  high: ['high'],
  low: ['low'],
  close: ['close'],
  adjClose: ['adjclose', 'adjustedclose'],
  volume: ['volume', 'vol'],
  dividend: ['dividend', 'dividends', 'dividendamount'],
  split: ['split', 'splitcoefficient', 'stocksplits'],
};
const REQUIRED = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Column positions of each field in one file's header. */
export type BarLayout = Partial<Record<keyof BarText, number>> & { width: number; names: string[] };

/** True when a header row looks like a price file (it has a date column). */
export function isBarHeader(cells: string[]): boolean {
  return cells.map(headerKey).some((key) => ALIASES.date.includes(key));
}

/**
 * Reads the header: the layout of ../shared/data/sp500-daily
 * (`date,open,high,low,close,adj_close,volume,dividend,split`), the common
 * `Date,Open,High,Low,Close,Adj Close,Volume`, or any order of those names.
 */
export function parseBarHeader(file: string, header: string): BarLayout {
  const names = splitCsvLine(header).map((cell) => cell.trim());
  const keys = names.map(headerKey);
  const layout: BarLayout = { width: names.length, names };
  for (const [field, aliases] of Object.entries(ALIASES) as [keyof BarText, string[]][]) {
    const index = keys.findIndex((key) => aliases.includes(key));
    if (index >= 0) layout[field] = index;
  }
  for (const field of REQUIRED) {
    if (layout[field] === undefined) {
      throw new FileRejected({
        file,
        line: 1,
        column: field,
        reason: `missing column "${field}" in the header; a price file needs date, open, high, low, close and volume (adj_close, dividend and split are optional)`,
      });
    }
  }
  return layout;
}

/** The symbol a price file holds, from its name: `BRK.B.csv.gz` → BRK.B. */
export function symbolFromFileName(file: string): string {
  return path
    .basename(file)
    .replace(/(\.csv)?(\.gz)?$/i, '')
    .toUpperCase();
}

/** Checks a file name gives a valid symbol, or throws FileRejected saying what is valid. */
export function requireSymbol(file: string): string {
  const symbol = symbolFromFileName(file);
  if (!isValidSymbol(symbol)) {
    throw new FileRejected({
      file,
      line: 0,
      reason: `the file name gives the symbol "${symbol}", which is not a ticker (1-20 of A-Z, 0-9, "." and "-", e.g. AAPL.csv or BRK.B.csv.gz)`,
    });
  }
  return symbol;
}

function pick(cells: string[], index: number | undefined, fallback: string): string {
  if (index === undefined) return fallback;
  const cell = cells[index] ?? '';
  // Trimming allocates; most files have no padding, so only trim when the edges need it.
  return cell.charCodeAt(0) === 32 || cell.charCodeAt(cell.length - 1) === 32 ? cell.trim() : cell;
}

/**
 * Parses and checks one data row against the previous row's date. Returns the row as a line of
 * PostgreSQL COPY text (tab-separated, the original decimal strings untouched so NUMERIC stores
 * them exactly), or throws FileRejected.
 */
export function barRowToCopyLine(
  file: string,
  symbol: string,
  layout: BarLayout,
  line: number,
  text: string,
  previousDate: string | undefined,
): { copyLine: string; date: string } {
  const cells = splitCsvLine(text);
  if (cells.length < layout.width) {
    const missing = layout.names.slice(cells.length).join(', ');
    throw new FileRejected({
      file,
      line,
      column: layout.names[cells.length],
      reason: `the row has ${cells.length} fields but the header has ${layout.width}: missing ${missing}`,
    });
  }
  if (cells.length > layout.width) {
    throw new FileRejected({
      file,
      line,
      reason: `the row has ${cells.length} fields but the header has ${layout.width}`,
    });
  }
  const close = pick(cells, layout.close, '');
  const bar: BarText = {
    date: pick(cells, layout.date, ''),
    open: pick(cells, layout.open, ''),
    high: pick(cells, layout.high, ''),
    low: pick(cells, layout.low, ''),
    close,
    adjClose: pick(cells, layout.adjClose, close),
    volume: pick(cells, layout.volume, ''),
    dividend: pick(cells, layout.dividend, '0'),
    split: pick(cells, layout.split, '1'),
  };
  const problem = checkBar(bar);
  if (problem) {
    const column = layout.names[layout[problem.column] ?? -1] ?? problem.column;
    throw new FileRejected({ file, line, column, value: problem.value, reason: problem.reason });
  }
  if (previousDate !== undefined && bar.date <= previousDate) {
    throw new FileRejected({
      file,
      line,
      column: layout.names[layout.date ?? 0],
      value: bar.date,
      reason:
        bar.date === previousDate
          ? 'duplicate date: the row above has the same date'
          : `unsorted date: comes after ${previousDate}; dates must ascend`,
    });
  }
  // Some exporters write whole share counts as "1234.0"; BIGINT needs the integer.
  const volume = /^\d+$/.test(bar.volume) ? bar.volume : String(Math.round(Number(bar.volume)));
  const copyLine = `${symbol}\t${bar.date}\t${bar.open}\t${bar.high}\t${bar.low}\t${bar.close}\t${bar.adjClose}\t${volume}\t${bar.dividend}\t${bar.split}\n`;
  return { copyLine, date: bar.date };
}
