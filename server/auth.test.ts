/** bearerAuth against the real database: who is admitted, what each refusal says, and failed authentications limited per client address. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { createKv, type Kv } from '../store/kv/kv.js';
import { MemoryRateLimiter } from '../store/kv/memory-rate-limiter.js';
import {
  apiTokenId,
  createApiToken,
  envTokenId,
  syncEnvApiTokens,
} from '../store/repos/api-tokens-repo.js';
import { createTokenCache, type TokenCache } from '../store/repos/token-cache.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { createApp } from './app.js';
import { type AuthEnv, bearerAuth, clientKey } from './auth.js';
import { createMetrics } from './metrics.js';

describe('bearerAuth', () => {
  let db: TestDatabase;
  let app: Hono<AuthEnv>;
  let token: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    token = await createApiToken(db.pool, {
      principal: 'alice',
      role: 'approver',
      scopes: ['read', 'propose'],
    });
    app = new Hono<AuthEnv>();
    app.get('/health', (c) => c.json({ status: 'ok' }));
    app.use('/api/*', bearerAuth(db.pool));
    app.get('/api/whoami', (c) => c.json(c.get('principal')));
  });
  afterAll(() => db.drop());

  const call = (authorization?: string) =>
    app.request('/api/whoami', {
      headers: authorization === undefined ? {} : { Authorization: authorization },
    });

  it('admits a valid token and puts its principal on the context', async () => {
    const response = await call(`Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      principalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      handle: 'alice',
      scopes: ['read', 'propose'],
      tokenId: apiTokenId(token),
    });
    expect((await call(`bearer   ${token}  `)).status).toBe(200);
  });

  it('leaves routes outside it alone', async () => {
    expect((await app.request('/health')).status).toBe(200);
  });

  it.each([
    ['no header', undefined, /^Missing Authorization header/, 'Bearer realm="countersign"'],
    ['another scheme', 'Basic YWxpY2U6cHc=', /uses the "Basic" scheme/, 'invalid_request'],
    ['no token', 'Bearer', /no token after "Bearer"/, 'invalid_request'],
    ['a malformed token', 'Bearer abc.def', /malformed: tokens made by/, 'invalid_token'],
    [
      'an over-long token',
      `Bearer ${'x'.repeat(513)}`,
      /API_TOKENS tokens are 24 to 512/,
      'invalid_token',
    ],
    [
      'an unknown env-style token',
      `Bearer ${'y'.repeat(30)}`,
      /not valid: it is unknown or revoked/,
      'invalid_token',
    ],
    [
      'an unknown token',
      `Bearer cs_${'0'.repeat(16)}_${'A'.repeat(43)}`,
      /not valid: it is unknown or revoked/,
      'invalid_token',
    ],
  ])('refuses %s with 401 and says why', async (_name, authorization, message, challenge) => {
    const response = await call(authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toContain(challenge);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('unauthorized');
    expect(body.message).toMatch(message);
  });

  it('never echoes the token it refuses', async () => {
    const wrong = `${token.slice(0, -4)}zzzz`;
    const response = await call(`Bearer ${wrong}`);
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(text).not.toContain(wrong.slice(20));
  });

  it('refuses a token once revoked, or once its principal is disabled', async () => {
    const bob = await createApiToken(db.pool, { principal: 'bob', scopes: ['read'] });
    expect((await call(`Bearer ${bob}`)).status).toBe(200);
    await db.pool.query('UPDATE identities SET revoked_at = now() WHERE external_id = $1', [
      apiTokenId(bob),
    ]);
    expect((await call(`Bearer ${bob}`)).status).toBe(401);

    const carol = await createApiToken(db.pool, { principal: 'carol', scopes: ['read'] });
    await db.pool.query("UPDATE principals SET disabled_at = now() WHERE handle = 'carol'");
    expect((await call(`Bearer ${carol}`)).status).toBe(401);
  });

  it('works over real HTTP', async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const url = `http://127.0.0.1:${port}/api/whoami`;
      const ok = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { handle: string }).handle).toBe('alice');
      const refused = await fetch(url);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: 'unauthorized' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('bearerAuth with the token cache', () => {
  let db: TestDatabase;
  let cache: TokenCache;
  let app: Hono<AuthEnv>;
  beforeAll(async () => {
    db = await createTestDatabase();
    cache = await createTokenCache(db.pool, { logger: silentLogger() });
    app = new Hono<AuthEnv>();
    app.use('/api/*', bearerAuth(db.pool, cache));
    app.get('/api/whoami', (c) => c.json(c.get('principal')));
  });
  afterAll(async () => {
    await cache.close();
    await db.drop();
  });

  it('serves repeat requests from memory and refuses a token within moments of its revocation', async () => {
    const dana = await createApiToken(db.pool, { principal: 'dana', scopes: ['read'] });
    const call = () => app.request('/api/whoami', { headers: { Authorization: `Bearer ${dana}` } });
    expect((await call()).status).toBe(200);
    expect(cache.size).toBe(1);
    expect(await (await call()).json()).toMatchObject({ handle: 'dana', scopes: ['read'] });
    await db.pool.query('UPDATE identities SET revoked_at = now() WHERE external_id = $1', [
      apiTokenId(dana),
    ]);
    // The trigger's NOTIFY is delivered after the commit, in well under a second.
    const until = Date.now() + 2_000;
    let status = 200;
    while (status === 200 && Date.now() < until) {
      status = (await call()).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(status).toBe(401);
    expect((await call()).status).toBe(401);
  });
});

describe('bearerAuth with API_TOKENS tokens, over real HTTP through the app', () => {
  const reader = 'reader-token-from-env-0123456789';
  const proposer = 'proposer~token.from_env-0123456789';
  let db: TestDatabase;
  let kv: Kv;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    db = await createTestDatabase();
    kv = await createKv({ logger: silentLogger() });
    const config = loadConfig(
      { DATABASE_URL: db.url, API_TOKENS: `robot:${reader},ops:${proposer}:read+propose` },
      '/',
    );
    await syncEnvApiTokens(db.pool, config.apiTokens);
    const app = createApp({
      sources: {
        phase: 'ready',
        config,
        startedAt: Date.now(),
        database: {
          pool: db.pool,
          mode: 'external',
          location: db.name,
          migrationsApplied: [],
          close: async () => {},
        },
        kv,
      },
      metrics: createMetrics({ version: '0.1.0', mode: 'external' }),
      logger: silentLogger(),
      api: { pool: db.pool, orders: testOrders(db.pool).orders, logger: silentLogger() },
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
    await kv?.close();
    await db?.drop();
  });

  const listTools = (token: string) =>
    fetch(`${url}/api/tools`, { headers: { Authorization: `Bearer ${token}` } });
  const propose = (token: string) =>
    fetch(`${url}/api/tools/propose_order`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ symbol: 'KO', side: 'buy', quantity: 1, rationale: 'env token' }),
    });

  it('admits an env token with the scopes API_TOKENS gives it', async () => {
    expect((await listTools(reader)).status).toBe(200);
    const forbidden = await propose(reader);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toMatch(/'propose' scope/);
    // The propose scope passes the scope gate (the role check is the tool's business).
    const withScope = await propose(proposer);
    expect(withScope.status).not.toBe(401);
    expect(((await withScope.json()) as { message?: string }).message ?? '').not.toMatch(
      /'propose' scope/,
    );
    const { rows } = await db.pool.query(
      'SELECT last_used_at FROM identities WHERE external_id = $1',
      [envTokenId(reader)],
    );
    expect(rows[0].last_used_at).toBeInstanceOf(Date);
  });

  it('refuses a token once it is removed from API_TOKENS', async () => {
    await syncEnvApiTokens(db.pool, [{ principal: 'ops', token: proposer, scopes: ['read'] }]);
    const refused = await listTools(reader);
    expect(refused.status).toBe(401);
    const text = await refused.text();
    expect(text).toMatch(/unknown or revoked/);
    expect(text).not.toContain(reader);
    expect((await listTools(proposer)).status).toBe(200);
    expect((await propose(proposer)).status).toBe(403);
  });
});

/** GET `url` over a real socket from `localAddress` (any 127.x.y.z is this host on Linux). */
function get(
  url: string,
  authorization: string | undefined,
  localAddress = '127.0.0.1',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      url,
      { localAddress, headers: authorization ? { Authorization: authorization } : {} },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: JSON.parse(text),
          }),
        );
      },
    );
    request.on('error', reject);
  });
}

describe('failed authentications are limited per client address', () => {
  let db: TestDatabase;
  let token: string;
  let url: string;
  let close: () => Promise<void>;
  const logged: { msg: string; client?: string; retryAfterSeconds?: number }[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    token = await createApiToken(db.pool, { principal: 'erin', scopes: ['read'] });
    // Three failures in a burst, then one every 0.5 s.
    const limiter = new MemoryRateLimiter({
      name: 'auth-failures-test',
      capacity: 3,
      refillPerSecond: 2,
    });
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => logged.push(JSON.parse(line)) },
    );
    const app = new Hono<AuthEnv>();
    app.use('/api/*', bearerAuth(db.pool, undefined, { limiter, logger }));
    app.get('/api/whoami', (c) => c.json(c.get('principal')));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/whoami`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
    await db?.drop();
  });

  it('answers 429 with Retry-After once the burst is spent, without checking tokens, and logs it', async () => {
    // Successes take nothing from the bucket.
    for (let k = 0; k < 30; k++) expect((await get(url, `Bearer ${token}`)).status).toBe(200);
    expect((await get(url, undefined)).status).toBe(401);
    expect((await get(url, 'Bearer abc.def')).status).toBe(401);
    expect((await get(url, `Bearer cs_${'0'.repeat(16)}_${'A'.repeat(43)}`)).status).toBe(401);
    for (const authorization of ['Bearer nope', `Bearer ${token}`]) {
      const refused = await get(url, authorization);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body.error).toBe('rate_limited');
      expect(refused.body.message).toMatch(
        /Too many failed authentications from 127\.0\.0\.1: at most 3 in a burst, then one every 0\.5 s\. Retry in 1 s/,
      );
      expect(JSON.stringify(refused.body)).not.toContain(token);
    }
    expect(
      logged.some((line) => line.client === '127.0.0.1' && /too many failed/.test(line.msg)),
    ).toBe(true);
    // Another address is not refused.
    expect((await get(url, `Bearer ${token}`, '127.0.0.2')).status).toBe(200);
    expect((await get(url, 'Bearer nope', '127.0.0.2')).status).toBe(401);
    // Once a token has come back, the client is heard again.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await get(url, `Bearer ${token}`)).status).toBe(200);
    expect((await get(url, 'Bearer nope')).status).toBe(401);
    expect((await get(url, 'Bearer nope')).status).toBe(429);
  });

  it('keys clients by address, IPv6 ones by their /64', () => {
    expect(clientKey(undefined)).toBe('unknown');
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('failed authentications through the app, on routes that pass no limiter themselves', () => {
  let db: TestDatabase;
  let kv: Kv;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    db = await createTestDatabase();
    kv = await createKv({ logger: silentLogger() });
    const config = loadConfig({ DATABASE_URL: db.url }, '/');
    const app = createApp({
      sources: { phase: 'ready', config, startedAt: Date.now() },
      metrics: createMetrics({ version: '0.1.0', mode: 'external' }),
      logger: silentLogger(),
      api: {
        pool: db.pool,
        orders: testOrders(db.pool).orders,
        logger: silentLogger(),
        limiters: {
          auth: kv.rateLimiter({
            name: 'auth-failures-app-test',
            capacity: 2,
            refillPerSecond: 0.1,
          }),
        },
      },
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
    await kv?.close();
    await db?.drop();
  });

  it('shares one bucket across /api/proposals, /api/portfolio and /api/tools', async () => {
    expect((await get(`${url}/api/proposals`, 'Bearer nope-1')).status).toBe(401);
    expect((await get(`${url}/api/portfolio/paper`, 'Bearer nope-2')).status).toBe(401);
    const refused = await get(`${url}/api/tools`, 'Bearer nope-3');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect((await get(`${url}/api/proposals`, undefined)).status).toBe(429);
  });
});
