/** What importing one file produced: counts on success, the exact problem on refusal. */
import type { FileProblem } from './bar-file.js';

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
      inserted: number;
      updated: number;
      unchanged: number;
      ms: number;
    }
  | { ok: false; file: string; problem: FileProblem };
