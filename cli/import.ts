/** `countersign import <file|folder...>`: load OHLCV CSV files (plain or .gz) into the database. */
import path from 'node:path';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { openDatabase } from '../store/db/open-database.js';
import { formatProblem } from '../store/market-data/bar-file.js';
import { type ImportSummary, importPaths } from '../store/market-data/import-paths.js';
import { reportFailure } from './errors.js';

/** Options of the import command. */
export interface ImportOptions {
  concurrency: number;
  json?: boolean;
}

const number = (value: number) => value.toLocaleString('en-US');

/**
 * "Imported 45 files: 236,483 rows (236,483 new, 0 changed, 0 unchanged) in 3.1 s, 76,000 rows/s;
 * 44 instruments (44 new, 0 changed, 0 unchanged); 0 refused." The instruments part only when a
 * constituents list was imported.
 */
export function summaryLine(summary: ImportSummary): string {
  const accepted = summary.files - summary.rejected;
  const lists = summary.results.some((result) => result.ok && result.kind === 'instruments');
  const { instruments } = summary;
  return (
    `Imported ${number(accepted)} file${accepted === 1 ? '' : 's'}: ${number(summary.rows)} rows ` +
    `(${number(summary.inserted)} new, ${number(summary.updated)} changed, ${number(summary.unchanged)} unchanged) ` +
    `in ${(summary.ms / 1000).toFixed(1)} s, ${number(Math.round(summary.rowsPerSecond))} rows/s; ` +
    (lists
      ? `${number(instruments.rows)} instruments (${number(instruments.inserted)} new, ` +
        `${number(instruments.updated)} changed, ${number(instruments.unchanged)} unchanged); `
      : '') +
    `${number(summary.rejected)} refused.`
  );
}

/** "changed: AAPL sector "Information Technology" → "Technology" (constituents.csv)" */
export function changeLine(change: ImportSummary['changes'][number]): string {
  return `changed: ${change.symbol} ${change.field} ${JSON.stringify(change.old)} → ${JSON.stringify(change.new)} (${path.basename(change.file)})`;
}

/**
 * Imports every path. With no DATABASE_URL it uses the embedded PostgreSQL: the running
 * server's if there is one, else it starts it for the duration. Refused files (a bad row, or a
 * header that is neither a price file's nor a constituents list's) are listed on stderr with
 * file, line, column, value and reason; the exit code is 1 when any was refused. Every name or
 * sector a constituents list replaced is listed on stdout (`changes` with --json).
 */
export async function importCommand(paths: string[], options: ImportOptions): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    stream: 'stderr',
  });
  if (
    !Number.isInteger(options.concurrency) ||
    options.concurrency < 1 ||
    options.concurrency > 32
  ) {
    console.error(
      `countersign import: --concurrency ${options.concurrency} is not valid; use a whole number from 1 to 32.`,
    );
    process.exitCode = 2;
    return;
  }
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase({
      config,
      logger,
      attach: true,
      poolSize: options.concurrency + 1,
      applicationName: 'countersign-import',
      // The files being imported are the prices: no sample under them.
      loadSample: false,
    });
  } catch (error) {
    process.exitCode = reportFailure(error);
    return;
  }
  // Ctrl-C: files in flight roll back (their transactions never commit); finished files stay.
  process.once('SIGINT', () => {
    console.error(
      '\nInterrupted: files being imported were rolled back; files already reported are in.',
    );
    void database.close().finally(() => process.exit(130));
  });

  const bar =
    process.stderr.isTTY && !options.json
      ? new cliProgress.SingleBar(
          {
            format:
              'Importing [{bar}] {percentage}% | {filesDone}/{filesTotal} files | {rows} rows | ETA {eta_formatted}',
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  let started = false;
  try {
    const summary = await importPaths(database.pool, paths, {
      concurrency: options.concurrency,
      onProgress: (progress) => {
        if (!bar) return;
        const payload = {
          filesDone: progress.filesDone,
          filesTotal: progress.filesTotal,
          rows: number(progress.rows),
        };
        if (!started) {
          bar.start(Math.max(progress.bytesTotal, 1), progress.bytesDone, payload);
          started = true;
        } else {
          bar.update(progress.bytesDone, payload);
        }
      },
    });
    bar?.stop();
    for (const result of summary.results) {
      if (!result.ok) console.error(`refused: ${formatProblem(result.problem)}`);
    }
    if (options.json) {
      const { results, ...totals } = summary;
      console.log(
        JSON.stringify({
          ...totals,
          refused: results.flatMap((result) => (result.ok ? [] : [result.problem])),
        }),
      );
    } else {
      for (const change of summary.changes) console.log(changeLine(change));
      console.log(summaryLine(summary));
    }
    process.exitCode = summary.rejected > 0 ? 1 : 0;
  } catch (error) {
    bar?.stop();
    process.exitCode = reportFailure(error);
  } finally {
    await database.close();
  }
}
