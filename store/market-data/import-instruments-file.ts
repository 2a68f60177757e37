/** Imports a constituents list (`Symbol,Name,Sector`) into the instruments table. */
import { isValidSymbol } from '../../core/daily-bar.js';
import { inTransaction, type Pool } from '../db/pool.js';
import { FileRejected } from './bar-file.js';
import { headerKey, readCsvLines, splitCsvLine } from './csv.js';
import { readProblem } from './import-bar-file.js';
import type { FileImportResult, InstrumentChange } from './import-result.js';

/** The header of a constituents list (data/sample and the S&P 500 set): these three columns, in this order. */
export const INSTRUMENTS_HEADER = ['Symbol', 'Name', 'Sector'] as const;

/**
 * True when a header row is a constituents list: exactly `Symbol,Name,Sector` (letter case and
 * spaces around the names aside). Anything looser took `symbol,price` for one and blanked names
 * and sectors, so a near miss is not a constituents list.
 */
export function isInstrumentsHeader(cells: string[]): boolean {
  return (
    cells.length === INSTRUMENTS_HEADER.length &&
    cells.every((cell, i) => headerKey(cell) === headerKey(INSTRUMENTS_HEADER[i] as string))
  );
}

/** One row of a constituents list; an empty name or sector is null (and never overwrites one). */
export interface InstrumentRow {
  symbol: string;
  name: string | null;
  sector: string | null;
}

/** Reads a constituents list; throws FileRejected naming the line of a bad row, or a header that is not `Symbol,Name,Sector`. */
export async function readInstruments(file: string): Promise<InstrumentRow[]> {
  const rows: InstrumentRow[] = [];
  const seen = new Map<string, number>();
  let header = false;
  for await (const { line, text } of readCsvLines(file)) {
    const cells = splitCsvLine(text).map((cell) => cell.trim());
    if (!header) {
      if (!isInstrumentsHeader(cells)) {
        throw new FileRejected({
          file,
          line,
          value: text.replace(/^\uFEFF/, ''),
          reason: `not a constituents list: the header must be exactly ${INSTRUMENTS_HEADER.join(',')}`,
        });
      }
      header = true;
      continue;
    }
    if (cells.length !== INSTRUMENTS_HEADER.length) {
      throw new FileRejected({
        file,
        line,
        reason: `the row has ${cells.length} field${cells.length === 1 ? '' : 's'} but the header has 3 (${INSTRUMENTS_HEADER.join(',')}); quote a name that holds a comma`,
      });
    }
    const symbol = (cells[0] ?? '').toUpperCase();
    if (!isValidSymbol(symbol)) {
      throw new FileRejected({
        file,
        line,
        column: 'Symbol',
        value: symbol,
        reason: 'not a ticker (1-20 of A-Z, 0-9, "." and "-")',
      });
    }
    const previous = seen.get(symbol);
    if (previous !== undefined) {
      throw new FileRejected({
        file,
        line,
        column: 'Symbol',
        value: symbol,
        reason: `duplicate symbol: also on line ${previous}`,
      });
    }
    seen.set(symbol, line);
    rows.push({ symbol, name: cells[1] || null, sector: cells[2] || null });
  }
  if (!header)
    throw new FileRejected({
      file,
      line: 1,
      reason: 'the file is empty: expected a header and rows',
    });
  return rows;
}

/**
 * Upserts name and sector for every listed symbol in one transaction; a bad row refuses the
 * whole file. Symbols not listed keep what they had, and so does a listed symbol whose name or
 * sector cell is empty. The result lists every name or sector replaced (old → new).
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
    // Locked, so that the changes reported are the ones made.
    const { rows: before } = await client.query<InstrumentRow>(
      'SELECT symbol, name, sector FROM instruments WHERE symbol = ANY($1) ORDER BY symbol FOR UPDATE',
      [rows.map((row) => row.symbol)],
    );
    const existing = new Map(before.map((row) => [row.symbol, row]));
    const changes: InstrumentChange[] = [];
    let inserted = 0;
    let updated = 0;
    for (const row of rows) {
      const old = existing.get(row.symbol);
      if (!old) {
        inserted++;
        continue;
      }
      let touched = false;
      for (const field of ['name', 'sector'] as const) {
        const next = row[field];
        const previous = old[field];
        if (next === null || next === previous) continue;
        touched = true;
        if (previous !== null)
          changes.push({ symbol: row.symbol, field, old: previous, new: next });
      }
      if (touched) updated++;
    }
    // An empty cell keeps what the instrument had: an import never blanks a name or sector.
    await client.query(
      `INSERT INTO instruments AS i (symbol, name, sector)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (symbol) DO UPDATE SET
         name = COALESCE(EXCLUDED.name, i.name),
         sector = COALESCE(EXCLUDED.sector, i.sector),
         updated_at = now()
       WHERE (i.name, i.sector) IS DISTINCT FROM
             (COALESCE(EXCLUDED.name, i.name), COALESCE(EXCLUDED.sector, i.sector))`,
      [rows.map((row) => row.symbol), rows.map((row) => row.name), rows.map((row) => row.sector)],
    );
    return { inserted, updated, changes };
  });
  return {
    ok: true,
    kind: 'instruments',
    file,
    rows: rows.length,
    inserted: counts.inserted,
    updated: counts.updated,
    unchanged: rows.length - counts.inserted - counts.updated,
    changes: counts.changes,
    ms: performance.now() - started,
  };
}
