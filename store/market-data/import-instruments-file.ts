/** Imports a constituents list (`Symbol,Name,Sector`) into the instruments table. */
import { isValidSymbol } from '../../core/daily-bar.js';
import { inTransaction, type Pool } from '../db/pool.js';
import { FileRejected } from './bar-file.js';
import { headerKey, readCsvLines, splitCsvLine } from './csv.js';
import { readProblem } from './import-bar-file.js';
import type { FileImportResult } from './import-result.js';

/** True when a header row is a constituents list: a symbol column and no date column. */
export function isInstrumentsHeader(cells: string[]): boolean {
  const keys = cells.map(headerKey);
  return (keys.includes('symbol') || keys.includes('ticker')) && !keys.includes('date');
}

/** One row of a constituents list. */
export interface InstrumentRow {
  symbol: string;
  name: string | null;
  sector: string | null;
}

/** Reads a constituents list; throws FileRejected naming the line of a bad row. */
export async function readInstruments(file: string): Promise<InstrumentRow[]> {
  const rows: InstrumentRow[] = [];
  const seen = new Map<string, number>();
  let columns: { symbol: number; name: number; sector: number } | undefined;
  for await (const { line, text } of readCsvLines(file)) {
    const cells = splitCsvLine(text).map((cell) => cell.trim());
    if (!columns) {
      const keys = cells.map(headerKey);
      const symbol = keys.findIndex((key) => key === 'symbol' || key === 'ticker');
      if (symbol < 0) {
        throw new FileRejected({
          file,
          line,
          column: 'symbol',
          reason: 'missing column "symbol" in the header',
        });
      }
      columns = {
        symbol,
        name: keys.findIndex((key) => key === 'name' || key === 'security' || key === 'company'),
        sector: keys.findIndex((key) => key === 'sector' || key === 'gicssector'),
      };
      continue;
    }
    const symbol = (cells[columns.symbol] ?? '').toUpperCase();
    if (!isValidSymbol(symbol)) {
      throw new FileRejected({
        file,
        line,
        column: 'symbol',
        value: symbol,
        reason: 'not a ticker (1-20 of A-Z, 0-9, "." and "-")',
      });
    }
    const previous = seen.get(symbol);
    if (previous !== undefined) {
      throw new FileRejected({
        file,
        line,
        column: 'symbol',
        value: symbol,
        reason: `duplicate symbol: also on line ${previous}`,
      });
    }
    seen.set(symbol, line);
    const optional = (index: number) =>
      index >= 0 && cells[index] ? (cells[index] as string) : null;
    rows.push({ symbol, name: optional(columns.name), sector: optional(columns.sector) });
  }
  if (!columns)
    throw new FileRejected({
      file,
      line: 1,
      reason: 'the file is empty: expected a header and rows',
    });
  return rows;
}

/**
 * Upserts name and sector for every listed symbol in one transaction; a bad row refuses the
 * whole file. Symbols not listed keep what they had.
 */
export async function importInstrumentsFile(pool: Pool, file: string): Promise<FileImportResult> {
  const started = performance.now();
  let rows: InstrumentRow[];
  try {
    rows = await readInstruments(file);
  } catch (error) {
    if (error instanceof FileRejected) return { ok: false, file, problem: error.problem };
    const unreadable = readProblem(file, error);
    if (unreadable) return { ok: false, file, problem: unreadable };
    throw error;
  }
  const counts = await inTransaction(pool, async (client) => {
    const { rows: result } = await client.query<{ inserted: string; updated: string }>(
      `WITH upserted AS (
         INSERT INTO instruments AS i (symbol, name, sector)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (symbol) DO UPDATE SET name = EXCLUDED.name, sector = EXCLUDED.sector, updated_at = now()
         WHERE (i.name, i.sector) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.sector)
         RETURNING (xmax = 0) AS fresh
       )
       SELECT count(*) FILTER (WHERE fresh) AS inserted, count(*) FILTER (WHERE NOT fresh) AS updated FROM upserted`,
      [rows.map((row) => row.symbol), rows.map((row) => row.name), rows.map((row) => row.sector)],
    );
    return { inserted: Number(result[0]?.inserted ?? 0), updated: Number(result[0]?.updated ?? 0) };
  });
  return {
    ok: true,
    kind: 'instruments',
    file,
    rows: rows.length,
    ...counts,
    unchanged: rows.length - counts.inserted - counts.updated,
    ms: performance.now() - started,
  };
}
