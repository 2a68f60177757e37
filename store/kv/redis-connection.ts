/** Opening the two Redis connections the kv layer uses, failing fast and clearly when Redis is not there. */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../config/logger.js';

/** How long createKv waits for Redis before giving up. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;
/** How long one command may take once connected; a hung Redis then fails calls instead of stalling them. */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** The main connection (commands, PUBLISH) and the subscriber connection (only SUBSCRIBE and PING). */
export interface RedisConnections {
  main: Redis;
  subscriber: Redis;
  /** host:port/db for messages; never the password. */
  target: string;
}

/** Host, port and database of a Redis URL, for messages (never the user or password). */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const db = parsed.pathname.replace(/^\//, '') || '0';
    return `${parsed.hostname}:${parsed.port || '6379'}/${db}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

const TIMED_OUT = Symbol('timed out');

function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * After start-up, ioredis reconnects in the background and emits 'error' at every failed try;
 * one warning when the connection goes and one note when it is back say the same, once.
 */
function watch(client: Redis, role: string, target: string, logger: Logger): void {
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(
      { err: error, redis: target, connection: role },
      'Redis connection lost; reconnecting in the background, and calls fail until it is back',
    );
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: target, connection: role }, 'Redis connection restored');
  });
}

/**
 * Connects both connections, or throws within REDIS_CONNECT_TIMEOUT_MS an error that names
 * host:port and what to check. Once connected, commands fail at once while Redis is away
 * (no offline queue) or after REDIS_COMMAND_TIMEOUT_MS when it stops answering, rather than
 * piling up in memory and hanging their callers.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisConnections> {
  const target = describeRedisUrl(url);
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    connectionName: 'countersign',
  };
  // Commands issued in the same tick (many requests checking their rate limit at once) leave in
  // one write: under load that is one syscall instead of one per command.
  const main = new Redis(url, { ...options, enableAutoPipelining: true });
  const subscriber = main.duplicate({
    connectionName: 'countersign-bus',
    enableAutoPipelining: false,
  });
  let firstError: Error | undefined;
  const remember = (error: Error) => {
    firstError ??= error;
  };
  main.on('error', remember);
  subscriber.on('error', remember);
  let problem: string | undefined;
  let cause: unknown;
  try {
    const outcome = await within(
      Promise.all([main.connect(), subscriber.connect()]),
      REDIS_CONNECT_TIMEOUT_MS,
    );
    if (outcome === TIMED_OUT) {
      cause = firstError;
      problem = `no ready answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s${firstError ? ` (${firstError.message})` : ''}`;
    }
  } catch (error) {
    // ioredis rejects connect() with a bare "Connection is closed"; the 'error' event has the reason.
    cause = firstError ?? error;
    problem = (cause as Error).message;
  }
  if (problem !== undefined) {
    // Without this ioredis keeps retrying in the background and holds the process open.
    main.disconnect();
    subscriber.disconnect();
    throw new Error(
      `Could not connect to Redis at ${target} (REDIS_URL): ${problem}. ` +
        'Check that Redis is running and reachable from this machine and that REDIS_URL has the right host, port, password and database number; ' +
        'or unset REDIS_URL to use the in-process cache, bus, rate limits and locks.',
      { cause },
    );
  }
  for (const [client, role] of [
    [main, 'main'],
    [subscriber, 'subscriber'],
  ] as const) {
    client.off('error', remember);
    client.options.enableOfflineQueue = false;
    watch(client, role, target, logger);
  }
  return { main, subscriber, target };
}

/** Closes a connection politely (QUIT), or at once when Redis is not answering. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  await client.quit().catch(() => client.disconnect());
}
