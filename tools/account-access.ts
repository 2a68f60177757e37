/**
 * Accounts are scoped: a tool that touches an account checks that the caller holds a role on
 * it — any role (viewer, trader, approver, admin) to read; proposing is checked by orders/
 * (trader), deciding by orders/ too (approver). A refusal is a 'forbidden' ToolError naming the
 * account and the role needed; the gate audits it like every call.
 */
import { type Role, rolesFor } from '../store/repos/principals-repo.js';
import { type ToolContext, ToolError } from './tool.js';

/** The roles that let a principal read an account: any of them. */
export const READ_ROLES: readonly Role[] = ['viewer', 'trader', 'approver', 'admin'];

/** The refusal for a caller without a role on `accountId`. */
function noRole(context: ToolContext, accountId: string, what: string, role: Role): ToolError {
  return new ToolError(
    `${context.principal.handle} holds no role on account ${accountId}: ${what} needs the ${role} role (or any other role) there. An operator grants it with \`countersign token create --principal ${context.principal.handle} --role ${role} --account ${accountId}\`.`,
    'forbidden',
  );
}

/**
 * Throws a 'forbidden' ToolError unless the caller holds some role on `accountId` (a 'not_found'
 * one when there is no such open account); `what` names the action in the message
 * ("get_portfolio").
 */
export async function requireReadAccess(
  context: ToolContext,
  accountId: string,
  what: string,
): Promise<void> {
  const roles = await rolesFor(context.pool, context.principal.id, accountId);
  if (roles.length > 0) return;
  const { rows } = await context.pool.query(
    'SELECT 1 FROM accounts WHERE id = $1 AND closed_at IS NULL',
    [accountId],
  );
  if (rows.length === 0) throw new ToolError(`unknown account "${accountId}"`, 'not_found');
  throw noRole(context, accountId, what, 'viewer');
}
