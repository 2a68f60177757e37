/** Bearer-token authentication for the HTTP API: who is calling, from a token made by `countersign token create` or listed in API_TOKENS. */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Pool } from '../store/db/pool.js';
import type { RateLimiter } from '../store/kv/rate-limiter.js';
import {
  apiTokenId,
  type VerifiedApiToken,
  verifyApiToken,
} from '../store/repos/api-tokens-repo.js';
import type { TokenCache } from '../store/repos/token-cache.js';
import { type AuthGuard, retryAfterSeconds } from './http-limits.js';

/** The caller of an authenticated request: principal, handle, the token's scopes and id. */
export type AuthPrincipal = VerifiedApiToken;

/** The Hono environment of routes behind bearerAuth: `c.get('principal')`. */
export interface AuthEnv {
  Variables: { principal: AuthPrincipal };
}

const REALM = 'Bearer realm="countersign"';

/**
 * The bucket key of a client: its remote address, an IPv6 one cut to its /64 (one host usually
 * holds a whole /64, so single addresses would be free to rotate). Behind a reverse proxy every
 * client shares the proxy's address; X-Forwarded-For is not trusted, since anyone can send it.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]?.split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    // Not served by @hono/node-server (app.request in tests): no socket to ask.
    return undefined;
  }
}

/**
 * Per limiter: client key → the time until which its failures have used up the bucket. Checked
 * before the token, with no I/O, so a blocked client is refused without a token check and a
 * client that is not blocked pays nothing for the limiter on success. (With Redis the bucket is
 * shared; each process learns of a block at its own next failure.)
 */
const blockedUntil = new WeakMap<RateLimiter, Map<string, number>>();
/** Blocked keys held per limiter before expired ones are swept. */
const BLOCKED_SWEEP_AT = 10_000;

function blocksOf(limiter: RateLimiter): Map<string, number> {
  let blocks = blockedUntil.get(limiter);
  if (!blocks) {
    blocks = new Map();
    blockedUntil.set(limiter, blocks);
  }
  return blocks;
}

function block(limiter: RateLimiter, key: string, until: number, now: number): void {
  const blocks = blocksOf(limiter);
  if (blocks.size >= BLOCKED_SWEEP_AT)
    for (const [other, end] of blocks) if (end <= now) blocks.delete(other);
  blocks.set(key, until);
}

/**
 * Middleware that admits a request only with `Authorization: Bearer <token>` for a live token
 * (not revoked, principal not disabled), and sets `principal` on the context. Otherwise 401 with
 * `{ error: 'unauthorized', message }`, the message saying what is missing or wrong; the token
 * itself is never echoed.
 *
 * With a `guard` (or, without one, the `authGuard` createApp puts on the context), every failure
 * takes a token from the client address's bucket (AUTH_FAILURE_LIMIT in start-up); once the
 * bucket is empty the client is answered 429 `{ error: 'rate_limited', message }` with
 * Retry-After, without its token being checked, until a token has come back. Successes take
 * nothing.
 */
export function bearerAuth(
  pool: Pool,
  tokens?: TokenCache,
  guard?: AuthGuard,
): MiddlewareHandler<AuthEnv> {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const limits = guard ?? c.get('authGuard');
    const key = limits ? clientKey(remoteAddress(c)) : '';
    const limited = (seconds: number) => {
      const { capacity, refillPerSecond } = (limits as AuthGuard).limiter.policy;
      return c.json(
        {
          error: 'rate_limited',
          message: `Too many failed authentications from ${key}: at most ${capacity} in a burst, then one every ${Math.round(100 / refillPerSecond) / 100} s. Retry in ${seconds} s with a valid token.`,
        },
        429,
        { 'Retry-After': String(seconds), 'Cache-Control': 'no-store' },
      );
    };
    if (limits) {
      const until = blockedUntil.get(limits.limiter)?.get(key);
      const now = Date.now();
      if (until !== undefined && until > now)
        return limited(retryAfterSeconds({ retryAfterMs: until - now }));
    }
    const refuse = async (message: string, error?: 'invalid_request' | 'invalid_token') => {
      if (limits) {
        const { limiter, logger } = limits;
        const decision = await limiter.take(key);
        const now = Date.now();
        // Refused, or the last token just went (the next failure would be refused): refuse this
        // client's requests before checking their token until one token has come back.
        const wait = decision.allowed
          ? decision.remaining === 0
            ? 1000 / limiter.policy.refillPerSecond
            : 0
          : decision.retryAfterMs;
        if (wait > 0) {
          block(limiter, key, now + wait, now);
          logger?.warn(
            { client: key, retryAfterSeconds: retryAfterSeconds({ retryAfterMs: wait }) },
            'too many failed authentications: refusing this client without checking tokens for now',
          );
        }
        if (!decision.allowed) return limited(retryAfterSeconds(decision));
      }
      return c.json({ error: 'unauthorized', message }, 401, {
        'WWW-Authenticate': error ? `${REALM}, error="${error}"` : REALM,
        'Cache-Control': 'no-store',
      });
    };
    const header = c.req.header('Authorization');
    if (header === undefined || header.trim() === '')
      return refuse(
        'Missing Authorization header: send "Authorization: Bearer <token>" (make a token with `countersign token create --principal <name>`, or list one in API_TOKENS).',
      );
    const match = /^(\S+)(?:\s+(.*))?$/.exec(header.trim());
    const scheme = match?.[1] ?? '';
    if (scheme.toLowerCase() !== 'bearer')
      return refuse(
        `The Authorization header uses the "${scheme.slice(0, 20)}" scheme; send "Authorization: Bearer <token>".`,
        'invalid_request',
      );
    const token = match?.[2]?.trim() ?? '';
    if (token === '')
      return refuse('The Authorization header has no token after "Bearer".', 'invalid_request');
    if (apiTokenId(token) === undefined)
      return refuse(
        'The bearer token is malformed: tokens made by `countersign token create` look like cs_<16 hex digits>_<43 characters>; API_TOKENS tokens are 24 to 512 printable characters with no spaces.',
        'invalid_token',
      );
    const principal = tokens ? await tokens.verify(token) : await verifyApiToken(pool, token);
    if (!principal)
      return refuse(
        'The bearer token is not valid: it is unknown or revoked, or its principal is disabled.',
        'invalid_token',
      );
    c.set('principal', principal);
    await next();
  });
}
