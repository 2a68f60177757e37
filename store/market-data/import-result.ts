/** What importing one file produced: counts on success, the exact problem on refusal. */
import type { FileProblem } from './bar-file.js';

/** A name or sector a constituents list replaced: the symbol, which field, what it was and what it is now. */
export interface InstrumentChange {
  symbol: string;
  field: 'name' | 'sector';
  old: string;
  new: string;
}

/** The outcome of importing one file. Refusals are values, not exceptions (the database was left as it was). */
export type FileImportResult =
  | {
      ok: true;
      kind: 'bars';
      file: string;
      symbol: string;
      /** Rows in the file. */
      rows: number;
      /** New (symbol, date) rows. */
      inserted: number;
      /** Existing rows whose values changed. */
      updated: number;
      /** Existing rows already identical. */
      unchanged: number;
      ms: number;
    }
  | {
      ok: true;
      kind: 'instruments';
      file: string;
      rows: number;
      /** Symbols not listed before. */
      inserted: number;
      /** Listed symbols that got a new or first name or sector. */
      updated: number;
      unchanged: number;
      /** Every existing name or sector that was replaced (filling an empty one is not listed). */
      changes: InstrumentChange[];
      ms: number;
    }
  | { ok: false; file: string; problem: FileProblem };
