/**
 * `countersign principal add NAME --role approver [--role trader] [--account paper]`: a person
 * who decides from this machine's command line (`countersign approve --as NAME`). With the
 * four-eyes rule, a second approver is added this way and approves with `--as`.
 */
import {
  addCliPrincipal,
  findPrincipalByHandle,
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

/** `countersign principal quiet NAME --from H --to H | --off`: alerts wait while quiet hours (UTC) hold. */
export async function principalQuietCommand(
  name: string,
  options: { from?: string; to?: string; off?: boolean; json?: boolean },
): Promise<void> {
  try {
    const hour = (flag: string, value: string | undefined) => {
      if (value === undefined || !/^\d{1,2}$/.test(value) || Number(value) > 23)
        throw new UsageError(
          `${flag} must be an hour of the day (UTC), 0 to 23; got ${value ?? 'nothing'}`,
        );
      return Number(value);
    };
    if (options.off && (options.from !== undefined || options.to !== undefined))
      throw new UsageError('give --off, or --from and --to, not both');
    const from = options.off ? undefined : hour('--from', options.from);
    const to = options.off ? undefined : hour('--to', options.to);
    if (from !== undefined && from === to)
      throw new UsageError('--from and --to must differ (e.g. --from 22 --to 7)');
    await withCliDatabase('countersign-principal', async (pool) => {
      const principal = await findPrincipalByHandle(pool, name);
      if (!principal) throw new PrincipalInputError(`no principal "${name.slice(0, 60)}"`);
      if (from === undefined)
        await pool.query('DELETE FROM quiet_hours WHERE principal_id = $1', [principal.id]);
      else
        await pool.query(
          `INSERT INTO quiet_hours (principal_id, from_hour, to_hour) VALUES ($1, $2, $3)
           ON CONFLICT (principal_id) DO UPDATE SET from_hour = EXCLUDED.from_hour, to_hour = EXCLUDED.to_hour`,
          [principal.id, from, to],
        );
    });
    if (options.json)
      console.log(
        JSON.stringify({ principal: name, quiet: from === undefined ? null : { from, to } }),
      );
    else
      console.log(
        from === undefined
          ? `Quiet hours off for ${name}: alerts are sent at once.`
          : `Quiet hours for ${name}: ${from}:00 to ${to}:00 UTC. Alerts that fire then are sent when they end.`,
      );
  } catch (error) {
    if (error instanceof UsageError || error instanceof PrincipalInputError) {
      console.error(`countersign principal quiet: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}
