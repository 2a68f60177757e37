/**
 * Verified bearer tokens kept in memory, so that a busy client's every request does not cost a
 * database round trip. A cache must never let a revoked token through, so it keeps entries only
 * while it listens on PostgreSQL's `countersign_auth_changed` channel: a trigger notifies it at
 * the commit of any change that decides who a token is or what it may do (revocation, scopes, a
 * disabled principal — from `countersign token revoke`, the API_TOKENS sync or an operator's own
 * SQL), and it then forgets everything. Without the listener (not connected yet, or dropped) it
 * asks the database every time. Entries also expire after `ttlMs`, which keeps last_used_at
 * moving (verifyApiToken marks a token used at most once a minute).
 */
import type { Logger } from '../../config/logger.js';
import { listenForChanges } from '../db/change-listener.js';
import type { Pool } from '../db/pool.js';
import { hashApiToken, type VerifiedApiToken, verifyApiToken } from './api-tokens-repo.js';

/** The channel the auth-change triggers notify (migration 20261121000003000). */
export const AUTH_CHANGED_CHANNEL = 'countersign_auth_changed';

export interface TokenCache {
  /** What verifyApiToken answers, from memory when it can be trusted. */
  verify(token: string): Promise<VerifiedApiToken | undefined>;
  /** True while the listener is connected and entries are kept. */
  readonly listening: boolean;
  /** Entries held now. */
  readonly size: number;
  close(): Promise<void>;
}

export interface TokenCacheOptions {
  logger: Logger;
  /** How long an entry is kept at most (default 60 s). */
  ttlMs?: number;
  /** Entries at most; the oldest go first (default 10,000). */
  maxEntries?: number;
  /** Wait before reconnecting a dropped listener (default 5 s). */
  retryMs?: number;
}

/** A cache in front of verifyApiToken on `pool`; it starts listening before it resolves. */
export async function createTokenCache(
  pool: Pool,
  options: TokenCacheOptions,
): Promise<TokenCache> {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const retryMs = options.retryMs ?? 5_000;
  const entries = new Map<string, { value: VerifiedApiToken; expires: number }>();
  // Bumped by every forget: a lookup that started before a change must not store its answer.
  let generation = 0;

  const forget = () => {
    generation++;
    entries.clear();
  };

  const changes = await listenForChanges(pool, {
    channel: AUTH_CHANGED_CHANNEL,
    applicationName: 'countersign-token-cache',
    logger: options.logger,
    lostMessage:
      'token cache: lost the auth-change listener; verifying every request against the database until it is back',
    retryMs,
    onChange: forget,
  });

  return {
    get listening() {
      return changes.listening;
    },
    get size() {
      return entries.size;
    },
    async verify(token) {
      if (!changes.listening) return verifyApiToken(pool, token);
      const key = hashApiToken(token);
      const now = Date.now();
      const held = entries.get(key);
      if (held && held.expires > now) return held.value;
      if (held) entries.delete(key);
      const started = generation;
      const value = await verifyApiToken(pool, token);
      if (value && changes.listening && generation === started) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, { value, expires: now + ttlMs });
      }
      return value;
    },
    close: () => changes.close(),
  };
}
