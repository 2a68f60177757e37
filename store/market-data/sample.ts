/** The bundled sample prices (data/sample) and loading them into an empty database. */
import path from 'node:path';
import { PROJECT_ROOT } from '../../config/app-info.js';
import type { Logger } from '../../config/logger.js';
import type { Pool } from '../db/pool.js';
import { type ImportSummary, importPaths } from './import-paths.js';

/** 44 S&P 500 stocks, four per GICS sector, daily 1999-11-01..2021-04-21, with their constituents list. */
export const SAMPLE_DIR = path.join(PROJECT_ROOT, 'data', 'sample');

/**
 * Imports the sample when the bars table is empty (a first start), so that a new user has real
 * prices to work with at once. Returns undefined when there were bars already. `notify` gets one
 * line for a person before the load starts (the CLI writes it to stderr). Two processes loading
 * at once is harmless: each file is imported under its symbol's lock, and the second finds the
 * rows already there.
 */
export async function loadSampleIfEmpty(
  pool: Pool,
  logger: Logger,
  options: { notify?: (line: string) => void } = {},
): Promise<ImportSummary | undefined> {
  const { rowCount } = await pool.query('SELECT 1 FROM daily_bars LIMIT 1');
  if (rowCount) return undefined;
  logger.info({ dir: SAMPLE_DIR }, 'no prices yet: loading the bundled sample');
  options.notify?.(
    `no prices in this database yet: loading the bundled sample (44 S&P 500 stocks, 1999-11-01..2021-04-21, from ${SAMPLE_DIR}), as \`npm start\` does`,
  );
  const summary = await importPaths(pool, [SAMPLE_DIR], { concurrency: 2 });
  if (summary.rejected > 0) {
    const problems = summary.results.flatMap((result) => (result.ok ? [] : [result.problem]));
    logger.error({ problems }, 'some sample files were refused');
  }
  logger.info(
    { files: summary.files, rows: summary.rows, seconds: Math.round(summary.ms) / 1000 },
    'sample prices loaded',
  );
  return summary;
}
