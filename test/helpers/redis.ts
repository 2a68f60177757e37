/** Redis for the kv contract tests: the run's REDIS_URL, a key prefix per test file, and removing what a file wrote. */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { uniqueName } from './naming.js';

/** The REDIS_URL global setup found, or undefined when the Redis half of the contract suites is skipped. */
export function testRedisUrl(): string | undefined {
  return inject('redisUrl') || undefined;
}

/** A key and channel prefix no other test file or run shares, ending in ':'. */
export function testRedisPrefix(): string {
  return `${uniqueName(inject('runId'))}:`;
}

/** A plain connection for looking at Redis from outside the code under test. */
export async function connectTestRedis(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
}

/**
 * Deletes every key under `prefix` (SCAN, never KEYS: it does not block a shared Redis) and
 * returns how many there were. The prefix comes from testRedisPrefix, so it holds no glob
 * characters.
 */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const client = await connectTestRedis(url);
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await client.quit();
  }
}

/** A TCP proxy in front of Redis that a test can make hang or vanish, to see how clients cope. */
export interface RedisProxy {
  /** `redisUrl` with host and port pointing at the proxy (password and database kept). */
  url: string;
  /** Stops passing client bytes on (they wait in the socket), like a Redis that stopped answering. */
  pause(): void;
  /** Passes the held bytes on and carries on. */
  resume(): void;
  /** Drops every connection and refuses new ones, like a Redis that crashed. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a RedisProxy on a free local port. */
export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const upstreamUrl = new URL(redisUrl);
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  let paused = false;
  const server = createServer((client) => {
    const upstream = connect(Number(upstreamUrl.port || 6379), upstreamUrl.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    clients.add(client);
    client.on('close', () => clients.delete(client));
    if (paused) client.pause();
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    pause() {
      paused = true;
      for (const client of clients) client.pause();
    },
    resume() {
      paused = false;
      for (const client of clients) client.resume();
    },
    cut: stop,
    restore: () => listen(port),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
