import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { apiTokenId, createApiToken, revokeApiToken, syncEnvApiTokens } from './api-tokens-repo.js';
import { createTokenCache, type TokenCache } from './token-cache.js';

/** Waits until `check` holds (notifications arrive asynchronously, within milliseconds). */
async function eventually(check: () => boolean, ms = 5_000) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the token cache', () => {
  let db: TestDatabase;
  let cache: TokenCache;
  beforeAll(async () => {
    db = await createTestDatabase();
    cache = await createTokenCache(db.pool, { logger: silentLogger(), retryMs: 100 });
  });
  afterAll(async () => {
    await cache?.close();
    await db.drop();
  });

  it('answers from memory after the first lookup, and forgets a revoked token at once', async () => {
    expect(cache.listening).toBe(true);
    const token = await createApiToken(db.pool, { principal: 'carol', scopes: ['read'] });
    const first = await cache.verify(token);
    expect(first).toMatchObject({ handle: 'carol', scopes: ['read'] });
    expect(cache.size).toBe(1);
    // A hit does not touch the database: even a dropped identity row would not be seen…
    expect(await cache.verify(token)).toEqual(first);
    // …but a revocation committed anywhere empties the cache through the trigger.
    const revoked = await revokeApiToken(db.pool, apiTokenId(token) as string, 'cli');
    expect(revoked).toMatchObject({ ok: true });
    await eventually(() => cache.size === 0);
    expect(await cache.verify(token)).toBeUndefined();
  });

  it('forgets on an operator disabling a principal by hand, and on an API_TOKENS sync', async () => {
    const token = await createApiToken(db.pool, { principal: 'dave', scopes: ['read', 'propose'] });
    expect(await cache.verify(token)).toMatchObject({ handle: 'dave' });
    await db.pool.query("UPDATE principals SET disabled_at = now() WHERE handle = 'dave'");
    await eventually(() => cache.size === 0);
    expect(await cache.verify(token)).toBeUndefined();

    const env = 'env-token-for-the-cache-test-0123456789';
    await syncEnvApiTokens(db.pool, [{ principal: 'erin', token: env, scopes: ['read'] }]);
    expect(await cache.verify(env)).toMatchObject({ handle: 'erin' });
    await syncEnvApiTokens(db.pool, []);
    await eventually(() => cache.size === 0);
    expect(await cache.verify(env)).toBeUndefined();
  });

  it('does not empty itself when only last_used_at moves', async () => {
    const token = await createApiToken(db.pool, { principal: 'frank', scopes: ['read'] });
    await cache.verify(token);
    await db.pool.query("UPDATE identities SET last_used_at = now() - interval '1 hour'");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cache.size).toBeGreaterThan(0);
  });

  it('without its listener it asks the database every time, and comes back', async () => {
    const token = await createApiToken(db.pool, { principal: 'gina', scopes: ['read'] });
    await cache.verify(token);
    await db.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'countersign-token-cache' AND datname = current_database()",
    );
    await eventually(() => !cache.listening);
    expect(cache.size).toBe(0);
    expect(await cache.verify(token)).toMatchObject({ handle: 'gina' });
    expect(cache.size).toBe(0);
    await eventually(() => cache.listening);
    await cache.verify(token);
    expect(cache.size).toBe(1);
  });
});
