/**
 * `countersign token create | list | revoke` as a user runs them (the token alone on the last
 * line, stored only hashed), and API_TOKENS taking effect when `countersign serve` starts.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../../store/market-data/import-paths.js';
import {
  apiTokenId,
  envTokenId,
  hashApiToken,
  verifyApiToken,
} from '../../store/repos/api-tokens-repo.js';
import { findPrincipalByHandle, rolesFor } from '../../store/repos/principals-repo.js';
import {
  type CliProcess,
  freePort,
  runCli,
  startCli,
  waitForHealthy,
  withoutNotices,
} from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';

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
    expect(withoutNotices(run.stderr)).toBe('');
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
      '--scopes "read,trade": "trade" is not a scope; use read, propose and approve, comma-separated (e.g. read,propose)',
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

describe('API_TOKENS at start-up, then countersign token list and revoke', () => {
  const robot = 'robot-token-from-env-0123456789';
  const robotId = envTokenId(robot);
  let db: TestDatabase;
  let made: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    // A few prices, so that start-up skips loading the whole bundled sample.
    await importPaths(db.pool, [path.join(SAMPLE_DIR, 'KO.csv.gz')]);
    const run = await runCli(
      ['token', 'create', '--principal', 'robot', '--label', 'laptop', '--scopes', 'read,propose'],
      { DATABASE_URL: db.url },
    );
    expect(run.code).toBe(0);
    made = run.stdout.trimEnd().split('\n').at(-1) as string;
  }, 60_000);
  afterAll(() => db.drop());

  const cli = (...args: string[]) => runCli(['token', ...args], { DATABASE_URL: db.url });
  /** Starts `countersign serve` with API_TOKENS, waits for it, runs `work`, then stops it. */
  const serving = async (
    apiTokens: string,
    work: (url: string, server: CliProcess) => Promise<void>,
  ) => {
    const port = await freePort();
    const server = startCli(['serve'], {
      DATABASE_URL: db.url,
      PORT: String(port),
      API_TOKENS: apiTokens,
    });
    try {
      await waitForHealthy(`http://127.0.0.1:${port}`, 60_000);
      await work(`http://127.0.0.1:${port}`, server);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  };
  const tools = (url: string, token: string) =>
    fetch(`${url}/api/tools`, { headers: { Authorization: `Bearer ${token}` } });

  it('serve makes API_TOKENS tokens work, logs how many are active, and never prints a token', async () => {
    await serving(`robot:${robot}:read`, async (url, server) => {
      expect((await tools(url, robot)).status).toBe(200);
      expect((await tools(url, 'not-a-listed-token-0123456789')).status).toBe(401);
      const health = (await (await fetch(`${url}/health`)).json()) as {
        components: Record<string, { status: string; detail?: string }>;
      };
      expect(health.components.broker).toEqual({
        status: 'ok',
        detail: 'paper broker built in; set ALPACA_KEY_ID and ALPACA_SECRET_KEY to add Alpaca',
      });
      await server.waitFor(/Stop with Ctrl-C/);
      expect(server.stdout()).toContain('API_TOKENS: 1 env token active');
      expect(server.stderr()).toContain('Brokers      paper broker built in');
      expect(server.stdout() + server.stderr()).not.toContain(robot);
    });
  }, 90_000);

  it('list shows both kinds of token, never a token or a hash; --principal and --json work', async () => {
    const run = await cli('list');
    expect(withoutNotices(run.stderr)).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+PRINCIPAL\s+SCOPES\s+LABEL\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(lines.find((line) => line.startsWith(robotId))).toMatch(
      new RegExp(
        `^${robotId}\\s+robot\\s+read\\s+API_TOKENS\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ\\s+no$`,
      ),
    );
    expect(lines.find((line) => line.startsWith(apiTokenId(made) as string))).toMatch(
      /\s+robot\s+read\+propose\s+laptop\s+\S+ \S+\s+never\s+no$/,
    );
    expect(run.stdout).toContain('2 tokens, 2 active. Ids starting env- come from API_TOKENS.');
    for (const secret of [robot, made, hashApiToken(robot), hashApiToken(made)])
      expect(run.stdout).not.toContain(secret);

    const json = await cli('list', '--principal', 'robot', '--json');
    expect(json.code).toBe(0);
    const { tokens } = JSON.parse(json.stdout) as { tokens: Record<string, unknown>[] };
    expect(tokens).toEqual([
      {
        id: apiTokenId(made),
        principal: 'robot',
        scopes: ['read', 'propose'],
        label: 'laptop',
        source: 'cli',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        last_used_at: null,
        revoked_at: null,
      },
      expect.objectContaining({ id: robotId, source: 'env', last_used_at: expect.any(String) }),
    ]);
    const nobody = await cli('list', '--principal', 'nobody');
    expect(nobody.stdout).toBe('No API tokens for principal nobody.\n');
    const bad = await cli('list', '--principal', 'No Body');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'countersign token list: --principal "No Body" is not a valid name',
    );
  });

  it('revoke: an env token says it comes back at the next start; audit entry; repeats and unknown ids exit 1', async () => {
    const run = await cli('revoke', robotId);
    expect(withoutNotices(run.stderr)).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `Revoked API token ${robotId} of principal robot (scopes: read, label "API_TOKENS"). Requests with it now get 401.\n` +
        'It comes from API_TOKENS: remove it there too, or the next server start makes it live again.\n',
    );
    expect(await verifyApiToken(db.pool, robot)).toBeUndefined();
    const { rows } = await db.pool.query(
      "SELECT channel FROM audit_log WHERE action = 'api_token.revoked' AND entity_id = $1",
      [robotId],
    );
    expect(rows).toEqual([{ channel: 'cli' }]);

    const again = await cli('revoke', robotId);
    expect(again.code).toBe(1);
    expect(withoutNotices(again.stderr)).toMatch(
      new RegExp(
        `^countersign token revoke: API token ${robotId} of principal robot was already revoked at \\d{4}-`,
      ),
    );
    const unknown = await cli('revoke', '0123456789abcdef');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'countersign token revoke: no API token has id 0123456789abcdef',
    );
    const notAnId = await cli('revoke', made);
    expect(notAnId.code).toBe(2);
    expect(notAnId.stderr).toContain('that is not a token id: ids look like');
    expect(notAnId.stderr).not.toContain(made);

    const cs = await cli('revoke', apiTokenId(made) as string);
    expect(cs.code).toBe(0);
    expect(cs.stdout).toBe(
      `Revoked API token ${apiTokenId(made)} of principal robot (scopes: read, propose, label "laptop"). Requests with it now get 401.\n`,
    );
    expect(await verifyApiToken(db.pool, made)).toBeUndefined();
  });

  it('the next start makes a revoked env token live again while API_TOKENS lists it', async () => {
    await serving(`robot:${robot}:read`, async (url) => {
      expect((await tools(url, robot)).status).toBe(200);
    });
    const { rows } = await db.pool.query(
      'SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY seq',
      [robotId],
    );
    expect(rows.map((row) => row.action)).toEqual([
      'api_token.created',
      'api_token.revoked',
      'api_token.reactivated',
    ]);
  }, 90_000);

  it('a start with a bad API_TOKENS entry stops with exit 2, naming the entry but not the token', async () => {
    const long = 'z'.repeat(600);
    const run = await runCli(['serve'], {
      DATABASE_URL: db.url,
      PORT: String(await freePort()),
      API_TOKENS: `robot:${robot},ci:${long}`,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'API_TOKENS entry 2 (principal "ci"): the token is 600 characters long or holds spaces or control characters; use 24 to 512 printable characters',
    );
    expect(run.stdout + run.stderr).not.toContain(robot);
    expect(run.stdout + run.stderr).not.toContain('z'.repeat(30));
    expect(await findPrincipalByHandle(db.pool, 'ci')).toBeUndefined();
  }, 60_000);
});
