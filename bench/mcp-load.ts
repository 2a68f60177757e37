/**
 * A load generator for MCP over Streamable HTTP that runs in a worker thread of its own, so the
 * server's thread is not also the client's. It speaks the protocol directly (initialize, the
 * initialized notification, then tools/call with the session id and protocol version headers),
 * which costs far less CPU than a full client, and measures each call from send to last byte.
 *
 * Two modes: `closed` keeps one call in flight per session for a duration (the most calls per
 * second the server gives); `open` sends calls at a fixed total rate spread over the sessions,
 * whatever the answers take (latency at a given load, not queueing behind its own backlog).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface LoadOptions {
  url: string;
  /** Bearer tokens, used round-robin by the sessions (one per session: one principal each). */
  tokens: string[];
  sessions: number;
  tool: string;
  args: Record<string, unknown>;
  mode: 'closed' | 'open';
  durationMs: number;
  /** Calls per second in all, for `open`. */
  rate?: number;
}

export interface LoadResult {
  calls: number;
  errors: number;
  elapsedMs: number;
  /** Latency of every successful call in milliseconds, ascending. */
  laps: number[];
  firstError?: string;
}

const PROTOCOL_VERSION = '2025-06-18';

async function generate(options: LoadOptions): Promise<LoadResult> {
  const open = async (k: number) => {
    const base = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      Authorization: `Bearer ${options.tokens[k % options.tokens.length]}`,
    };
    const response = await fetch(options.url, {
      method: 'POST',
      headers: base,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: `load-${k}`, version: '1.0.0' },
        },
      }),
    });
    const text = await response.text();
    const id = response.headers.get('mcp-session-id');
    if (!response.ok || !id) throw new Error(`initialize failed: ${response.status} ${text}`);
    const headers = { ...base, 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION };
    const ack = await fetch(options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    await ack.text();
    return headers;
  };
  const sessions = await Promise.all(Array.from({ length: options.sessions }, (_, k) => open(k)));

  const laps: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 1;
  const call = async (headers: Record<string, string>) => {
    const begun = performance.now();
    const response = await fetch(options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: next++,
        method: 'tools/call',
        params: { name: options.tool, arguments: options.args },
      }),
    });
    const text = await response.text();
    if (!response.ok || !text.includes('"result"') || text.includes('"isError":true')) {
      errors++;
      firstError ??= `${response.status} ${text.slice(0, 300)}`;
      return;
    }
    laps.push(performance.now() - begun);
  };

  // Warm-up: one call per session.
  await Promise.all(sessions.map((headers) => call(headers)));
  laps.length = 0;
  errors = 0;

  const started = performance.now();
  const until = started + options.durationMs;
  if (options.mode === 'closed') {
    await Promise.all(
      sessions.map(async (headers) => {
        while (performance.now() < until) await call(headers);
      }),
    );
  } else {
    const rate = options.rate ?? 100;
    const pending: Promise<void>[] = [];
    let sent = 0;
    while (performance.now() < until) {
      // Catch up to the schedule, then sleep a millisecond.
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      while (sent < due) {
        pending.push(call(sessions[sent % sessions.length] as Record<string, string>));
        sent++;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
  }
  const elapsedMs = performance.now() - started;
  laps.sort((a, b) => a - b);
  await Promise.all(
    sessions.map((headers) =>
      fetch(options.url, { method: 'DELETE', headers }).then((response) => response.text()),
    ),
  );
  return { calls: laps.length + errors, errors, elapsedMs, laps, firstError };
}

/** Runs the load in a worker thread and resolves with what it measured. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // Node 20 workers do not inherit the tsx loader: the worker registers it, then loads this file.
    const worker = new Worker(
      `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`,
      { eval: true, workerData: options },
    );
    worker.once('message', (message: { result?: LoadResult; error?: string }) => {
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.result as LoadResult);
    });
    worker.once('error', reject);
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  generate(workerData as LoadOptions).then(
    (result) => port.postMessage({ result }),
    (error: unknown) => port.postMessage({ error: String((error as Error)?.stack ?? error) }),
  );
}
