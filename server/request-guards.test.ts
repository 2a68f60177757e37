/**
 * The request guards of the whole app, over a real socket and the real database: bodies past
 * 1 MiB refused with 413 before they are read (declared or chunked, with the process's memory
 * watched), non-JSON bodies on /api refused with 415, and NUL or broken percent-encoding in the
 * path or query refused with 400; a chunked MCP initialize still reaches the transport.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { createApp } from './app.js';
import { createMetrics } from './metrics.js';

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let server: http.Server;
let port: number;
let token: string;
let closeMcp: (() => Promise<void>) | undefined;
const MB = 1024 * 1024;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [path.join(SAMPLE_DIR, 'KO.csv.gz')]);
  const t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
  token = await createApiToken(db.pool, { principal: 'reader', scopes: ['read'] });
  app = createApp({
    sources: {
      phase: 'ready',
      config: loadConfig({ DATABASE_URL: db.url }, '/'),
      startedAt: Date.now(),
    },
    metrics: createMetrics({ version: '0.1.0', mode: 'external' }),
    logger: silentLogger(),
    api: { pool: db.pool, orders: t.orders, logger: silentLogger() },
    onClose: (close) => {
      closeMcp = close;
    },
  });
  server = createAdaptorServer({ fetch: app.fetch }) as http.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await closeMcp?.();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Bytes of the body written before the answer came. */
  sent: number;
  /** Highest RSS seen while the request ran, less the RSS before it. */
  rssGrowth: number;
}

/**
 * Sends `size` bytes of a JSON object (`{"symbol":"KO","pad":"aaa…"}`) to `route` over a real
 * socket, with Content-Length or chunked, writing 64 KiB at a time with backpressure and stopping
 * as soon as an answer arrives. The client so holds little, and the RSS growth is the server's.
 */
function send(
  route: string,
  options: { size: number; chunked: boolean; headers?: Record<string, string> },
): Promise<Answer> {
  const head = Buffer.from('{"symbol":"KO","pad":"');
  const tail = Buffer.from('"}');
  const fill = Buffer.alloc(64 * 1024, 'a');
  const padding = options.size - head.length - tail.length;
  const before = process.memoryUsage().rss;
  let peak = before;
  const watch = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  return new Promise((resolve, reject) => {
    let answered = false;
    let sent = 0;
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: route,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        ...(options.chunked
          ? { 'Transfer-Encoding': 'chunked' }
          : { 'Content-Length': String(options.size) }),
        ...options.headers,
      },
    });
    request.on('response', (response) => {
      answered = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => {
        clearInterval(watch);
        peak = Math.max(peak, process.memoryUsage().rss);
        request.destroy();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text,
          sent,
          rssGrowth: peak - before,
        });
      });
    });
    // Once the server has answered, a reset of the rest of the upload is expected.
    request.on('error', (error) => {
      if (!answered) {
        clearInterval(watch);
        reject(error);
      }
    });
    let left = padding;
    const pump = () => {
      if (sent === 0) {
        request.write(head);
        sent += head.length;
      }
      while (!answered && left > 0) {
        const piece = left >= fill.length ? fill : fill.subarray(0, left);
        left -= piece.length;
        sent += piece.length;
        if (!request.write(piece)) {
          request.once('drain', pump);
          return;
        }
      }
      if (!answered) request.end(tail);
    };
    pump();
  });
}

describe('the body limit', () => {
  it('refuses a 50 MB body declared by Content-Length with 413 without reading it', async () => {
    const answer = await send('/api/tools/get_quote', { size: 50 * MB, chunked: false });
    expect(answer.status).toBe(413);
    const body = JSON.parse(answer.text) as { error: string; message: string };
    expect(body.error).toBe('payload_too_large');
    expect(body.message).toContain('52428800');
    expect(body.message).toContain('1048576 bytes (1 MiB)');
    expect(answer.rssGrowth).toBeLessThan(20 * MB);
  });

  it('stops reading a chunked 50 MB body once it passes 1 MiB and answers 413', async () => {
    const answer = await send('/api/tools/get_quote', { size: 50 * MB, chunked: true });
    expect(answer.status).toBe(413);
    const body = JSON.parse(answer.text) as { error: string; message: string };
    expect(body.error).toBe('payload_too_large');
    expect(body.message).toContain('1048576 bytes (1 MiB)');
    expect(answer.rssGrowth).toBeLessThan(20 * MB);
    // The answer came long before the whole upload was written.
    expect(answer.sent).toBeLessThan(40 * MB);
  });

  it('applies to /mcp and to routes that take no body, before authentication', async () => {
    for (const route of ['/mcp', '/api/proposals/x/approve', '/health']) {
      for (const chunked of [false, true]) {
        const answer = await send(route, {
          size: 50 * MB,
          chunked,
          headers: { Authorization: 'Bearer wrong' },
        });
        expect(answer.status, `${route} chunked=${chunked}`).toBe(413);
        expect(JSON.parse(answer.text)).toMatchObject({ error: 'payload_too_large' });
      }
    }
  });

  it('passes bodies within the limit, chunked ones still readable by the route', async () => {
    const chunked = await send('/api/tools/get_quote', { size: 4096, chunked: true });
    expect(chunked.status).not.toBe(413);
    // The route read and parsed the buffered body: the tool saw the padding key.
    expect(chunked.text).not.toMatch(/not JSON/);
    const quote = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/tools/get_quote',
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': 'application/json',
            'Transfer-Encoding': 'chunked',
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.write('{"symbol":');
      request.end('"KO"}');
    });
    expect(quote.status).toBe(200);
    expect(JSON.parse(quote.text)).toMatchObject({ output: { symbol: 'KO' } });
  });

  it('lets the MCP transport read a chunked initialize and a chunked request after it', async () => {
    const post = (body: unknown, sessionId?: string) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
        (resolve, reject) => {
          const request = http.request(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/mcp',
              headers: {
                Authorization: `Bearer ${token}`,
                'Content-Type': 'application/json',
                Accept: 'application/json, text/event-stream',
                'Transfer-Encoding': 'chunked',
                ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
              },
            },
            (response) => {
              let text = '';
              response.setEncoding('utf8');
              response.on('data', (chunk) => {
                text += chunk;
              });
              response.on('end', () =>
                resolve({ status: response.statusCode ?? 0, headers: response.headers, text }),
              );
            },
          );
          request.on('error', reject);
          const json = JSON.stringify(body);
          request.write(json.slice(0, 10));
          request.end(json.slice(10));
        },
      );
    const init = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'chunked', version: '1.0.0' },
      },
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers['mcp-session-id'] as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const list = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, sessionId);
    expect(list.status).toBe(200);
    expect(list.text).toContain('get_quote');
  });
});

describe('content types on /api', () => {
  const post = (route: string, headers: Record<string, string>, body?: string) =>
    app.request(route, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, ...headers },
      body,
    });

  it.each([
    ['/api/tools/get_quote', 'text/plain', '{"symbol":"KO"}'],
    ['/api/tools/get_quote', 'application/x-www-form-urlencoded', 'symbol=KO'],
    ['/api/tools/get_quote', 'text/plain; a=application/json', '{"symbol":"KO"}'],
    ['/api/proposals/00000000-0000-4000-8000-000000000000/approve', 'text/plain', '{}'],
    ['/api/proposals/00000000-0000-4000-8000-000000000000/reject', 'text/plain', '{}'],
  ])('refuses POST %s with %s with 415', async (route, type, body) => {
    const response = await post(route, { 'Content-Type': type }, body);
    expect(response.status).toBe(415);
    const answer = (await response.json()) as { error: string; message: string };
    expect(answer.error).toBe('unsupported_media_type');
    expect(answer.message).toContain('Content-Type: application/json');
    expect(answer.message).toContain(type.split(';')[0] as string);
  });

  it('refuses a body sent with no Content-Type at all', async () => {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/tools/get_quote',
          headers: { Authorization: `Bearer ${token}` },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.end('{"symbol":"KO"}');
    });
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.text)).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('passes JSON with parameters, and an empty POST with no Content-Type to the route', async () => {
    const json = await post(
      '/api/tools/get_quote',
      { 'Content-Type': 'Application/JSON; charset=utf-8' },
      '{"symbol":"KO"}',
    );
    expect(json.status).toBe(200);
    const empty = await post('/api/proposals/00000000-0000-4000-8000-000000000000/reject', {});
    expect(empty.status).not.toBe(415);
    expect(empty.status).not.toBe(500);
  });
});

describe('NUL bytes and broken percent-encoding in the request target', () => {
  const get = (target: string) =>
    app.request(target, { headers: { Authorization: `Bearer ${token}` } });

  it.each([
    ['/api/portfolio/paper%00', /NUL/, 'path'],
    ['/api/proposals?status=pending%00', /query parameter "status".*NUL/, 'query value'],
    ['/api/proposals?limit=1&st%00atus=x', /NUL/, 'query name'],
    ['/api/portfolio/%C3', /not valid percent-encoded UTF-8/, 'truncated UTF-8'],
    ['/api/portfolio/100%', /not valid percent-encoded UTF-8/, 'lone %'],
    ['/api/proposals?status=%zz', /query parameter "status".*not valid percent-encoded/, 'bad %'],
    ['/health%00', /NUL/, 'a route without auth'],
  ])('answers %s with 400 naming the problem (%s)', async (target, message) => {
    const response = await get(target);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('bad_request');
    expect(body.message).toMatch(message);
  });

  it('leaves ordinary encoded paths and queries alone', async () => {
    const portfolio = await get('/api/portfolio/paper');
    expect(((await portfolio.json()) as { message?: string }).message ?? '').not.toMatch(/NUL/);
    const proposals = await get('/api/proposals?status=pending&account=paper%20one+x');
    const body = (await proposals.json()) as { message?: string };
    expect(body.message ?? '').not.toMatch(/NUL|percent-encoded/);
  });
});
