/** The typed map of bus topics to payloads; later layers add their own topics by declaration merging. */

/**
 * Every event the bus carries: topic name → JSON payload. A layer adds its topics where it
 * publishes them, so that publishers and subscribers agree on the payload at compile time:
 *
 * ```ts
 * declare module '../store/kv/events.js' {
 *   interface BusEvents {
 *     'proposal.created': { proposalId: string; accountId: string };
 *   }
 * }
 * ```
 *
 * Payloads cross process boundaries as JSON, so they hold only JSON values (a Date arrives as
 * its ISO string): use ISO strings and decimal strings from the start.
 */
export interface BusEvents {
  /** Market-data import finished: which symbols changed, how many rows, when (ISO 8601). */
  'bars.imported': { symbols: string[]; rows: number; at: string };
}
