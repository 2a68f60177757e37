/** `countersign serve` (what `npm start` runs): the server in the foreground until Ctrl-C. */
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { type RunningServer, startServer } from '../server/start.js';
import { reportFailure } from './errors.js';

/**
 * Starts the server and keeps it up. SIGINT or SIGTERM stops it cleanly (exit 0); a second
 * signal exits at once (130). A crash stops what it can and exits 1.
 */
export async function serveCommand(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  let server: RunningServer | undefined;
  let starting: Promise<RunningServer> | undefined;
  let exiting = false;
  let firstSignalAt = 0;

  const shutdown = async (code: number) => {
    if (exiting) return;
    exiting = true;
    try {
      // A signal during start-up waits for start-up to finish, then stops what it started.
      const running = server ?? (await starting?.catch(() => undefined));
      await running?.stop();
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
      code = code || 1;
    }
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // Under `npm start` one Ctrl-C arrives twice (from the terminal and forwarded by npm), so
      // only a second signal at least a second later means "stop now, don't wait".
      if (exiting) {
        if (Date.now() - firstSignalAt < 1_000) return;
        logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
        process.exit(130);
      }
      firstSignalAt = Date.now();
      logger.info({ signal }, 'signal received');
      void shutdown(0);
    });
  }
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void shutdown(1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled promise rejection');
    void shutdown(1);
  });

  starting = startServer({
    config,
    logger,
    banner: (text) => process.stderr.write(text),
    onFatal: (error) => {
      logger.fatal({ err: error }, 'a component died');
      void shutdown(1);
    },
  });
  try {
    server = await starting;
  } catch (error) {
    process.exitCode = reportFailure(error);
    exiting = true;
  }
}
