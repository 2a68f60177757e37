/** The typed environment: every variable Countersign reads, parsed once at start-up. */
import path from 'node:path';
import { z } from 'zod';

/** One environment variable: how it is checked, its default, what it is for. */
interface VariableSpec {
  schema: z.ZodType<string | undefined>;
  /** Shown in the README and in error messages; undefined means "not set: feature off". */
  default?: string;
  /** The valid form, named in the error when a value does not parse. */
  form: string;
  doc: string;
  /** Secrets are never echoed back in full, not even in an error. */
  secret?: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function isUrlWith(value: string, protocols: readonly string[]): boolean {
  try {
    const parsed = new URL(value);
    return protocols.includes(parsed.protocol) && parsed.hostname !== '';
  } catch {
    return false;
  }
}

const text = (check: (value: string) => boolean) =>
  z
    .string()
    .trim()
    .refine((value) => value.length > 0 && check(value))
    .optional();

const url = (...protocols: string[]) => text((value) => isUrlWith(value, protocols));

/**
 * Every variable in docs/DESIGN.md's public contract, plus LOG_LEVEL. All are optional: with none set,
 * Countersign runs embedded (PostgreSQL under DATA_DIR, in-process cache and bus, paper broker).
 */
export const VARIABLES = {
  DATABASE_URL: {
    schema: url('postgres:', 'postgresql:'),
    form: 'a PostgreSQL URL such as postgres://user:password@host:5432/dbname',
    doc: 'PostgreSQL to use. Unset: an embedded PostgreSQL is started with its data under DATA_DIR.',
    secret: true,
  },
  REDIS_URL: {
    schema: url('redis:', 'rediss:'),
    form: 'a Redis URL such as redis://127.0.0.1:6379 or rediss://user:password@host:6380/0',
    doc: 'Redis for the cache, event bus, rate limits and locks shared across processes. Unset: in-process stand-ins.',
    secret: true,
  },
  CHROMA_URL: {
    schema: url('http:', 'https:'),
    form: 'an http(s) URL such as http://127.0.0.1:8000',
    doc: 'ChromaDB server for retrieval over trade history. Unset: the embedded Chroma server under DATA_DIR/chroma.',
  },
  RAG_EMBEDDER: {
    schema: text((value) => value === 'hash' || value === 'ollama'),
    default: 'hash',
    form: 'hash or ollama',
    doc: 'Embedder for retrieval: hash (weight-free, nothing to download) or ollama (OLLAMA_EMBED_MODEL). Changing it reindexes.',
  },
  OLLAMA_HOST: {
    schema: url('http:', 'https:'),
    default: 'http://127.0.0.1:11434',
    form: 'an http(s) URL such as http://127.0.0.1:11434',
    doc: 'Ollama server for the LLM agent. Unreachable: chat still works through slash commands.',
  },
  OLLAMA_MODEL: {
    schema: text((value) => /^[\w.:/-]+$/.test(value)),
    default: 'qwen3:8b',
    form: 'an Ollama model tag such as qwen3:8b or llama3.1:8b',
    doc: 'Chat model the agent uses (`ollama pull` it first).',
  },
  OLLAMA_NUM_CTX: {
    schema: text(
      (value) => /^\d{1,7}$/.test(value) && Number(value) >= 2048 && Number(value) <= 1_048_576,
    ),
    default: '16384',
    form: 'an integer from 2048 to 1048576 (tokens)',
    doc: "The model's context window in tokens: the system prompt, the tools sent and the thread's history are fitted into it.",
  },
  OLLAMA_TIMEOUT_SECONDS: {
    schema: text((value) => /^\d{1,4}$/.test(value) && Number(value) >= 1 && Number(value) <= 3600),
    default: '120',
    form: 'an integer from 1 to 3600 (seconds)',
    doc: 'How long one model call may take before the turn answers that the model is unavailable.',
  },
  AGENT_MAX_TOOL_CALLS: {
    schema: text((value) => /^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= 50),
    default: '6',
    form: 'an integer from 1 to 50',
    doc: 'Tool calls the agent may make in one turn; past it, the turn stops and says so.',
  },
  OLLAMA_EMBED_MODEL: {
    schema: text((value) => /^[\w.:/-]+$/.test(value)),
    default: 'nomic-embed-text',
    form: 'an Ollama model tag such as nomic-embed-text',
    doc: 'Embedding model for retrieval.',
  },
  MODEL_PROVIDER: {
    schema: text((value) => value === 'auto' || value === 'cpu' || value === 'cuda'),
    default: 'auto',
    form: 'auto, cpu or cuda',
    doc: 'Execution provider for the model core: auto tries CUDA (onnxruntime-node installed with --onnxruntime-node-install=cuda12 and a GPU) and falls back to CPU saying why; cpu skips the try.',
  },
  MODEL_AUTOTRAIN: {
    schema: text((value) => value === 'true' || value === 'false'),
    default: 'true',
    form: 'true or false',
    doc: 'On start, with no screening model yet, train one on the stored prices in the background (the bundled sample: a few seconds).',
  },
  PORT: {
    schema: text(
      (value) => /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65535,
    ),
    default: '8787',
    form: 'an integer from 1 to 65535',
    doc: 'HTTP port of the server (REST, MCP, webhooks, console, health, metrics).',
  },
  HOST: {
    schema: text((value) => /^[A-Za-z0-9.:[\]-]+$/.test(value)),
    default: '127.0.0.1',
    form: 'a host name or IP address such as 127.0.0.1, ::1 or 0.0.0.0',
    doc: 'Address the HTTP server binds to. Loopback by default; 0.0.0.0 exposes it to the network.',
  },
  TELEGRAM_BOT_TOKEN: {
    schema: text((value) => /^\d+:[\w-]{20,}$/.test(value)),
    form: 'a BotFather token such as 123456789:AAE… (digits, a colon, then at least 20 letters, digits, _ or -)',
    doc: 'Telegram bot token. Unset: the Telegram bot is off.',
    secret: true,
  },
  TELEGRAM_WEBHOOK_SECRET: {
    schema: text((value) => /^[A-Za-z0-9_-]{1,256}$/.test(value)),
    form: '1 to 256 characters from A-Z, a-z, 0-9, _ and - (what Telegram allows for secret_token)',
    doc: 'Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token on every webhook call.',
    secret: true,
  },
  TELEGRAM_WEBHOOK_URL: {
    schema: url('https:', 'http:'),
    form: "the public https URL of this server's /webhooks/telegram, such as https://bot.example.com/webhooks/telegram",
    doc: 'Public URL given to Telegram setWebhook (with TELEGRAM_WEBHOOK_SECRET). Unset: the bot long-polls.',
  },
  TELEGRAM_API_ROOT: {
    schema: url('http:', 'https:'),
    default: 'https://api.telegram.org',
    form: 'an http(s) URL such as https://api.telegram.org',
    doc: 'Telegram Bot API root (a local Bot API server, or a test server).',
  },
  SLACK_BOT_TOKEN: {
    schema: text((value) => value.startsWith('xoxb-')),
    form: 'a Slack bot token starting with xoxb-',
    doc: 'Slack bot token. Unset: the Slack app is off.',
    secret: true,
  },
  SLACK_SIGNING_SECRET: {
    schema: text((value) => /^[A-Za-z0-9]{16,}$/.test(value)),
    form: 'the Slack app signing secret (at least 16 letters and digits)',
    doc: 'Verifies that requests to /slack/events come from Slack.',
    secret: true,
  },
  SLACK_APP_TOKEN: {
    schema: text((value) => value.startsWith('xapp-')),
    form: 'a Slack app-level token starting with xapp-',
    doc: 'Slack app-level token for Socket Mode (no public URL needed).',
    secret: true,
  },
  SLACK_API_URL: {
    schema: url('http:', 'https:'),
    default: 'https://slack.com/api/',
    form: 'an http(s) URL such as https://slack.com/api/',
    doc: 'Slack Web API root (a test server in tests).',
  },
  ALPACA_KEY_ID: {
    schema: text((value) => /^[A-Za-z0-9]{8,}$/.test(value)),
    form: 'an Alpaca API key id (letters and digits)',
    doc: 'Alpaca API key id. Unset: only the paper broker is available.',
    secret: true,
  },
  ALPACA_SECRET_KEY: {
    schema: text((value) => /^\S{8,}$/.test(value)),
    form: 'an Alpaca secret key (at least 8 characters, no spaces)',
    doc: 'Alpaca API secret key.',
    secret: true,
  },
  ALPACA_BASE_URL: {
    schema: url('http:', 'https:'),
    default: 'https://paper-api.alpaca.markets',
    form: 'an http(s) URL such as https://paper-api.alpaca.markets',
    doc: "Alpaca trading API root; Alpaca's paper endpoint by default.",
  },
  ALPACA_LIVE: {
    schema: text((value) => value === 'true' || value === 'false'),
    default: 'false',
    form: 'true or false',
    doc: "Allow Alpaca's live trading endpoint (real money). Unset or false: a live ALPACA_BASE_URL is refused.",
  },
  API_TOKENS: {
    schema: text((value) => value.split(',').every((entry) => parseApiToken(entry) !== undefined)),
    form: 'comma-separated name:token[:scopes] entries; name is 1-40 of a-z 0-9 _ -, token at least 24 of A-Z a-z 0-9 . _ ~ -, scopes read, propose and/or approve joined by + (default read; approve lets the token decide on proposals and is never a default), e.g. alice:s3cr3t-token-of-24-chars-x:read+propose',
    doc: 'Bearer tokens for the REST API and MCP over HTTP, each bound to a principal and scopes.',
    secret: true,
  },
  DATA_DIR: {
    schema: text(() => true),
    default: './.data',
    form: 'a directory path',
    doc: 'Where embedded services keep their data (PostgreSQL under DATA_DIR/postgres).',
  },
  LOG_LEVEL: {
    schema: text((value) => (LOG_LEVELS as readonly string[]).includes(value)),
    default: 'info',
    form: `one of ${LOG_LEVELS.join(', ')}`,
    doc: 'Level of the JSON logs.',
  },
} satisfies Record<string, VariableSpec>;

/** The name of one environment variable Countersign reads. */
export type VariableName = keyof typeof VARIABLES;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** read: read tools; propose: write tools (which only propose); approve: decide on proposals (approve, reject). */
export type ApiScope = 'read' | 'propose' | 'approve';

/** A bearer token from API_TOKENS, bound to a principal name and its scopes. */
export interface ApiToken {
  principal: string;
  token: string;
  scopes: ApiScope[];
}

/** Parses one `name:token[:scope+scope]` entry of API_TOKENS; undefined when malformed. */
export function parseApiToken(entry: string): ApiToken | undefined {
  const match =
    /^([a-z0-9_-]{1,40}):([A-Za-z0-9._~-]{24,})(?::((?:read|propose|approve)(?:\+(?:read|propose|approve))*))?$/.exec(
      entry.trim(),
    );
  if (!match?.[1] || !match[2]) return undefined;
  const scopes = (match[3] ?? 'read').split('+') as ApiScope[];
  return { principal: match[1], token: match[2], scopes: [...new Set(scopes)] };
}

/** The parsed configuration handed to every layer; nothing else reads process.env. */
export interface Config {
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  chromaUrl: string | undefined;
  ollama: { host: string; model: string; embedModel: string; numCtx: number; timeoutMs: number };
  agent: { maxToolCalls: number };
  rag: { embedder: 'hash' | 'ollama' };
  models: { provider: 'auto' | 'cpu' | 'cuda'; autoTrain: boolean };
  http: { port: number; host: string };
  telegram: { botToken?: string; webhookSecret?: string; webhookUrl?: string; apiRoot: string };
  slack: { botToken?: string; signingSecret?: string; appToken?: string; apiUrl: string };
  alpaca: { keyId?: string; secretKey?: string; baseUrl: string; live: boolean };
  apiTokens: ApiToken[];
  /** Absolute path. */
  dataDir: string;
  logLevel: LogLevel;
}

/** One variable that did not parse: its name, the value given (masked if secret), the valid form. */
export interface ConfigIssue {
  variable: VariableName;
  value: string;
  expected: string;
}

/** Thrown by loadConfig when any variable is invalid; its message lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `Invalid configuration:\n${issues
        .map(
          (issue) =>
            `  ${issue.variable}=${JSON.stringify(issue.value)}: expected ${issue.expected}`,
        )
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** What of a secret an error may show: a URL without its password, or a token's first characters. */
function mask(value: string): string {
  if (/^[a-z]+:\/\//i.test(value)) return value.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
  return value.length <= 6 ? '***' : `${value.slice(0, 4)}…(${value.length} characters)`;
}

/**
 * Parses the environment once. Empty strings count as unset (as in docker compose files that
 * list a variable with no value). Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const values: Partial<Record<VariableName, string>> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, spec] of Object.entries(VARIABLES) as [VariableName, VariableSpec][]) {
    const raw = env[name];
    const given = raw === undefined || raw.trim() === '' ? undefined : raw;
    const parsed = spec.schema.safeParse(given);
    if (!parsed.success) {
      issues.push({
        variable: name,
        value: spec.secret ? mask(given ?? '') : (given ?? ''),
        expected: spec.form,
      });
      continue;
    }
    values[name] = parsed.data ?? spec.default;
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const need = (name: VariableName): string => {
    const value = values[name];
    if (value === undefined) throw new Error(`${name} has no default`);
    return value;
  };
  return Object.freeze({
    databaseUrl: values.DATABASE_URL,
    redisUrl: values.REDIS_URL,
    chromaUrl: values.CHROMA_URL,
    ollama: {
      host: need('OLLAMA_HOST'),
      model: need('OLLAMA_MODEL'),
      embedModel: need('OLLAMA_EMBED_MODEL'),
      numCtx: Number(need('OLLAMA_NUM_CTX')),
      timeoutMs: Number(need('OLLAMA_TIMEOUT_SECONDS')) * 1000,
    },
    agent: { maxToolCalls: Number(need('AGENT_MAX_TOOL_CALLS')) },
    rag: { embedder: need('RAG_EMBEDDER') as 'hash' | 'ollama' },
    models: {
      provider: need('MODEL_PROVIDER') as 'auto' | 'cpu' | 'cuda',
      autoTrain: need('MODEL_AUTOTRAIN') === 'true',
    },
    http: { port: Number(need('PORT')), host: need('HOST') },
    telegram: {
      botToken: values.TELEGRAM_BOT_TOKEN,
      webhookSecret: values.TELEGRAM_WEBHOOK_SECRET,
      webhookUrl: values.TELEGRAM_WEBHOOK_URL,
      apiRoot: need('TELEGRAM_API_ROOT'),
    },
    slack: {
      botToken: values.SLACK_BOT_TOKEN,
      signingSecret: values.SLACK_SIGNING_SECRET,
      appToken: values.SLACK_APP_TOKEN,
      apiUrl: need('SLACK_API_URL'),
    },
    alpaca: {
      keyId: values.ALPACA_KEY_ID,
      secretKey: values.ALPACA_SECRET_KEY,
      baseUrl: need('ALPACA_BASE_URL'),
      live: need('ALPACA_LIVE') === 'true',
    },
    apiTokens: (values.API_TOKENS ?? '')
      .split(',')
      .filter((entry) => entry.trim() !== '')
      .map((entry) => parseApiToken(entry) as ApiToken),
    dataDir: path.resolve(cwd, need('DATA_DIR')),
    logLevel: need('LOG_LEVEL') as LogLevel,
  });
}
