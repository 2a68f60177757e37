/**
 * A PostgreSQL LISTEN connection for an in-memory cache that may hold entries only while it
 * hears every change: `onChange` runs on each notification on `channel`, when the listener
 * (re)connects, and when it is lost; while it is lost `listening` is false (the cache then reads
 * the database) and it reconnects after `retryMs`. The token cache and the price cache use it.
 */
import pg from 'pg';
import type { Logger } from '../../config/logger.js';
import type { Pool } from './pool.js';

export interface ChangeListener {
  /** True while connected and listening: only then may a cache keep entries. */
  readonly listening: boolean;
  close(): Promise<void>;
}

export interface ChangeListenerOptions {
  channel: string;
  applicationName: string;
  logger: Logger;
  /** Logged (warn) when the listener is lost. */
  lostMessage: string;
  /** Wait before reconnecting a dropped listener. */
  retryMs: number;
  /** Forget everything: a change, a (re)connect or a lost listener. */
  onChange: () => void;
}

/** Connects the listener on `pool`'s server before it resolves (a failure schedules a retry). */
export async function listenForChanges(
  pool: Pool,
  options: ChangeListenerOptions,
): Promise<ChangeListener> {
  const { channel, retryMs, onChange } = options;
  let listener: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const drop = (why: string) => {
    if (!listening && listener === undefined) return;
    listening = false;
    onChange();
    const old = listener;
    listener = undefined;
    void old?.end().catch(() => undefined);
    if (closed) return;
    options.logger.warn({ why, retryMs }, options.lostMessage);
    retry = setTimeout(() => void connect(), retryMs);
    retry.unref();
  };

  const connect = async () => {
    if (closed) return;
    const client = new pg.Client({
      ...(pool.options as pg.ClientConfig),
      application_name: options.applicationName,
    });
    client.on('error', (error) => drop(error.message));
    client.on('end', () => {
      if (listener === client) drop('connection ended');
    });
    client.on('notification', (message) => {
      if (message.channel === channel) onChange();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      listener = client; // so that drop() schedules the retry
      drop((error as Error).message);
      return;
    }
    if (closed) {
      await client.end().catch(() => undefined);
      return;
    }
    onChange();
    listener = client;
    listening = true;
  };

  await connect();

  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      listening = false;
      onChange();
      const old = listener;
      listener = undefined;
      await old?.end().catch(() => undefined);
    },
  };
}
