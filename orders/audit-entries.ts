/** The audit entries the orders service writes, built in one place so each reads the same. */
import type { AuditInput } from '../store/audit/types.js';
import type { DecisionInput } from './types.js';

/** An entry the system writes on its own (a sweep, a broker's answer): no actor, channel system. */
export function systemEntry(
  action: string,
  entityKind: 'proposal' | 'order',
  entityId: string,
  before: unknown,
  after: unknown,
): AuditInput {
  return {
    actorKind: 'system',
    actorId: null,
    channel: 'system',
    action,
    entityKind,
    entityId,
    before,
    after,
  };
}

/** An entry for a person's decision on proposal `proposalId`, through the channel it came by. */
export function decisionEntry(
  input: Pick<DecisionInput, 'principalId' | 'channel'>,
  action: string,
  proposalId: string,
  before: unknown,
  after: unknown,
): AuditInput {
  return {
    actorKind: 'principal',
    actorId: input.principalId,
    channel: input.channel,
    action,
    entityKind: 'proposal',
    entityId: proposalId,
    before,
    after,
  };
}
