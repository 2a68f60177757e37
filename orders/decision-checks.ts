/**
 * Who may decide on a proposal, through which channel and with which credential: the checks that
 * come before the order's own (status, expiry, hash, drift, risk). One place, used by approve,
 * reject and the pre-check a channel runs before it shows a person an approval form.
 */
import { ApprovalRefusedError } from './errors.js';
import { isUuid } from './repo.js';
import type { DecisionInput, Proposal } from './types.js';

type Queryable = { query: <R>(text: string, values?: unknown[]) => Promise<{ rows: R[] }> };

/** The person deciding, as the database knows them now. */
export interface Decider {
  handle: string;
  /** Holds the approver role on the proposal's account (or on every account). */
  approver: boolean;
  /**
   * The scopes of the bearer token named by the credential, when that token is live and belongs
   * to this principal; null when there is no such token (revoked, unknown, someone else's) or
   * the credential is not a token.
   */
  tokenScopes: string[] | null;
}

/** The decider in one query, or undefined for an unknown or disabled principal. */
export async function loadDecider(
  db: Queryable,
  input: Pick<DecisionInput, 'principalId' | 'credential'>,
  accountId: string,
): Promise<Decider | undefined> {
  if (!isUuid(String(input.principalId ?? ''))) return undefined;
  const tokenId = input.credential?.kind === 'api_token' ? input.credential.tokenId : null;
  const { rows } = await db.query<Decider>(
    `SELECT p.handle,
            EXISTS (SELECT 1 FROM role_grants g WHERE g.principal_id = p.id AND g.role = 'approver'
                      AND (g.account_id IS NULL OR g.account_id = $2)) AS approver,
            (SELECT i.scopes FROM identities i
              WHERE i.kind = 'api_token' AND i.external_id = $3 AND i.principal_id = p.id
                AND i.revoked_at IS NULL) AS "tokenScopes"
       FROM principals p WHERE p.id = $1 AND p.disabled_at IS NULL`,
    [input.principalId, accountId, tokenId],
  );
  return rows[0];
}

/** The channels on which the credential decides what the person may do. */
const CREDENTIAL_CHANNELS = ['rest', 'mcp_elicitation'];

/**
 * Why this principal may not decide on this proposal through this channel, or null. `decision`
 * matters for the four-eyes rule: a proposer may withdraw (reject) their own proposal, but never
 * count as one of its two approvers.
 */
export function deciderRefusal(
  input: Pick<DecisionInput, 'channel' | 'credential'>,
  decision: 'approve' | 'reject',
  proposal: Pick<Proposal, 'id' | 'accountId' | 'proposedBy' | 'requiredApprovals'>,
  account: { allow_elicitation: boolean },
  decider: Decider | undefined,
  principalId: string,
): ApprovalRefusedError | null {
  if (!decider?.approver)
    return new ApprovalRefusedError(
      'not_approver',
      `${decider ? `principal ${decider.handle}` : 'this principal'} does not hold the approver role for account ${proposal.accountId}`,
    );
  if (CREDENTIAL_CHANNELS.includes(input.channel)) {
    const credential = input.credential;
    if (!credential)
      return new ApprovalRefusedError(
        'scope_missing',
        `a decision through ${input.channel} must say how the person was authenticated; none was given, so it is refused`,
      );
    if (credential.kind === 'api_token' && !decider.tokenScopes?.includes('approve'))
      return new ApprovalRefusedError(
        'scope_missing',
        decider.tokenScopes === null
          ? `API token ${credential.tokenId} is not a live token of principal ${decider.handle}; nothing was decided`
          : `API token ${credential.tokenId} of ${decider.handle} has the scopes ${decider.tokenScopes.join(', ') || 'none'}, not 'approve': the approver role alone does not let a token decide. Approve with \`countersign approve ${proposal.id}\`, or make a token for a person's own client with \`countersign token create --principal ${decider.handle} --scopes read,propose,approve\` (never hand such a token to an autonomous agent)`,
      );
    if (credential.kind === 'local' && input.channel === 'rest')
      return new ApprovalRefusedError(
        'scope_missing',
        'a REST decision needs an API token with the approve scope',
      );
  }
  if (input.channel === 'mcp_elicitation' && !account.allow_elicitation)
    return new ApprovalRefusedError(
      'channel_disabled',
      `account ${proposal.accountId} does not allow approvals through an MCP client's form (allow_elicitation is off); approve with \`countersign approve ${proposal.id}\` or another human channel`,
    );
  if (
    decision === 'approve' &&
    proposal.requiredApprovals > 1 &&
    proposal.proposedBy !== null &&
    proposal.proposedBy === principalId
  )
    return new ApprovalRefusedError(
      'proposer_cannot_approve',
      `principal ${decider.handle} proposed ${proposal.id}; under the four-eyes rule its ${proposal.requiredApprovals} approvers must be principals other than the proposer`,
    );
  return null;
}
