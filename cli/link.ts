/**
 * `countersign link --principal NAME | --list | --revoke ID`: bind a Telegram or Slack identity
 * to a principal. A code is printed once (valid 10 minutes, single use); `/link CODE` in the chat
 * app redeems it. Every step is written to the audit log.
 */
import {
  type ChatLink,
  createLinkCode,
  listChatLinks,
  revokeChatLink,
} from '../store/repos/chat-links-repo.js';
import { HANDLE_PATTERN, PrincipalInputError } from '../store/repos/principals-repo.js';
import { reportFailure } from './errors.js';
import { UsageError } from './run-options.js';
import { withCliDatabase } from './with-database.js';

export interface LinkOptions {
  principal?: string;
  list?: boolean;
  revoke?: string;
  json?: boolean;
}

const linkJson = (link: ChatLink) => ({
  id: link.id,
  kind: link.kind,
  external_id: link.externalId,
  principal: link.handle,
  label: link.label,
  linked_at: link.linkedAt.toISOString(),
  revoked_at: link.revokedAt?.toISOString() ?? null,
});

/** Exactly one of --principal, --list and --revoke; UsageError otherwise. */
export function linkAction(options: LinkOptions): 'code' | 'list' | 'revoke' {
  const given = [
    options.principal !== undefined,
    options.list === true,
    options.revoke !== undefined,
  ];
  if (given.filter(Boolean).length !== 1)
    throw new UsageError(
      'give exactly one of --principal NAME (print a one-time code), --list, or --revoke ID (an id from --list, or telegram:USER / slack:TEAM:USER)',
    );
  if (options.principal !== undefined && !HANDLE_PATTERN.test(options.principal))
    throw new UsageError(
      `--principal "${options.principal.slice(0, 60)}" is not a valid name: use 1 to 40 of a-z, 0-9, _ and -`,
    );
  return options.principal !== undefined ? 'code' : options.list ? 'list' : 'revoke';
}

export async function linkCommand(options: LinkOptions): Promise<void> {
  try {
    const action = linkAction(options);
    await withCliDatabase('countersign-link', async (pool) => {
      if (action === 'code') {
        const made = await createLinkCode(pool, options.principal as string);
        if (options.json) {
          console.log(
            JSON.stringify({
              principal: options.principal,
              code: made.code,
              expires_at: made.expiresAt.toISOString(),
            }),
          );
          return;
        }
        console.log(
          [
            `A one-time link code for principal ${options.principal}, valid until ${made.expiresAt.toISOString()} (10 minutes, single use).`,
            'Send it to the Countersign bot in Telegram or Slack as:',
            `/link ${made.code}`,
          ].join('\n'),
        );
        return;
      }
      if (action === 'list') {
        const links = await listChatLinks(pool);
        if (options.json) {
          console.log(JSON.stringify({ links: links.map(linkJson) }));
          return;
        }
        if (links.length === 0) {
          console.log('No chat links. Make a code with `countersign link --principal NAME`.');
          return;
        }
        for (const link of links)
          console.log(
            `${link.id}  ${link.kind}:${link.externalId}  ${link.handle}  linked ${link.linkedAt.toISOString()}${link.revokedAt ? `  revoked ${link.revokedAt.toISOString()}` : ''}${link.label ? `  (${link.label})` : ''}`,
          );
        return;
      }
      const revoked = await revokeChatLink(pool, options.revoke as string);
      if (options.json) console.log(JSON.stringify(linkJson(revoked)));
      else
        console.log(
          `Revoked ${revoked.kind}:${revoked.externalId} (principal ${revoked.handle}): its presses and messages no longer act.`,
        );
    });
  } catch (error) {
    if (error instanceof UsageError || error instanceof PrincipalInputError) {
      console.error(`countersign link: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}
