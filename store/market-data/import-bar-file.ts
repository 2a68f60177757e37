/** Imports one OHLCV file in one transaction through COPY: all of its rows, or none of them. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool, PoolClient } from '../db/pool.js';
import {
  type BarLayout,
  barRowToCopyLine,
  type FileProblem,
  FileRejected,
  parseBarHeader,
  requireSymbol,
} from './bar-file.js';
import { readCsvLines } from './csv.js';
import type { FileImportResult } from './import-result.js';

const COLUMNS = 'symbol, date, open, high, low, close, adj_close, volume, dividend, split';

/** Rows are sent in chunks of about this many characters: one CopyData message per row costs a syscall each. */
const CHUNK_CHARS = 64 * 1024;

/**
 * COPY text for every row of the file, checked on the way, in chunks of many rows; throws
 * FileRejected at the first bad row (the caller then rolls back whatever was sent).
 */
async function* copyChunks(
  file: string,
  symbol: string,
  counters: { rows: number },
  onBytes?: (n: number) => void,
) {
  let layout: BarLayout | undefined;
  let previousDate: string | undefined;
  let chunk = '';
  for await (const { line, text } of readCsvLines(file, onBytes)) {
    if (!layout) {
      layout = parseBarHeader(file, text);
      continue;
    }
    const row = barRowToCopyLine(file, symbol, layout, line, text, previousDate);
    previousDate = row.date;
    counters.rows++;
    chunk += row.copyLine;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
  if (!layout)
    throw new FileRejected({
      file,
      line: 1,
      reason: 'the file is empty: expected a header and rows',
    });
  if (counters.rows === 0)
    throw new FileRejected({ file, line: 2, reason: 'the file has a header but no rows' });
}

/** COPY's own error context ("COPY daily_bars, line 7") gives the data line; +1 for our header. */
function problemFromCopyError(file: string, error: unknown): FileRejected | undefined {
  const pgError = error as { code?: string; message?: string; where?: string; constraint?: string };
  if (!pgError.code?.startsWith('22') && !pgError.code?.startsWith('23')) return undefined;
  const copyLine = Number(/line (\d+)/.exec(pgError.where ?? '')?.[1]);
  return new FileRejected({
    file,
    line: Number.isFinite(copyLine) ? copyLine + 1 : 0,
    reason: `refused by the database: ${pgError.message}${pgError.constraint ? ` (${pgError.constraint})` : ''}`,
  });
}

/** A file that cannot be read at all (missing, no permission, corrupt gzip) is refused, not a crash. */
export function readProblem(file: string, error: unknown): FileProblem | undefined {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
    return { file, line: 0, reason: `not a readable gzip file (${message})` };
  }
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EPERM') {
    return { file, line: 0, reason: `cannot read the file (${code}: ${message})` };
  }
  return undefined;
}

async function copyInto(
  client: PoolClient,
  table: string,
  lines: AsyncIterable<string>,
): Promise<void> {
  await pipeline(
    Readable.from(lines),
    client.query(copyFrom(`COPY ${table} (${COLUMNS}) FROM STDIN`)),
  );
}

/**
 * Imports one price file. The symbol comes from the file name. In one transaction, holding a
 * per-symbol advisory lock: a symbol with no bars yet is COPYed straight into daily_bars (the
 * fast path for a first import); otherwise rows go through a staging table and are upserted,
 * touching only rows whose values changed, so that importing the same file twice changes
 * nothing. Any bad row rolls the whole file back.
 */
export async function importBarFile(
  pool: Pool,
  file: string,
  options: { onBytes?: (bytes: number) => void } = {},
): Promise<FileImportResult> {
  const started = performance.now();
  let symbol: string;
  try {
    symbol = requireSymbol(file);
  } catch (error) {
    if (error instanceof FileRejected) return { ok: false, file, problem: error.problem };
    throw error;
  }
  const counters = { rows: 0 };
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('countersign.bars:' || $1))", [
      symbol,
    ]);
    await client.query(
      'INSERT INTO instruments (symbol) VALUES ($1) ON CONFLICT (symbol) DO NOTHING',
      [symbol],
    );
    const existing = await client.query('SELECT 1 FROM daily_bars WHERE symbol = $1 LIMIT 1', [
      symbol,
    ]);
    let inserted = 0;
    let updated = 0;
    if (existing.rowCount === 0) {
      await copyInto(client, 'daily_bars', copyChunks(file, symbol, counters, options.onBytes));
      inserted = counters.rows;
    } else {
      await client.query(
        'CREATE TEMP TABLE IF NOT EXISTS bars_staging (LIKE daily_bars INCLUDING DEFAULTS) ON COMMIT DELETE ROWS',
      );
      await copyInto(client, 'bars_staging', copyChunks(file, symbol, counters, options.onBytes));
      const { rows } = await client.query<{ inserted: string; updated: string }>(
        `WITH upserted AS (
           INSERT INTO daily_bars AS b (${COLUMNS})
           SELECT ${COLUMNS} FROM bars_staging
           ON CONFLICT (symbol, date) DO UPDATE SET
             open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
             adj_close = EXCLUDED.adj_close, volume = EXCLUDED.volume, dividend = EXCLUDED.dividend,
             split = EXCLUDED.split
           WHERE (b.open, b.high, b.low, b.close, b.adj_close, b.volume, b.dividend, b.split)
             IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                               EXCLUDED.adj_close, EXCLUDED.volume, EXCLUDED.dividend, EXCLUDED.split)
           RETURNING (xmax = 0) AS fresh
         )
         SELECT count(*) FILTER (WHERE fresh) AS inserted, count(*) FILTER (WHERE NOT fresh) AS updated FROM upserted`,
      );
      inserted = Number(rows[0]?.inserted ?? 0);
      updated = Number(rows[0]?.updated ?? 0);
    }
    await client.query('COMMIT');
    return {
      ok: true,
      kind: 'bars',
      file,
      symbol,
      rows: counters.rows,
      inserted,
      updated,
      unchanged: counters.rows - inserted - updated,
      ms: performance.now() - started,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    const rejected = error instanceof FileRejected ? error : problemFromCopyError(file, error);
    if (rejected) return { ok: false, file, problem: rejected.problem };
    const unreadable = readProblem(file, error);
    if (unreadable) return { ok: false, file, problem: unreadable };
    throw error;
  } finally {
    client.release(broken);
  }
}
