/** Reading a price CSV file (plain or gzipped) straight into a PriceSeries, without the database. */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { isIsoDate } from '../../core/daily-bar.js';
import type { PriceSeries } from '../../core/series/price-series.js';
import { FileRejected, parseBarHeader, requireSymbol } from './bar-file.js';

/** Prices with more decimals than this are rounded to it (no market quotes finer than 1e-8). */
const MAX_DECIMALS = 8;

/**
 * Parses the text of one price file. Hand-rolled over char codes rather than split/Number: a
 * backtest over the whole universe reads 2.4 M rows, and this parser also counts each price's
 * decimal places, which fixes the exact tick grid for the series.
 */
export function parseSeriesText(file: string, symbol: string, text: string): PriceSeries {
  const firstBreak = text.indexOf('\n');
  const header = (firstBreak < 0 ? text : text.slice(0, firstBreak)).replace(/\r$/, '');
  const layout = parseBarHeader(file, header);
  const columns = layout.width;
  const wanted = new Int8Array(columns).fill(-1);
  const fields = ['date', 'open', 'high', 'low', 'close', 'adjClose', 'volume'] as const;
  fields.forEach((field, k) => {
    const at = layout[field];
    if (at !== undefined) wanted[at] = k;
  });
  let capacity = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) capacity++;
  const cols = [1, 2, 3, 4, 5, 6].map(() => new Float64Array(capacity));
  const dates: string[] = [];
  const hasAdj = layout.adjClose !== undefined;
  let decimals = 0;
  let line = 1;
  let pos = firstBreak < 0 ? text.length : firstBreak + 1;
  const reject = (column: number, value: string, reason: string): never => {
    throw new FileRejected({ file, line, column: layout.names[column], value, reason });
  };
  while (pos < text.length) {
    line++;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
    if (stop === pos) {
      pos = end + 1;
      continue;
    }
    const row = dates.length;
    let column = 0;
    let start = pos;
    for (let k = pos; k <= stop; k++) {
      if (k < stop && text.charCodeAt(k) !== 44) continue;
      const slot = column < columns ? (wanted[column] as number) : -1;
      if (column >= columns)
        reject(
          column - 1,
          text.slice(start, stop),
          `the row has more fields than the header's ${columns}`,
        );
      if (slot === 0) {
        const date = text.slice(start, k);
        if (!isIsoDate(date)) reject(column, date, 'not a date; dates are written YYYY-MM-DD');
        const previous = dates[row - 1];
        if (previous !== undefined && date <= previous) {
          reject(
            column,
            date,
            date === previous
              ? 'duplicate date: the row above has the same date'
              : `unsorted date: comes after ${previous}; dates must ascend`,
          );
        }
        dates.push(date);
      } else if (slot > 0) {
        // Fast path: digits with one optional point; anything else (exponents, signs) via Number().
        let value = 0;
        let places = -1;
        let plain = k > start;
        for (let c = start; c < k; c++) {
          const code = text.charCodeAt(c);
          if (code >= 48 && code <= 57) {
            value = value * 10 + (code - 48);
            if (places >= 0) places++;
          } else if (code === 46 && places < 0) places = 0;
          else {
            plain = false;
            break;
          }
        }
        if (plain && places > 0) value /= 10 ** places;
        if (!plain) {
          const cell = text.slice(start, k).trim();
          value = cell === '' ? Number.NaN : Number(cell);
          const point = cell.indexOf('.');
          places = point < 0 || /e/i.test(cell) ? MAX_DECIMALS : cell.length - point - 1;
        }
        const isVolume = slot === 6;
        if (!Number.isFinite(value) || (isVolume ? value < 0 : value <= 0)) {
          reject(
            column,
            text.slice(start, k),
            isVolume ? 'volume must be a number ≥ 0' : 'prices must be numbers above 0',
          );
        }
        if (slot <= 4 && places > decimals) decimals = places;
        (cols[slot - 1] as Float64Array)[row] = value;
      }
      column++;
      start = k + 1;
    }
    if (column < columns)
      reject(column, '', `the row has ${column} fields but the header has ${columns}`);
    if (dates.length === row) reject(layout.date ?? 0, '', 'missing date');
    pos = end + 1;
  }
  const n = dates.length;
  const [open, high, low, close, adjClose, volume] = cols.map((col) => col.slice(0, n)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  if (!hasAdj) adjClose.set(close);
  const scale = 10 ** Math.min(decimals, MAX_DECIMALS);
  // Re-snap every price to its decimal grid: a value parsed as digits / 10^places is already the
  // nearest double, but values read through Number() with exponents may not be.
  if (decimals > MAX_DECIMALS) {
    for (const col of [open, high, low, close]) {
      for (let i = 0; i < n; i++) col[i] = Math.round((col[i] as number) * scale) / scale;
    }
  }
  return { symbol, dates, open, high, low, close, adjClose, volume, scale };
}

/** Reads one file (gzipped when it starts with the gzip magic bytes); the symbol comes from its name. */
export async function readSeriesFile(file: string): Promise<PriceSeries> {
  const symbol = requireSymbol(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileRejected({
      file,
      line: 0,
      reason: code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(error)})`,
    });
  }
  const gzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  let text: string;
  try {
    text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new FileRejected({
      file,
      line: 0,
      reason: `not a readable gzip file (${(error as Error).message})`,
    });
  }
  return parseSeriesText(file, symbol, text.replace(/^\uFEFF/, ''));
}
