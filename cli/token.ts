/**
 * `countersign token create | list | revoke`: API tokens for the REST API and MCP over HTTP,
 * stored only as hashes. `list` and `revoke` cover API_TOKENS tokens (ids `env-…`) too.
 */
import type { ApiScope } from '../config/env.js';
import {
  API_SCOPES,
  type ApiTokenInfo,
  apiTokenId,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from '../store/repos/api-tokens-repo.js';
import {
  ACCOUNT_PATTERN,
  findPrincipalByHandle,
  HANDLE_PATTERN,
  PrincipalInputError,
  ROLES,
  type Role,
  rolesFor,
} from '../store/repos/principals-repo.js';
import { reportFailure } from './errors.js';
import { UsageError } from './run-options.js';
import { withCliDatabase } from './with-database.js';

/** The raw options commander hands over. */
export interface TokenCreateOptions {
  principal: string;
  role?: string;
  account: string;
  scopes: string;
  label?: string;
}

/** Checks every option before the database is opened; UsageError names the flag and the valid form. */
export function parseTokenOptions(options: TokenCreateOptions): {
  principal: string;
  role: Role | undefined;
  account: string;
  scopes: ApiScope[];
  label: string | undefined;
} {
  if (!HANDLE_PATTERN.test(options.principal))
    throw new UsageError(
      `--principal "${options.principal}" is not a valid name: use 1 to 40 of a-z, 0-9, _ and - (e.g. alice or ci-bot)`,
    );
  if (options.role !== undefined && !(ROLES as readonly string[]).includes(options.role))
    throw new UsageError(`--role "${options.role}" is not a role: use ${ROLES.join(', ')}`);
  if (!ACCOUNT_PATTERN.test(options.account))
    throw new UsageError(
      `--account "${options.account}" is not a valid account id: a-z or 0-9, then up to 39 of a-z, 0-9, _ and -`,
    );
  const scopes = options.scopes.split(',').map((scope) => scope.trim());
  for (const scope of scopes)
    if (!(API_SCOPES as readonly string[]).includes(scope))
      throw new UsageError(
        `--scopes "${options.scopes}": "${scope}" is not a scope; use read, propose and approve, comma-separated (e.g. read,propose)`,
      );
  const label = options.label?.trim();
  if (label !== undefined && (label.length === 0 || label.length > 200))
    throw new UsageError(`--label must be 1 to 200 characters (it is ${label.length})`);
  return {
    principal: options.principal,
    role: options.role as Role | undefined,
    account: options.account,
    scopes: [...new Set(scopes)] as ApiScope[],
    label,
  };
}

/**
 * Creates the token and prints what it is for, then the token alone on the last line (so that
 * `countersign token create … | tail -n 1` gives just the token). Exit 2 for a bad option.
 */
export async function tokenCreateCommand(options: TokenCreateOptions): Promise<void> {
  try {
    const parsed = parseTokenOptions(options);
    await withCliDatabase('countersign-token', async (pool) => {
      const existed = (await findPrincipalByHandle(pool, parsed.principal)) !== undefined;
      const token = await createApiToken(pool, { ...parsed, channel: 'cli' });
      const principal = await findPrincipalByHandle(pool, parsed.principal);
      const roles = principal ? await rolesFor(pool, principal.id, parsed.account) : [];
      const lines = [
        `Created API token ${apiTokenId(token)} for principal ${parsed.principal}${existed ? '' : ' (new principal)'}` +
          `${parsed.label ? `, label "${parsed.label}"` : ''}.`,
        `Scopes: ${parsed.scopes.join(', ')}. Roles on account ${parsed.account}: ${roles.length > 0 ? roles.join(', ') : 'none (grant one with --role)'}.`,
        'Send it as "Authorization: Bearer <token>". Only its SHA-256 hash is stored: copy it now, it cannot be shown again.',
        token,
      ];
      console.log(lines.join('\n'));
    });
  } catch (error) {
    if (error instanceof UsageError || error instanceof PrincipalInputError) {
      console.error(`countersign token create: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}

/** The raw options of `countersign token list`. */
export interface TokenListOptions {
  principal?: string;
  json?: boolean;
}

/** 2026-11-21T09:30:12.345Z → "2026-11-21 09:30Z"; null → `none`. */
function minute(date: Date | null, none: string): string {
  return date === null ? none : `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** The token as JSON for programs: snake_case, ISO dates, never a hash. */
function tokenJson(token: ApiTokenInfo) {
  return {
    id: token.id,
    principal: token.principal,
    scopes: token.scopes,
    label: token.label,
    source: token.source,
    created_at: token.createdAt.toISOString(),
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
  };
}

/** Aligned columns with a header row. */
function columns(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

/**
 * Lists API tokens (all, or one principal's): id, principal, scopes, label, created, last used,
 * revoked. Never a token nor its hash. Exit 2 for a bad --principal.
 */
export async function tokenListCommand(options: TokenListOptions): Promise<void> {
  try {
    if (options.principal !== undefined && !HANDLE_PATTERN.test(options.principal))
      throw new UsageError(
        `--principal "${options.principal}" is not a valid name: use 1 to 40 of a-z, 0-9, _ and -`,
      );
    const tokens = await withCliDatabase('countersign-token', (pool) =>
      listApiTokens(pool, { principal: options.principal }),
    );
    if (options.json) {
      console.log(JSON.stringify({ tokens: tokens.map(tokenJson) }));
      return;
    }
    if (tokens.length === 0) {
      console.log(
        options.principal
          ? `No API tokens for principal ${options.principal}.`
          : 'No API tokens. Make one with `countersign token create --principal <name>`, or list some in API_TOKENS.',
      );
      return;
    }
    const rows = tokens.map((token) => [
      token.id,
      token.principal,
      token.scopes.join('+') || '(none)',
      token.label ?? '-',
      minute(token.createdAt, '-'),
      minute(token.lastUsedAt, 'never'),
      minute(token.revokedAt, 'no'),
    ]);
    const active = tokens.filter((token) => token.revokedAt === null).length;
    console.log(
      [
        columns([
          ['ID', 'PRINCIPAL', 'SCOPES', 'LABEL', 'CREATED', 'LAST USED', 'REVOKED'],
          ...rows,
        ]),
        '',
        `${tokens.length} token${tokens.length === 1 ? '' : 's'}, ${active} active. Ids starting env- come from API_TOKENS. Revoke one with \`countersign token revoke <id>\`.`,
      ].join('\n'),
    );
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`countersign token list: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}

const TOKEN_ID = /^(?:env-)?[0-9a-f]{16}$/;

/**
 * Revokes one token by its id (as `countersign token list` shows it); written to the audit log.
 * Exit 1 for an unknown or already revoked id, 2 for text that is not a token id.
 */
export async function tokenRevokeCommand(id: string): Promise<void> {
  const fail = (message: string, code: number) => {
    console.error(`countersign token revoke: ${message}`);
    process.exitCode = code;
  };
  try {
    if (!TOKEN_ID.test(id))
      // Never echo long text: it may be a token pasted by mistake.
      return fail(
        `${id.length <= 24 ? `"${id}"` : 'that'} is not a token id: ids look like 0123456789abcdef or env-0123456789abcdef (\`countersign token list\` shows them)`,
        2,
      );
    const result = await withCliDatabase('countersign-token', (pool) =>
      revokeApiToken(pool, id, 'cli'),
    );
    if (!result.ok) {
      if (result.code === 'unknown_token')
        return fail(`no API token has id ${id} (\`countersign token list\` shows them)`, 1);
      return fail(
        `API token ${id} of principal ${result.token.principal} was already revoked at ${minute(result.token.revokedAt, '?')}`,
        1,
      );
    }
    const { token } = result;
    const lines = [
      `Revoked API token ${token.id} of principal ${token.principal} (scopes: ${token.scopes.join(', ') || 'none'}${token.label ? `, label "${token.label}"` : ''}). Requests with it now get 401.`,
    ];
    if (token.source === 'env')
      lines.push(
        'It comes from API_TOKENS: remove it there too, or the next server start makes it live again.',
      );
    console.log(lines.join('\n'));
  } catch (error) {
    process.exitCode = reportFailure(error);
  }
}
