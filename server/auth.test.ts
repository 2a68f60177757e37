import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokenId, createApiToken } from '../store/repos/principals-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { type AuthEnv, bearerAuth } from './auth.js';

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
