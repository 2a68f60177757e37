import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { verifyAudit } from '../audit/audit-log.js';
import {
  apiTokenId,
  createApiToken,
  findPrincipalByHandle,
  hashApiToken,
  hasRole,
  PrincipalInputError,
  rolesFor,
  verifyApiToken,
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
        /scope "write" is not valid: use read and\/or propose/,
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
});
