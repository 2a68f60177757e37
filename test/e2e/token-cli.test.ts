/** `countersign token create` as a user runs it: the token alone on the last line, stored only hashed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findPrincipalByHandle,
  rolesFor,
  verifyApiToken,
} from '../../store/repos/principals-repo.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('countersign token create', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const create = (...args: string[]) =>
    runCli(['token', 'create', ...args], { DATABASE_URL: db.url });

  it('prints a description, then the token alone on the last line; the token verifies', async () => {
    const run = await create(
      '--principal',
      'zoe',
      '--role',
      'approver',
      '--scopes',
      'read,propose',
      '--label',
      'ci runner',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const token = lines.at(-1) as string;
    expect(token).toMatch(/^[A-Za-z0-9._~-]{32,}$/);
    expect(lines.slice(0, -1).join('\n')).toMatch(
      /^Created API token [0-9a-f]{16} for principal zoe \(new principal\), label "ci runner"\.\nScopes: read, propose\. Roles on account paper: approver\./,
    );

    const verified = await verifyApiToken(db.pool, token);
    expect(verified).toMatchObject({ handle: 'zoe', scopes: ['read', 'propose'] });
    const zoe = await findPrincipalByHandle(db.pool, 'zoe');
    expect(await rolesFor(db.pool, zoe?.id as string, 'paper')).toEqual(['approver']);

    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n FROM identities i WHERE row_to_json(i)::text LIKE $1',
      [`%${token.slice(-20)}%`],
    );
    expect(rows[0].n).toBe(0);
  });

  it('defaults to the read scope; an existing principal keeps its roles', async () => {
    const run = await create('--principal', 'local');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Created API token [0-9a-f]{16} for principal local\.$/);
    expect(lines[1]).toBe('Scopes: read. Roles on account paper: trader, approver, admin.');
    expect(await verifyApiToken(db.pool, lines.at(-1) as string)).toMatchObject({
      handle: 'local',
      scopes: ['read'],
    });
  });

  it('says when the principal has no role on the account', async () => {
    const run = await create('--principal', 'yuri');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Roles on account paper: none (grant one with --role).');
  });

  it.each([
    [
      ['--principal', 'Zoe!'],
      '--principal "Zoe!" is not a valid name: use 1 to 40 of a-z, 0-9, _ and -',
    ],
    [
      ['--principal', 'zoe', '--role', 'owner'],
      '--role "owner" is not a role: use viewer, trader, approver, admin',
    ],
    [
      ['--principal', 'zoe', '--scopes', 'read,trade'],
      '--scopes "read,trade": "trade" is not a scope; use read, propose or read,propose',
    ],
    [
      ['--principal', 'zoe', '--role', 'viewer', '--account', 'live'],
      'account "live" does not exist; accounts: paper',
    ],
  ])('exit 2 for %j, naming the bad value', async (args, message) => {
    const run = await create(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`countersign token create: ${message}`);
  });
});
