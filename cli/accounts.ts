/**
 * `countersign accounts` lists the accounts with the settings that matter to approvals;
 * `countersign accounts set <id> --allow-elicitation on|off` switches whether an MCP client's
 * approval form may approve for one (on for the built-in paper account, off for every other).
 */
import { listAccounts, setAllowElicitation } from '../store/repos/accounts-repo.js';
import { reportFailure } from './errors.js';
import { table } from './output.js';
import { UsageError } from './run-options.js';
import { withCliDatabase } from './with-database.js';

/** Lists every account: id, kind, broker, four-eyes limit, whether elicitation may approve. */
export async function accountsListCommand(options: { json?: boolean }): Promise<void> {
  try {
    const accounts = await withCliDatabase('countersign-accounts', (pool) => listAccounts(pool));
    if (options.json) {
      console.log(
        JSON.stringify({
          accounts: accounts.map((a) => ({
            id: a.id,
            name: a.name,
            kind: a.kind,
            broker: a.broker,
            four_eyes_notional: a.fourEyesNotional,
            allow_elicitation: a.allowElicitation,
            closed: a.closed,
          })),
        }),
      );
      return;
    }
    console.log(
      accounts
        .map((a) =>
          table([
            ['Account', `${a.id} (${a.name})${a.closed ? ' — closed' : ''}`],
            ['Kind', `${a.kind}, broker ${a.broker}`],
            ['Four-eyes', a.fourEyesNotional ? `above ${a.fourEyesNotional}` : 'never'],
            ['MCP form', a.allowElicitation ? 'may approve' : 'may not approve'],
          ]),
        )
        .join('\n\n'),
    );
  } catch (error) {
    process.exitCode = reportFailure(error);
  }
}

/** `accounts set <id> --allow-elicitation on|off`; exit 2 for a bad value, 1 for an unknown account. */
export async function accountsSetCommand(
  id: string,
  options: { allowElicitation?: string },
): Promise<void> {
  try {
    const value = options.allowElicitation;
    if (value === undefined)
      throw new UsageError('nothing to set: give --allow-elicitation on|off');
    if (!['on', 'off', 'true', 'false'].includes(value))
      throw new UsageError(
        `--allow-elicitation "${value.slice(0, 20)}" is not valid; use on or off`,
      );
    const allow = value === 'on' || value === 'true';
    const changed = await withCliDatabase('countersign-accounts', (pool) =>
      setAllowElicitation(pool, id, allow),
    );
    if (!changed) {
      console.error(
        `countersign accounts set: no account "${id.slice(0, 40)}" (\`countersign accounts\` lists them)`,
      );
      process.exitCode = 1;
      return;
    }
    console.log(
      changed.before === changed.after
        ? `Account ${id}: MCP approval forms already ${allow ? 'may' : 'may not'} approve; nothing changed.`
        : `Account ${id}: MCP approval forms now ${allow ? 'may' : 'may not'} approve (written to the audit log).`,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`countersign accounts set: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}
