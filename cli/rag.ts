/**
 * `countersign rag reindex [--fresh] [--json]`: rebuilds retrieval's passages from the database
 * (the source of truth), with a progress bar on a terminal. With CHROMA_URL the vectors go to
 * that Chroma now; otherwise the passages are rebuilt in PostgreSQL and the server (`npm start`,
 * which runs the embedded Chroma) sends their vectors when it next catches up — at once if it is
 * running, else at its start. Indexing twice adds nothing.
 */
import cliProgress from 'cli-progress';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { createRetrieval } from '../rag/retrieval.js';
import { embedderFrom, openChromaStore } from '../rag/runtime.js';
import { reportRunFailure } from './input-errors.js';
import { table } from './output.js';
import { withCliDatabase } from './with-database.js';

export interface RagReindexOptions {
  fresh?: boolean;
  json?: boolean;
}

export async function ragReindexCommand(options: RagReindexOptions): Promise<void> {
  try {
    const config = loadConfig();
    const logger = createLogger({
      level: config.logLevel === 'info' ? 'warn' : config.logLevel,
      stream: 'stderr',
    });
    const store = config.chromaUrl ? await openChromaStore(config.chromaUrl) : undefined;
    try {
      const report = await withCliDatabase('countersign-rag', async (pool) => {
        if (options.fresh) {
          await store?.clear();
          await pool.query('DELETE FROM rag_chunks');
        }
        const retrieval = createRetrieval({
          pool,
          embedder: embedderFrom(config),
          logger,
          ...(store ? { store } : {}),
        });
        const bar =
          process.stderr.isTTY && !options.json
            ? new cliProgress.SingleBar(
                {
                  format:
                    'Indexing [{bar}] {percentage}% | {value}/{total} sources | ETA {eta_formatted}',
                  stream: process.stderr,
                  hideCursor: true,
                },
                cliProgress.Presets.shades_classic,
              )
            : undefined;
        let started = false;
        try {
          return await retrieval.reindex({
            progress: (done, total) => {
              if (!bar) return;
              if (!started) {
                bar.start(total, 0);
                started = true;
              }
              bar.setTotal(total);
              bar.update(done);
            },
          });
        } finally {
          if (started) bar?.stop();
        }
      });
      const vectors = store
        ? `vectors stored in Chroma at ${config.chromaUrl}`
        : 'passages rebuilt in PostgreSQL; the server (npm start) sends their vectors to its embedded Chroma when it next catches up';
      if (options.json) {
        console.log(
          JSON.stringify({
            ...report,
            vectors: store ? 'chroma' : 'pending',
            embedder: embedderFrom(config).id,
          }),
        );
        return;
      }
      console.log(
        table([
          ['Sources', String(report.sources)],
          [
            'Passages',
            `${report.chunks} (${report.added} new, ${report.changed} changed, ${report.unchanged} unchanged, ${report.removed} removed)`,
          ],
          ['Vectors', vectors],
          ['Took', `${(report.elapsed_ms / 1000).toFixed(1)} s`],
        ]),
      );
    } finally {
      await store?.close();
    }
  } catch (error) {
    process.exitCode = reportRunFailure('rag reindex', error);
  }
}
