/** What makes a Slack request the same one again, for handling it once (bots/dedupe.ts). */

/** What makes a request the same one again (an event id; an interaction's trigger). */
export function dedupeKey(body: Record<string, unknown>): string | undefined {
  if (typeof body.event_id === 'string') return `event:${body.event_id}`;
  if (typeof body.trigger_id === 'string') return `trigger:${body.trigger_id}`;
  const actions = body.actions as { action_ts?: string }[] | undefined;
  const user = (body.user as { id?: string } | undefined)?.id;
  if (actions?.[0]?.action_ts && user) return `action:${user}:${actions[0].action_ts}`;
  return undefined;
}
