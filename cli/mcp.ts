/**
 * `countersign mcp`: the MCP server over stdio, for Claude Desktop, Cursor, VS Code and any MCP
 * client that starts a local process. It runs as the local principal (`--as` another with a
 * command-line identity); logs go to stderr only, since stdout carries the protocol.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type ApiScope, loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { createOrdersRuntime } from '../orders/runtime.js';
import { createMcpServer } from '../server/mcp-server.js';
import { openDatabase } from '../store/db/open-database.js';
import { createKv } from '../store/kv/kv.js';
import { API_SCOPES } from '../store/repos/api-tokens-repo.js';
import { createToolContext } from '../tools/context.js';
import { TOOLS } from '../tools/index.js';
import { cliPrincipal } from './cli-principal.js';
import { reportFailure } from './errors.js';

export interface McpOptions {
  as?: string;
  /** Comma-separated scopes of the session (default read,propose,approve). */
  scopes?: string;
}

/** The session's scopes from --scopes; UsageError-style message for an unknown one. */
export function parseMcpScopes(list: string): ApiScope[] | string {
  const scopes = list
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '');
  for (const scope of scopes)
    if (!(API_SCOPES as readonly string[]).includes(scope))
      return `--scopes ${JSON.stringify(list)}: "${scope}" is not a scope; use read, propose and approve, comma-separated (e.g. read,propose for an autonomous agent)`;
  return API_SCOPES.filter((scope) => scopes.includes(scope));
}

export async function mcpCommand(options: McpOptions): Promise<void> {
  const scopes = parseMcpScopes(options.scopes ?? 'read,propose,approve');
  if (typeof scopes === 'string') {
    console.error(`countersign mcp: ${scopes}`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel,
    stream: 'stderr',
    name: 'countersign-mcp',
  });
  try {
    const database = await openDatabase({
      config,
      logger,
      attach: true,
      poolSize: 4,
      applicationName: 'countersign-mcp',
    });
    const kv = await createKv({ redisUrl: config.redisUrl, logger });
    const runtime = createOrdersRuntime({ pool: database.pool, bus: kv.bus, config, logger });
    const handle = options.as ?? 'local';
    let principalId: string;
    try {
      principalId = await cliPrincipal(database.pool, handle);
    } catch (error) {
      console.error(`countersign mcp: ${(error as Error).message}`);
      process.exitCode = 2;
      await runtime.close();
      await kv.close();
      await database.close();
      return;
    }
    const server = createMcpServer(TOOLS, ({ signal, progress }) =>
      createToolContext({
        // The OS user who started this process is the person at the client, as at the CLI.
        principal: { id: principalId, handle, scopes, credential: { kind: 'local' } },
        pool: database.pool,
        orders: runtime.orders,
        channel: 'mcp',
        logger,
        progress,
        signal,
      }),
    );
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.on('end', () => resolve());
    });
    await server.connect(transport);
    logger.info({ principal: handle, scopes, tools: TOOLS.length }, 'MCP server on stdio');
    await closed;
    await server.close().catch(() => undefined);
    await runtime.close();
    await kv.close();
    await database.close();
  } catch (error) {
    process.exitCode = reportFailure(error);
  }
}
