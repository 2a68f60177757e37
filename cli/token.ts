/** `countersign token create`: an API token for the REST API and MCP over HTTP, stored only as a hash. */
import type { ApiScope } from '../config/env.js';
import {
  ACCOUNT_PATTERN,
  API_SCOPES,
  apiTokenId,
  createApiToken,
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
        `--scopes "${options.scopes}": "${scope}" is not a scope; use read, propose or read,propose`,
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
