/**
 * A stand-in for Ollama's HTTP API on 127.0.0.1 (random port), for driving the real `ollama`
 * client and LangChain's ChatOllama in tests. It speaks the documented subset: GET /api/version,
 * GET /api/tags, POST /api/chat (NDJSON streaming when `stream` is not false, one JSON object
 * otherwise; assistant `content` in chunks, `tool_calls` as {function: {name, arguments}},
 * a last `done: true` line with prompt_eval_count and eval_count), POST /api/embed, POST
 * /api/show. Model turns are scripted: each /api/chat request takes the next turn of the
 * script (a function may look at the request); every request is recorded.
 */
import http from 'node:http';
import type net from 'node:net';

/** One scripted answer of the model to one /api/chat request. */
export interface ModelTurn {
  /** Text the model writes, streamed in chunks of `chunk` characters (default 8). */
  content?: string;
  tool_calls?: { name: string; arguments: Record<string, unknown> }[];
  /** Waits this long before answering (a slow model). */
  delayMs?: number;
  /** Answers this status with an error body instead. */
  status?: number;
  /** Writes this text instead of NDJSON (a broken server). */
  garbage?: string;
  /** prompt_eval_count to report (default: a rough count of the request's characters / 4). */
  promptEvalCount?: number;
  chunk?: number;
}

export type ScriptStep = ModelTurn | ((request: ChatRequest) => ModelTurn);

export interface ChatRequest {
  model: string;
  messages: { role: string; content: string; tool_calls?: unknown[]; tool_name?: string }[];
  tools?: { type: string; function: { name: string; description?: string } }[];
  stream?: boolean;
  options?: Record<string, unknown>;
  think?: boolean;
  keep_alive?: unknown;
}

export interface FakeOllama {
  url: string;
  /** Every /api/chat request, in order. */
  chats: ChatRequest[];
  /** Paths of every request. */
  paths: string[];
  /** Replaces the script; turns are taken in order, the last one repeats when it runs out. */
  script(steps: ScriptStep[]): void;
  /** Models /api/tags lists (default qwen3:8b). */
  models: string[];
  /** How /api/embed answers (may be changed between requests). */
  embed: EmbedSettings;
  /** Every /api/embed request, in order. */
  embeds: EmbedRequest[];
  close(): Promise<void>;
}

/** The /api/embed stand-in's behaviour. */
export interface EmbedSettings {
  /** Length of every vector (default 768, nomic-embed-text's). */
  dimensions: number;
  /** Embedding models that are "pulled"; any other answers 404 as Ollama does (default nomic-embed-text). */
  models: string[];
  /** Inputs longer than this many characters are refused when `truncate` is false (default 8192). */
  contextChars: number;
  delayMs?: number;
  /** Answers this status with an error body instead. */
  status?: number;
}

export interface EmbedRequest {
  model: string;
  input: string | string[];
  truncate?: boolean;
  dimensions?: number;
}

/**
 * The stand-in's vector for a text: deterministic (a seeded xorshift over the text's FNV hash),
 * L2-normalised like Ollama's /api/embed, so the same text always gives the same vector.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  let seed = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) seed = Math.imul(seed ^ text.charCodeAt(k), 0x01000193);
  let state = seed >>> 0 || 1;
  const vector: number[] = [];
  for (let k = 0; k < dimensions; k++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    vector.push((state >>> 0) / 0xffffffff - 0.5);
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}

function body(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeOllama(initial: ScriptStep[] = []): Promise<FakeOllama> {
  let steps = [...initial];
  let next = 0;
  const chats: ChatRequest[] = [];
  const paths: string[] = [];
  const sockets = new Set<net.Socket>();
  const fake: Partial<FakeOllama> = {
    models: ['qwen3:8b'],
    embed: { dimensions: 768, models: ['nomic-embed-text'], contextChars: 8192 },
    embeds: [],
  };

  const server = http.createServer(async (request, response) => {
    paths.push(`${request.method} ${request.url}`);
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    try {
      const text = await body(request);
      if (request.url === '/api/version') return send(200, { version: '0.12.0' });
      if (request.url === '/api/tags')
        return send(200, {
          models: (fake.models ?? []).map((name) => ({
            name,
            model: name,
            modified_at: '2026-11-01T00:00:00Z',
            size: 5_200_000_000,
            digest: 'sha256:0',
            details: { family: 'qwen3', parameter_size: '8.2B', quantization_level: 'Q4_K_M' },
          })),
        });
      if (request.url === '/api/show')
        return send(200, { model_info: {}, capabilities: ['completion', 'tools'] });
      if (request.url === '/api/embed') {
        const embed = fake.embed as EmbedSettings;
        const asked = JSON.parse(text) as EmbedRequest;
        (fake.embeds as EmbedRequest[]).push(asked);
        if (embed.delayMs) await sleep(embed.delayMs);
        if (embed.status) return send(embed.status, { error: `scripted failure ${embed.status}` });
        // Real Ollama answers 404 with this text for a model that is not pulled.
        const tag = (name: string) => (name.includes(':') ? name : `${name}:latest`);
        if (!embed.models.some((name) => tag(name) === tag(asked.model)))
          return send(404, { error: `model "${asked.model}" not found, try pulling it first` });
        const list = Array.isArray(asked.input) ? asked.input : [asked.input];
        if (asked.truncate === false && list.some((one) => one.length > embed.contextChars))
          return send(400, { error: 'the input length exceeds the context length' });
        return send(200, {
          model: asked.model,
          embeddings: list.map((one) => fakeEmbedding(one, embed.dimensions)),
          total_duration: 1_000_000,
          load_duration: 0,
          prompt_eval_count: list.reduce((sum, one) => sum + Math.ceil(one.length / 4), 0),
        });
      }
      if (request.url !== '/api/chat') return send(404, { error: `no route ${request.url}` });
      const chat = JSON.parse(text) as ChatRequest;
      chats.push(chat);
      const step = steps[Math.min(next, steps.length - 1)];
      next++;
      const turn: ModelTurn =
        step === undefined ? { content: 'ok' } : typeof step === 'function' ? step(chat) : step;
      if (turn.delayMs) await sleep(turn.delayMs);
      if (response.destroyed) return;
      if (turn.status) return send(turn.status, { error: `scripted failure ${turn.status}` });
      if (turn.garbage !== undefined) {
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        return response.end(turn.garbage);
      }
      const model = chat.model;
      const at = () => new Date().toISOString();
      const promptEval = turn.promptEvalCount ?? Math.ceil(text.length / 4);
      const lines: unknown[] = [];
      const content = turn.content ?? '';
      const size = turn.chunk ?? 8;
      for (let k = 0; k < content.length; k += size)
        lines.push({
          model,
          created_at: at(),
          message: { role: 'assistant', content: content.slice(k, k + size) },
          done: false,
        });
      if (turn.tool_calls?.length)
        lines.push({
          model,
          created_at: at(),
          message: {
            role: 'assistant',
            content: '',
            tool_calls: turn.tool_calls.map((call) => ({
              function: { name: call.name, arguments: call.arguments },
            })),
          },
          done: false,
        });
      const last = {
        model,
        created_at: at(),
        message: { role: 'assistant', content: '' },
        done: true,
        done_reason: 'stop',
        total_duration: 1_000_000,
        load_duration: 0,
        prompt_eval_count: promptEval,
        prompt_eval_duration: 1000,
        eval_count: Math.ceil(content.length / 4) + 1,
        eval_duration: 1000,
      };
      if (chat.stream === false) {
        return send(200, {
          ...last,
          message: {
            role: 'assistant',
            content,
            ...(turn.tool_calls?.length
              ? {
                  tool_calls: turn.tool_calls.map((call) => ({
                    function: { name: call.name, arguments: call.arguments },
                  })),
                }
              : {}),
          },
        });
      }
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (const line of [...lines, last]) response.write(`${JSON.stringify(line)}\n`);
      response.end();
    } catch (error) {
      if (!response.headersSent) send(500, { error: (error as Error).message });
      else response.end();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    chats,
    paths,
    script(list: ScriptStep[]) {
      steps = [...list];
      next = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  }) as FakeOllama;
}
