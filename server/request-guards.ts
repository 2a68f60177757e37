/** Middleware that refuses malformed requests before any route sees them: oversized bodies, non-JSON bodies, NUL or broken percent-encoding in the path or query. */
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/** The largest request body any route takes: tool arguments and decisions are a few KiB. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** "1 MiB", "64 KiB" or "1000 bytes". */
function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Refuses a body over `maxBytes` with 413 `{ error: 'payload_too_large', message }` naming the
 * limit. A declared Content-Length over it is refused before a byte is read; a chunked body is
 * read only until it passes the limit (hono/body-limit), and one within it is handed on as a
 * buffered copy that routes and the MCP transport read as usual. The rest of a refused upload is
 * drained and dropped by @hono/node-server (at most 64 MiB or 500 ms, then the socket is closed).
 */
export function bodyLimitGuard(maxBytes = BODY_LIMIT_BYTES): MiddlewareHandler {
  const limit = `${maxBytes} bytes (${sizeText(maxBytes)})`;
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      const declared = c.req.header('Content-Length');
      const chunked = c.req.header('Transfer-Encoding') !== undefined;
      return c.json(
        {
          error: 'payload_too_large',
          message:
            declared !== undefined && !chunked
              ? `The request body declares ${declared.slice(0, 20)} bytes; the limit is ${limit}. Send a smaller body.`
              : `The request body is larger than the limit of ${limit}; reading stopped there. Send a smaller body.`,
        },
        413,
      );
    },
  });
}

/** Whether the request carries a body with at least one byte; may read (and put back) a chunked one. */
async function hasBody(c: Context): Promise<boolean> {
  const length = c.req.header('Content-Length');
  if (c.req.header('Transfer-Encoding') === undefined)
    return length !== undefined && length.trim() !== '0';
  // Chunked: only reading tells. The body limit ran first, so this is at most its limit, and
  // usually already a buffered copy.
  const bytes = new Uint8Array(await c.req.raw.arrayBuffer());
  c.req.raw = new Request(c.req.raw, { body: bytes });
  return bytes.length > 0;
}

/**
 * Refuses a request body that is not JSON with 415 `{ error: 'unsupported_media_type', message }`:
 * a Content-Type other than application/json (parameters such as charset allowed), or a body
 * with no Content-Type. Parsing such a body as JSON anyway would make a form post or a text body
 * mean something it did not say. A request with no body and no Content-Type passes (POST
 * /api/proposals/:id/reject with nothing: the route decides). GET, HEAD and OPTIONS pass.
 */
export function jsonBodyGuard(): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const type = c.req.header('Content-Type');
    if (type === undefined ? !(await hasBody(c)) : isJsonContentType(type)) return next();
    const what =
      type === undefined
        ? 'has a body but no Content-Type'
        : `has a body of type "${type.slice(0, 100)}"`;
    return c.json(
      {
        error: 'unsupported_media_type',
        message: `${method} ${c.req.path.slice(0, 200)} ${what}; send the body as JSON with "Content-Type: application/json" (or send no body).`,
      },
      415,
    );
  };
}

const BAD_ENCODING =
  'is not valid percent-encoded UTF-8 (each "%" must begin a %XX byte of a UTF-8 character; write a literal "%" as %25)';
const NUL = 'contains a NUL character (%00); paths and query values may not contain U+0000';

/** Strict decoding: undefined for a lone "%", a bad %XX or bytes that are not UTF-8. */
function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with the path or query of `url` (a full URL, as `Request.url`), or undefined:
 * a part that does not decode as percent-encoded UTF-8, or one that decodes to U+0000 (which
 * PostgreSQL refuses in text, so it would fail deep inside a route as a 500).
 */
export function requestTargetProblem(url: string): string | undefined {
  const { pathname, search } = new URL(url);
  const shownPath = pathname.slice(0, 200);
  for (const segment of pathname.split('/')) {
    const text = decoded(segment);
    if (text === undefined) return `The path segment "${segment.slice(0, 100)}" ${BAD_ENCODING}.`;
    if (text.includes('\0')) return `The path ${shownPath} ${NUL}.`;
  }
  for (const part of search.slice(1).split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const rawName = (equals === -1 ? part : part.slice(0, equals)).replaceAll('+', ' ');
    const rawValue = equals === -1 ? '' : part.slice(equals + 1).replaceAll('+', ' ');
    const name = decoded(rawName);
    const value = decoded(rawValue);
    const shown = `The query parameter "${(name !== undefined && !name.includes('\0') ? name : rawName).slice(0, 100)}"`;
    if (name === undefined || value === undefined) return `${shown} ${BAD_ENCODING}.`;
    if (name.includes('\0') || value.includes('\0')) return `${shown} ${NUL}.`;
  }
  return undefined;
}

/**
 * Refuses a request whose path or query does not decode (requestTargetProblem) with 400
 * `{ error: 'bad_request', message }` naming the part and the problem.
 */
export function requestTargetGuard(): MiddlewareHandler {
  return async (c, next) => {
    const problem = requestTargetProblem(c.req.url);
    if (problem !== undefined) return c.json({ error: 'bad_request', message: problem }, 400);
    await next();
  };
}
