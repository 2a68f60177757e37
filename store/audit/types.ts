/** The audit log's entry shapes (the table is audit_log: append-only, hash-chained). */

export type AuditActorKind =
  | 'principal'
  | 'agent'
  | 'mcp_client'
  | 'api_client'
  | 'alert'
  | 'rebalance'
  | 'system';

/** What a caller appends: who, through which channel, did what to which entity, before and after. */
export interface AuditInput {
  actorKind: AuditActorKind;
  /** A principal id (uuid), an agent or client name, or null for the system. */
  actorId: string | null;
  /** slack, telegram, web, cli, mcp, mcp_elicitation, api, system … */
  channel: string;
  /** Dotted lower-case, e.g. proposal.created, approval.refused, order.filled. */
  action: string;
  entityKind: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

/** An entry as stored. */
export interface AuditRecord extends Required<Omit<AuditInput, 'before' | 'after'>> {
  seq: string;
  at: string;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}
