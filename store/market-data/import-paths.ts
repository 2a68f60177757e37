/** Imports price files and constituent lists from files and folders, several files at a time. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from '../db/pool.js';
import { isBarHeader } from './bar-file.js';
import { readCsvLines, splitCsvLine } from './csv.js';
import { importBarFile, readProblem } from './import-bar-file.js';
import {
  INSTRUMENTS_HEADER,
  importInstrumentsFile,
  isInstrumentsHeader,
} from './import-instruments-file.js';
import type { FileImportResult, InstrumentChange } from './import-result.js';

/** Progress of an import, reported after every file and as bytes are read. */
export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  rows: number;
}

/** Totals over every file of one import. */
export interface ImportSummary {
  results: FileImportResult[];
  files: number;
  rejected: number;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rows of the constituent lists imported, and what they did. */
  instruments: { rows: number; inserted: number; updated: number; unchanged: number };
  /** Every existing name or sector a constituents list replaced, with the file it came from. */
  changes: (InstrumentChange & { file: string })[];
  ms: number;
  rowsPerSecond: number;
}

/** Why a file that is neither kind is refused: the two headers the importer knows. */
export const UNRECOGNISED_HEADER =
  'neither a price file nor a constituents list. A price file is named SYMBOL.csv or SYMBOL.csv.gz ' +
  'with the header date,open,high,low,close,volume (adj_close, dividend and split optional, any order); ' +
  `a constituents list has exactly the header ${INSTRUMENTS_HEADER.join(',')}`;

const CSV_NAME = /\.csv(\.gz)?$/i;

async function collectFiles(
  target: string,
  into: { file: string; size: number }[],
  missing: FileImportResult[],
) {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(target);
  } catch (error) {
    missing.push({
      ok: false,
      file: target,
      problem: readProblem(target, error) ?? { file: target, line: 0, reason: String(error) },
    });
    return;
  }
  if (info.isFile()) {
    into.push({ file: target, size: info.size });
    return;
  }
  const before = into.length;
  const entries = (await readdir(target, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const child = path.join(target, entry.name);
    if (entry.isDirectory()) await collectFiles(child, into, missing);
    else if (entry.isFile() && CSV_NAME.test(entry.name))
      into.push({ file: child, size: (await stat(child)).size });
  }
  if (into.length === before) {
    missing.push({
      ok: false,
      file: target,
      problem: { file: target, line: 0, reason: 'the folder holds no .csv or .csv.gz files' },
    });
  }
}

async function firstLine(file: string): Promise<string | undefined> {
  try {
    for await (const { text } of readCsvLines(file)) return text;
  } catch {
    // The importer reads the file again and reports the problem with its location.
  }
  return undefined;
}

/**
 * Imports every given file, and every .csv / .csv.gz file under every given folder. Constituent
 * lists (the header exactly `Symbol,Name,Sector`) go first, so that names and sectors are in
 * place; then the price files (a date column), `concurrency` at a time, each in its own
 * transaction. A file with any other header is refused unread, with the headers expected. A
 * refused file does not stop the others; its problem is in the results.
 */
export async function importPaths(
  pool: Pool,
  targets: string[],
  options: {
    concurrency?: number;
    onProgress?: (progress: ImportProgress) => void;
    onFile?: (result: FileImportResult) => void;
  } = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const files: { file: string; size: number }[] = [];
  const results: FileImportResult[] = [];
  for (const target of targets) await collectFiles(path.resolve(target), files, results);
  const unique = [...new Map(files.map((entry) => [entry.file, entry])).values()];

  const lists: typeof unique = [];
  const prices: typeof unique = [];
  const unrecognised: typeof unique = [];
  for (const entry of unique) {
    const header = await firstLine(entry.file);
    const cells = header === undefined ? undefined : splitCsvLine(header);
    if (cells && isInstrumentsHeader(cells)) lists.push(entry);
    // No header (empty or unreadable): the bar importer refuses it with the reason.
    else if (!cells || isBarHeader(cells)) prices.push(entry);
    else unrecognised.push(entry);
  }

  const progress: ImportProgress = {
    filesDone: 0,
    filesTotal: unique.length,
    bytesDone: 0,
    bytesTotal: unique.reduce((sum, entry) => sum + entry.size, 0),
    rows: 0,
  };
  const done = (result: FileImportResult, size: number, counted: number) => {
    results.push(result);
    progress.filesDone++;
    progress.bytesDone += size - counted;
    if (result.ok) progress.rows += result.rows;
    options.onFile?.(result);
    options.onProgress?.({ ...progress });
  };

  for (const entry of unrecognised) {
    // A binary file read as text has one huge "line": show only its start.
    const header = ((await firstLine(entry.file)) ?? '').replace(/^\uFEFF/, '').slice(0, 200);
    done(
      {
        ok: false,
        file: entry.file,
        problem: { file: entry.file, line: 1, value: header, reason: UNRECOGNISED_HEADER },
      },
      entry.size,
      0,
    );
  }
  for (const entry of lists) done(await importInstrumentsFile(pool, entry.file), entry.size, 0);

  const queue = [...prices];
  const worker = async () => {
    for (let entry = queue.shift(); entry; entry = queue.shift()) {
      let counted = 0;
      const result = await importBarFile(pool, entry.file, {
        onBytes: (bytes) => {
          counted += bytes;
          progress.bytesDone += bytes;
          options.onProgress?.({ ...progress });
        },
      });
      done(result, entry.size, counted);
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 2, queue.length || 1));
  await Promise.all(Array.from({ length: concurrency }, worker));

  const ms = performance.now() - started;
  const sum = (field: 'rows' | 'inserted' | 'updated' | 'unchanged') =>
    results.reduce(
      (total, result) => total + (result.ok && result.kind === 'bars' ? result[field] : 0),
      0,
    );
  const rows = sum('rows');
  const listed = results.flatMap((result) =>
    result.ok && result.kind === 'instruments' ? [result] : [],
  );
  const total = (field: 'rows' | 'inserted' | 'updated' | 'unchanged') =>
    listed.reduce((count, result) => count + result[field], 0);
  return {
    results,
    files: results.length,
    rejected: results.filter((result) => !result.ok).length,
    rows,
    inserted: sum('inserted'),
    updated: sum('updated'),
    unchanged: sum('unchanged'),
    instruments: {
      rows: total('rows'),
      inserted: total('inserted'),
      updated: total('updated'),
      unchanged: total('unchanged'),
    },
    changes: listed.flatMap((result) =>
      result.changes.map((change) => ({ file: result.file, ...change })),
    ),
    ms,
    rowsPerSecond: rows / Math.max(ms / 1000, 1e-9),
  };
}
