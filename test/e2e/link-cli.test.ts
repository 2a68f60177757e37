/**
 * `countersign link` and `countersign principal quiet` as a user runs them: real processes on a
 * real database. A code is printed once and redeemed once; links are listed and revoked; bad
 * flags exit 2 naming what is valid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemLinkCode } from '../../store/repos/chat-links-repo.js';
import { addCliPrincipal } from '../../store/repos/principals-repo.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('countersign link', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
    await addCliPrincipal(db.pool, { handle: 'alice', roles: ['approver'], account: 'paper' });
  });
  afterAll(() => db.drop());

  it('prints a one-time code that links a chat identity, lists it, and revokes it', async () => {
    const made = await runCli(['link', '--principal', 'alice'], env);
    expect(made.code).toBe(0);
    const code = /\/link ([A-Z0-9]{4}-[A-Z0-9]{4})$/m.exec(made.stdout)?.[1] as string;
    expect(code).toBeDefined();
    expect(made.stdout).toMatch(/valid until .* \(10 minutes, single use\)/);
    const { rows } = await db.pool.query('SELECT code_hash FROM link_codes');
    expect(JSON.stringify(rows)).not.toContain(code.replace('-', ''));
    expect(
      await redeemLinkCode(db.pool, { kind: 'telegram', externalId: '777', code }),
    ).toMatchObject({ ok: true });
    expect(
      await redeemLinkCode(db.pool, { kind: 'telegram', externalId: '778', code }),
    ).toMatchObject({ ok: false });

    const listed = await runCli(['link', '--list', '--json'], env);
    expect(JSON.parse(listed.stdout).links).toEqual([
      expect.objectContaining({
        kind: 'telegram',
        external_id: '777',
        principal: 'alice',
        revoked_at: null,
      }),
    ]);
    const revoked = await runCli(['link', '--revoke', 'telegram:777'], env);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('Revoked telegram:777 (principal alice)');
    const again = await runCli(['link', '--revoke', 'telegram:777'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no live chat link "telegram:777"');
  });

  it('refuses bad flags with exit 2', async () => {
    const none = await runCli(['link'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give exactly one of --principal NAME');
    const unknown = await runCli(['link', '--principal', 'nobody'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no principal "nobody"; principals: alice, local');
  });

  it('sets and clears quiet hours', async () => {
    const set = await runCli(['principal', 'quiet', 'alice', '--from', '22', '--to', '7'], env);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('22:00 to 7:00 UTC');
    const { rows } = await db.pool.query('SELECT from_hour, to_hour FROM quiet_hours');
    expect(rows).toEqual([{ from_hour: 22, to_hour: 7 }]);
    const bad = await runCli(['principal', 'quiet', 'alice', '--from', '25', '--to', '7'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from must be an hour of the day (UTC), 0 to 23; got 25');
    expect((await runCli(['principal', 'quiet', 'alice', '--off'], env)).code).toBe(0);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM quiet_hours')).rows[0].n).toBe(0);
  });
});
