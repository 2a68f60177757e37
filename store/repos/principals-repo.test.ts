import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { verifyAudit } from '../audit/audit-log.js';
import {
  apiTokenId,
  createApiToken,
  envTokenId,
  hashApiToken,
  listApiTokens,
  revokeApiToken,
  syncEnvApiTokens,
  verifyApiToken,
} from './api-tokens-repo.js';
import {
  findPrincipalByHandle,
  hasRole,
  PrincipalInputError,
  rolesFor,
} from './principals-repo.js';

describe('principals, roles and API tokens', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(
      "INSERT INTO accounts (id, name, kind, broker) VALUES ('live1', 'Live', 'live', 'alpaca')",
    );
  });
  afterAll(() => db.drop());

  const principalId = async (handle: string) => {
    const principal = await findPrincipalByHandle(db.pool, handle);
    if (!principal) throw new Error(`no principal ${handle}`);
    return principal.id;
  };

  describe('the first-run seed', () => {
    it('has principal local, a cli identity, and trader, approver and admin on paper', async () => {
      const local = await findPrincipalByHandle(db.pool, 'local');
      expect(local).toMatchObject({ handle: 'local', displayName: 'Local user', disabledAt: null });
      expect(await rolesFor(db.pool, local?.id as string, 'paper')).toEqual([
        'trader',
        'approver',
        'admin',
      ]);
      expect(await rolesFor(db.pool, local?.id as string, 'live1')).toEqual([]);
      const { rows } = await db.pool.query(
        "SELECT kind, external_id FROM identities WHERE principal_id = $1 AND kind = 'cli'",
        [local?.id],
      );
      expect(rows).toEqual([{ kind: 'cli', external_id: 'local' }]);
    });

    it('opens the paper account with 100,000 USD', async () => {
      const { rows } = await db.pool.query(
        `SELECT sum(amount)::text AS cash, count(*)::int AS n, min(currency) AS currency
           FROM cash_ledger WHERE account_id = 'paper'`,
      );
      expect(rows[0]).toEqual({ cash: '100000', n: 1, currency: 'USD' });
    });
  });

  describe('roles', () => {
    it('a grant on one account holds there only; a grant with no account holds everywhere', async () => {
      await db.pool.query("INSERT INTO principals (handle) VALUES ('rita')");
      const rita = await principalId('rita');
      await db.pool.query(
        `INSERT INTO role_grants (principal_id, account_id, role)
           VALUES ($1, 'live1', 'approver'), ($1, NULL, 'viewer')`,
        [rita],
      );
      expect(await rolesFor(db.pool, rita, 'live1')).toEqual(['viewer', 'approver']);
      expect(await rolesFor(db.pool, rita, 'paper')).toEqual(['viewer']);
      expect(await hasRole(db.pool, rita, 'live1', 'approver')).toBe(true);
      expect(await hasRole(db.pool, rita, 'paper', 'approver')).toBe(false);
      expect(await hasRole(db.pool, rita, 'some-other', 'viewer')).toBe(true);
    });

    it('admin does not imply approver, and a disabled principal holds nothing', async () => {
      await db.pool.query("INSERT INTO principals (handle) VALUES ('ada')");
      const ada = await principalId('ada');
      await db.pool.query(
        "INSERT INTO role_grants (principal_id, account_id, role) VALUES ($1, 'paper', 'admin')",
        [ada],
      );
      expect(await hasRole(db.pool, ada, 'paper', 'approver')).toBe(false);
      expect(await hasRole(db.pool, ada, 'paper', 'admin')).toBe(true);
      await db.pool.query('UPDATE principals SET disabled_at = now() WHERE id = $1', [ada]);
      expect(await rolesFor(db.pool, ada, 'paper')).toEqual([]);
    });

    it('an unknown principal has no roles', async () => {
      expect(await rolesFor(db.pool, '00000000-0000-4000-8000-000000000000', 'paper')).toEqual([]);
      expect(await findPrincipalByHandle(db.pool, 'nobody')).toBeUndefined();
    });
  });

  describe('API tokens', () => {
    it('creates the principal and the grant, stores only the hash, and verifies', async () => {
      const token = await createApiToken(db.pool, {
        principal: 'alice',
        role: 'approver',
        scopes: ['read', 'propose'],
        label: 'laptop',
      });
      expect(token).toMatch(/^[A-Za-z0-9._~-]{32,}$/);
      const tokenId = apiTokenId(token) as string;
      expect(tokenId).toMatch(/^[0-9a-f]{16}$/);
      const alice = await principalId('alice');
      expect(await rolesFor(db.pool, alice, 'paper')).toEqual(['approver']);

      const { rows } = await db.pool.query(
        "SELECT external_id, secret_hash, scopes, label, last_used_at FROM identities WHERE kind = 'api_token' AND principal_id = $1",
        [alice],
      );
      expect(rows).toEqual([
        {
          external_id: tokenId,
          secret_hash: hashApiToken(token),
          scopes: ['read', 'propose'],
          label: 'laptop',
          last_used_at: null,
        },
      ]);
      const everything = await db.pool.query(
        "SELECT row_to_json(i)::text AS row FROM identities i WHERE kind = 'api_token'",
      );
      for (const { row } of everything.rows) expect(row).not.toContain(token.slice(20));

      expect(await verifyApiToken(db.pool, token)).toEqual({
        principalId: alice,
        handle: 'alice',
        scopes: ['read', 'propose'],
        tokenId,
      });
      const used = await db.pool.query(
        'SELECT last_used_at FROM identities WHERE external_id = $1',
        [tokenId],
      );
      expect(used.rows[0].last_used_at).toBeInstanceOf(Date);
    });

    it('records the creation in the audit log without the token or its hash', async () => {
      const token = await createApiToken(db.pool, { principal: 'bob', scopes: ['read'] });
      const { rows } = await db.pool.query(
        "SELECT actor_kind, channel, entity_id, after FROM audit_log WHERE action = 'api_token.created' AND entity_id = $1",
        [apiTokenId(token)],
      );
      expect(rows).toEqual([
        {
          actor_kind: 'system',
          channel: 'cli',
          entity_id: apiTokenId(token),
          after: {
            principal: 'bob',
            principal_id: await principalId('bob'),
            principal_created: true,
            scopes: ['read'],
            label: null,
          },
        },
      ]);
      expect(JSON.stringify(rows)).not.toContain(hashApiToken(token));
      expect(await verifyAudit(db.pool)).toMatchObject({ ok: true });
    });

    it('a second token for the same principal keeps the first one working', async () => {
      const first = await createApiToken(db.pool, { principal: 'carol', scopes: ['read'] });
      const second = await createApiToken(db.pool, {
        principal: 'carol',
        role: 'trader',
        scopes: [],
      });
      expect(first).not.toBe(second);
      expect((await verifyApiToken(db.pool, first))?.handle).toBe('carol');
      expect((await verifyApiToken(db.pool, second))?.scopes).toEqual([]);
    });

    it('refuses unknown, tampered and malformed tokens', async () => {
      const token = await createApiToken(db.pool, { principal: 'dave', scopes: ['read'] });
      const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      expect(await verifyApiToken(db.pool, flipped)).toBeUndefined();
      expect(
        await verifyApiToken(db.pool, `cs_${'0'.repeat(16)}_${'x'.repeat(43)}`),
      ).toBeUndefined();
      expect(await verifyApiToken(db.pool, 'not-a-token')).toBeUndefined();
      expect(await verifyApiToken(db.pool, '')).toBeUndefined();
    });

    it('refuses a revoked token', async () => {
      const token = await createApiToken(db.pool, { principal: 'erin', scopes: ['read'] });
      await db.pool.query('UPDATE identities SET revoked_at = now() WHERE external_id = $1', [
        apiTokenId(token),
      ]);
      expect(await verifyApiToken(db.pool, token)).toBeUndefined();
    });

    it('refuses the token of a disabled principal, and will not make one for it', async () => {
      const token = await createApiToken(db.pool, { principal: 'frank', scopes: ['read'] });
      await db.pool.query("UPDATE principals SET disabled_at = now() WHERE handle = 'frank'");
      expect(await verifyApiToken(db.pool, token)).toBeUndefined();
      await expect(
        createApiToken(db.pool, { principal: 'frank', scopes: ['read'] }),
      ).rejects.toThrow(/principal "frank" is disabled/);
    });

    it.each([
      [{ principal: 'Bad Name', scopes: [] }, /principal "Bad Name" is not a valid name/],
      [{ principal: 'x'.repeat(41), scopes: [] }, /is not a valid name: use 1 to 40/],
      [{ principal: 'gina', role: 'boss', scopes: [] }, /role "boss" is not valid: use viewer/],
      [
        { principal: 'gina', scopes: ['write'] },
        /scope "write" is not valid: use read, propose, approve/,
      ],
      [
        { principal: 'gina', role: 'viewer', account: 'nope', scopes: [] },
        /account "nope" does not exist; accounts: live1, paper/,
      ],
      [{ principal: 'gina', role: 'viewer', account: 'No!', scopes: [] }, /not a valid account id/],
    ])('refuses %o with a message that names the value', async (options, message) => {
      const attempt = createApiToken(db.pool, options as never);
      await expect(attempt).rejects.toThrow(PrincipalInputError);
      await expect(attempt).rejects.toThrow(message);
      expect(await findPrincipalByHandle(db.pool, 'gina')).toBeUndefined();
    });
  });

  describe('API_TOKENS (env tokens)', () => {
    const ci = 'ci-token-0123456789abcdefghij';
    const ops = 'ops.token~0123456789ABCDEFGHIJ';
    const lateAudit = async (afterSeq: string) =>
      (
        await db.pool.query<{ action: string; entity_id: string; before: unknown; after: unknown }>(
          `SELECT action, entity_id, before, after FROM audit_log
            WHERE seq > $1 AND entity_kind = 'api_token' ORDER BY seq`,
          [afterSeq],
        )
      ).rows;
    const lastSeq = async () =>
      (
        await db.pool.query<{ seq: string }>(
          'SELECT coalesce(max(seq), 0)::text AS seq FROM audit_log',
        )
      ).rows[0]?.seq as string;
    const identity = async (token: string) =>
      (
        await db.pool.query(
          `SELECT i.external_id, p.handle, i.secret_hash, i.scopes, i.label, i.revoked_at
             FROM identities i JOIN principals p ON p.id = i.principal_id
            WHERE i.kind = 'api_token' AND i.external_id = $1`,
          [envTokenId(token)],
        )
      ).rows[0];

    it('ids an env token by the first 16 hex of its SHA-256, and a cs_ token by its own id', () => {
      expect(envTokenId(ci)).toBe(`env-${hashApiToken(ci).slice(0, 16)}`);
      expect(apiTokenId(ci)).toBe(envTokenId(ci));
      expect(apiTokenId(`cs_${'a'.repeat(16)}_${'b'.repeat(43)}`)).toBe('a'.repeat(16));
      expect(apiTokenId('x'.repeat(23))).toBeUndefined();
      expect(apiTokenId('x'.repeat(513))).toBeUndefined();
      expect(apiTokenId(`${'x'.repeat(20)} ${'x'.repeat(20)}`)).toBeUndefined();
    });

    it('creates principals (with no roles) and identities, stores only the hash, audits each', async () => {
      const since = await lastSeq();
      const sync = await syncEnvApiTokens(db.pool, [
        { principal: 'ci', token: ci, scopes: ['read'] },
        { principal: 'ops', token: ops, scopes: ['read', 'propose'] },
      ]);
      expect(sync).toEqual({
        active: 2,
        created: [envTokenId(ci), envTokenId(ops)],
        updated: [],
        reactivated: [],
        revoked: [],
        disabledPrincipals: [],
      });
      expect(await identity(ci)).toEqual({
        external_id: envTokenId(ci),
        handle: 'ci',
        secret_hash: hashApiToken(ci),
        scopes: ['read'],
        label: 'API_TOKENS',
        revoked_at: null,
      });
      expect(await rolesFor(db.pool, await principalId('ci'), 'paper')).toEqual([]);
      expect(await verifyApiToken(db.pool, ops)).toEqual({
        principalId: await principalId('ops'),
        handle: 'ops',
        scopes: ['read', 'propose'],
        tokenId: envTokenId(ops),
      });
      const entries = await lateAudit(since);
      expect(entries).toEqual([
        {
          action: 'api_token.created',
          entity_id: envTokenId(ci),
          before: null,
          after: {
            principal: 'ci',
            principal_id: await principalId('ci'),
            principal_created: true,
            scopes: ['read'],
            label: 'API_TOKENS',
          },
        },
        expect.objectContaining({ action: 'api_token.created', entity_id: envTokenId(ops) }),
      ]);
      const text = JSON.stringify(entries);
      for (const token of [ci, ops]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(hashApiToken(token));
      }
    });

    it('writes nothing when nothing changed', async () => {
      const since = await lastSeq();
      const sync = await syncEnvApiTokens(db.pool, [
        { principal: 'ci', token: ci, scopes: ['read'] },
        { principal: 'ops', token: ops, scopes: ['propose', 'read'] },
      ]);
      expect(sync).toMatchObject({ active: 2, created: [], updated: [], revoked: [] });
      expect(await lateAudit(since)).toEqual([]);
    });

    it('updates scopes, revokes what is no longer listed, and revives what is listed again', async () => {
      let since = await lastSeq();
      const sync = await syncEnvApiTokens(db.pool, [
        { principal: 'ci', token: ci, scopes: ['read', 'propose'] },
      ]);
      expect(sync).toMatchObject({
        active: 1,
        created: [],
        updated: [envTokenId(ci)],
        revoked: [envTokenId(ops)],
      });
      expect((await verifyApiToken(db.pool, ci))?.scopes).toEqual(['read', 'propose']);
      expect(await verifyApiToken(db.pool, ops)).toBeUndefined();
      expect((await identity(ops)).revoked_at).toBeInstanceOf(Date);
      expect(await lateAudit(since)).toEqual([
        {
          action: 'api_token.updated',
          entity_id: envTokenId(ci),
          before: {
            principal: 'ci',
            principal_id: await principalId('ci'),
            scopes: ['read'],
            revoked_at: null,
          },
          after: {
            principal: 'ci',
            principal_id: await principalId('ci'),
            scopes: ['read', 'propose'],
            revoked_at: null,
          },
        },
        {
          action: 'api_token.revoked',
          entity_id: envTokenId(ops),
          before: { principal: 'ops', scopes: ['read', 'propose'], revoked_at: null },
          after: { reason: 'no longer in API_TOKENS' },
        },
      ]);

      since = await lastSeq();
      const again = await syncEnvApiTokens(db.pool, [
        { principal: 'ci', token: ci, scopes: ['read', 'propose'] },
        { principal: 'ops', token: ops, scopes: ['read'] },
      ]);
      expect(again).toMatchObject({ created: [], updated: [], reactivated: [envTokenId(ops)] });
      expect((await verifyApiToken(db.pool, ops))?.scopes).toEqual(['read']);
      expect(await lateAudit(since)).toEqual([
        expect.objectContaining({
          action: 'api_token.reactivated',
          entity_id: envTokenId(ops),
          before: expect.objectContaining({ revoked_at: expect.any(String) }),
          after: expect.objectContaining({ scopes: ['read'], revoked_at: null }),
        }),
      ]);
      expect(await verifyAudit(db.pool)).toMatchObject({ ok: true });
    });

    it('leaves tokens made by `countersign token create` alone; an empty list revokes every env token', async () => {
      const made = await createApiToken(db.pool, { principal: 'ci', scopes: ['read'] });
      const sync = await syncEnvApiTokens(db.pool, []);
      expect(sync.revoked.sort()).toEqual([envTokenId(ci), envTokenId(ops)].sort());
      expect(await verifyApiToken(db.pool, ci)).toBeUndefined();
      expect((await verifyApiToken(db.pool, made))?.handle).toBe('ci');
    });

    it('reports disabled principals (their tokens do not work) and moves a token to its new principal', async () => {
      await db.pool.query("INSERT INTO principals (handle, disabled_at) VALUES ('gone', now())");
      const sync = await syncEnvApiTokens(db.pool, [
        { principal: 'gone', token: ci, scopes: ['read'] },
      ]);
      expect(sync).toMatchObject({
        active: 0,
        reactivated: [envTokenId(ci)],
        disabledPrincipals: ['gone'],
      });
      expect(await verifyApiToken(db.pool, ci)).toBeUndefined();
      expect((await identity(ci)).handle).toBe('gone');
    });

    it('verifies an env token that happens to look like a cs_ token', async () => {
      const lookalike = `cs_${'1'.repeat(16)}_${'Z'.repeat(43)}`;
      await syncEnvApiTokens(db.pool, [{ principal: 'ci', token: lookalike, scopes: ['read'] }]);
      expect(await verifyApiToken(db.pool, lookalike)).toMatchObject({
        handle: 'ci',
        tokenId: envTokenId(lookalike),
      });
    });

    it.each([
      [
        [{ principal: 'Bad Name', token: ci, scopes: ['read'] }],
        /^API_TOKENS entry 1 \(principal "Bad Name"\): the name is not valid/,
      ],
      [
        [
          { principal: 'ci', token: ci, scopes: ['read'] },
          { principal: 'ok', token: 'x'.repeat(600), scopes: ['read'] },
        ],
        /^API_TOKENS entry 2 \(principal "ok"\): the token is 600 characters long/,
      ],
      [
        [
          { principal: 'ci', token: ci, scopes: ['read'] },
          { principal: 'ops', token: ci, scopes: ['read'] },
        ],
        /^API_TOKENS entries 1 and 2 hold the same token/,
      ],
      [
        [{ principal: 'ci', token: ci, scopes: ['write'] }],
        /entry 1 \(principal "ci"\): scope "write" is not valid/,
      ],
    ])('refuses a bad entry, naming it but never its token (%#)', async (tokens, message) => {
      const before = await lastSeq();
      const attempt = syncEnvApiTokens(db.pool, tokens as never);
      await expect(attempt).rejects.toThrow(PrincipalInputError);
      const error = (await attempt.catch((e: Error) => e)) as Error;
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(ci);
      expect(await lastSeq()).toBe(before);
    });
  });

  describe('listing and revoking tokens', () => {
    it('lists ids, principals, scopes, labels and dates, never a hash', async () => {
      const token = await createApiToken(db.pool, {
        principal: 'lister',
        scopes: ['read'],
        label: 'laptop',
      });
      const env = 'lister-env-token-0123456789';
      await syncEnvApiTokens(db.pool, [{ principal: 'lister', token: env, scopes: ['propose'] }]);
      const list = await listApiTokens(db.pool, { principal: 'lister' });
      expect(list).toEqual([
        {
          id: apiTokenId(token),
          principal: 'lister',
          scopes: ['read'],
          label: 'laptop',
          source: 'cli',
          createdAt: expect.any(Date),
          lastUsedAt: null,
          revokedAt: null,
        },
        expect.objectContaining({ id: envTokenId(env), source: 'env', label: 'API_TOKENS' }),
      ]);
      expect(JSON.stringify(await listApiTokens(db.pool))).not.toContain(hashApiToken(token));
    });

    it('revokes by id once, with an audit entry; unknown and repeated ids are values', async () => {
      const token = await createApiToken(db.pool, { principal: 'rev', scopes: ['read'] });
      const id = apiTokenId(token) as string;
      const result = await revokeApiToken(db.pool, id);
      expect(result).toMatchObject({ ok: true, token: { id, principal: 'rev' } });
      expect(result.ok && result.token.revokedAt).toBeInstanceOf(Date);
      expect(await verifyApiToken(db.pool, token)).toBeUndefined();
      const { rows } = await db.pool.query(
        "SELECT channel, before, after FROM audit_log WHERE action = 'api_token.revoked' AND entity_id = $1",
        [id],
      );
      expect(rows).toEqual([
        {
          channel: 'cli',
          before: { principal: 'rev', scopes: ['read'], revoked_at: null },
          after: { reason: 'revoked by an operator' },
        },
      ]);
      expect(await revokeApiToken(db.pool, id)).toMatchObject({
        ok: false,
        code: 'already_revoked',
      });
      expect(await revokeApiToken(db.pool, 'env-0000000000000000')).toEqual({
        ok: false,
        code: 'unknown_token',
      });
    });
  });
});
