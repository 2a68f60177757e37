/** Bearer-token authentication for the HTTP API: who is calling, from a token made by `countersign token create` or listed in API_TOKENS. */
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Pool } from '../store/db/pool.js';
import {
  apiTokenId,
  type VerifiedApiToken,
  verifyApiToken,
} from '../store/repos/api-tokens-repo.js';
import type { TokenCache } from '../store/repos/token-cache.js';

/** The caller of an authenticated request: principal, handle, the token's scopes and id. */
export type AuthPrincipal = VerifiedApiToken;

/** The Hono environment of routes behind bearerAuth: `c.get('principal')`. */
export interface AuthEnv {
  Variables: { principal: AuthPrincipal };
}

const REALM = 'Bearer realm="countersign"';

/**
 * Middleware that admits a request only with `Authorization: Bearer <token>` for a live token
 * (not revoked, principal not disabled), and sets `principal` on the context. Otherwise 401 with
 * `{ error: 'unauthorized', message }`, the message saying what is missing or wrong; the token
 * itself is never echoed.
 */
export function bearerAuth(pool: Pool, tokens?: TokenCache): MiddlewareHandler<AuthEnv> {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const refuse = (message: string, error?: 'invalid_request' | 'invalid_token') =>
      c.json({ error: 'unauthorized', message }, 401, {
        'WWW-Authenticate': error ? `${REALM}, error="${error}"` : REALM,
        'Cache-Control': 'no-store',
      });
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
