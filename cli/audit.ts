/** `countersign audit verify`: recompute the audit log's hash chain and report the first broken link. */
import cliProgress from 'cli-progress';
import { type AuditVerification, verifyAudit } from '../store/audit/audit-log.js';
import { reportFailure } from './errors.js';
import { toJson } from './output.js';
import { withCliDatabase } from './with-database.js';

/** Options of `audit verify`. */
export interface AuditVerifyOptions {
  json?: boolean;
}

const number = (value: number) => value.toLocaleString('en-US');

/** The one-paragraph verdict for a person. */
export function describeVerification(result: AuditVerification): string {
  if (!result.ok)
    return (
      `audit log BROKEN at seq ${result.brokenAt.seq}: ${result.brokenAt.message}.\n` +
      `The ${number(result.entries)} entr${result.entries === 1 ? 'y' : 'ies'} before it verify; nothing from seq ${result.brokenAt.seq} on can be trusted.`
    );
  if (!result.first || !result.last) return 'audit log intact: 0 entries (the log is empty).';
  return (
    `audit log intact: ${number(result.entries)} entr${result.entries === 1 ? 'y' : 'ies'}, ` +
    `chain from seq ${result.first.seq} (${result.first.at}) to seq ${result.last.seq} (${result.last.at}); ` +
    `last hash ${result.last.hash}`
  );
}

/**
 * Verifies the whole chain. Exit 0 when intact, 1 when a link is broken (the first one is
 * named: seq, and whether it is a gap, a prev_hash that does not follow on, or a hash that does
 * not match the entry), 1 or 2 when the database cannot be opened.
 */
export async function auditVerifyCommand(options: AuditVerifyOptions): Promise<void> {
  const bar =
    process.stderr.isTTY && !options.json
      ? new cliProgress.SingleBar(
          {
            format:
              'Verifying [{bar}] {percentage}% | {value}/{total} entries | ETA {eta_formatted}',
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  try {
    const started = performance.now();
    let barStarted = false;
    const result = await withCliDatabase('countersign-audit', (pool) =>
      verifyAudit(pool, {
        onProgress: ({ verified, total }) => {
          if (!bar) return;
          if (!barStarted) bar.start(total, verified);
          else bar.update(verified);
          barStarted = true;
        },
      }),
    );
    bar?.stop();
    const elapsedMs = Math.round(performance.now() - started);
    console.log(
      options.json
        ? JSON.stringify(toJson({ ...result, elapsedMs }))
        : describeVerification(result),
    );
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    bar?.stop();
    process.exitCode = reportFailure(error);
  }
}
