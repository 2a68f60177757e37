/** The JSON logger (pino) every layer writes to; configured from LOG_LEVEL. */
import { type Logger, pino } from 'pino';
import type { LogLevel } from './env.js';

export type { Logger } from 'pino';

/**
 * Creates the process logger. `stream: 'stderr'` is for commands whose stdout is data (import
 * summaries as JSON, MCP over stdio): there, stdout must carry nothing else.
 */
export function createLogger(options: {
  level: LogLevel;
  stream?: 'stdout' | 'stderr';
  name?: string;
}): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'countersign',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: options.stream === 'stderr' ? 2 : 1, sync: true }),
  );
}

/** A logger that drops everything, for library callers and tests that do not want output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
