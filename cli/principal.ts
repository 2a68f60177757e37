/**
 * `countersign principal add NAME --role approver [--role trader] [--account paper]`: a person
 * who decides from this machine's command line (`countersign approve --as NAME`). With the
 * four-eyes rule, a second approver is added this way and approves with `--as`.
 */
import {
  addCliPrincipal,
  PrincipalInputError,
  ROLES,
  type Role,
} from '../store/repos/principals-repo.js';
import { reportFailure } from './errors.js';
import { UsageError } from './run-options.js';
import { withCliDatabase } from './with-database.js';

/** Collects repeated `--role` flags (commander calls it once per flag). */
export function collectRole(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((role) => role.trim())];
}

/** Adds the principal (or gives an existing one a CLI identity) and grants the roles. */
export async function principalAddCommand(
  name: string,
  options: { role?: string[]; account: string; json?: boolean },
): Promise<void> {
  try {
    const roles = options.role ?? [];
    if (roles.length === 0)
      throw new UsageError(`give at least one --role: ${ROLES.join(', ')} (e.g. --role approver)`);
    for (const role of roles)
      if (!(ROLES as readonly string[]).includes(role))
        throw new UsageError(
          `--role "${role.slice(0, 30)}" is not a role: use ${ROLES.join(', ')}`,
        );
    const added = await withCliDatabase('countersign-principal', (pool) =>
      addCliPrincipal(pool, { handle: name, roles: roles as Role[], account: options.account }),
    );
    if (options.json) {
      console.log(
        JSON.stringify({
          principal: name,
          principal_id: added.principalId,
          created: added.created,
          account: options.account,
          granted: added.granted,
          roles: added.roles,
        }),
      );
      return;
    }
    console.log(
      `${added.created ? 'Added' : 'Updated'} principal ${name}: roles on account ${options.account}: ${added.roles.join(', ')}${
        added.granted.length > 0
          ? ` (granted now: ${added.granted.join(', ')})`
          : ' (nothing new granted)'
      }.\nIt decides from this machine with: countersign approve <id> --as ${name}`,
    );
  } catch (error) {
    if (error instanceof UsageError || error instanceof PrincipalInputError) {
      console.error(`countersign principal add: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}
