/**
 * `npm run bench`: every benchmark, one JSON line each on stdout (progress on stderr), so that
 * figures can be compared across commits. `npm run bench -- --only import` runs one group.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { APP_VERSION } from '../config/app-info.js';
import { loadConfig } from '../config/env.js';
import { benchAudit } from './audit.js';
import { benchBacktest } from './backtest.js';
import { benchBots } from './bots.js';
import { benchChat } from './chat.js';
import { benchImport } from './import.js';
import { benchMcp } from './mcp.js';
import { benchModels, benchModelsServing, benchModelsValidation } from './models.js';
import { benchOrders } from './orders.js';
import { benchPortfolio } from './portfolio.js';
import { benchPrices } from './prices.js';
import { benchRag } from './rag.js';
import { benchRagStores } from './rag-stores.js';
import { benchStartup } from './startup.js';

const GROUPS = {
  import: benchImport,
  startup: benchStartup,
  backtest: benchBacktest,
  portfolio: benchPortfolio,
  orders: benchOrders,
  audit: benchAudit,
  mcp: benchMcp,
  prices: benchPrices,
  chat: benchChat,
  rag: benchRag,
  'rag-stores': benchRagStores,
  bots: benchBots,
  models: benchModels,
} as const;

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only;
if (only !== undefined && !(only in GROUPS)) {
  console.error(`--only ${only}: unknown group; use one of ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const config = loadConfig();
const machine = { node: process.version, cpus: os.availableParallelism(), version: APP_VERSION };
const emit = (line: object) =>
  console.log(JSON.stringify({ ...line, ...machine, at: new Date().toISOString() }));

if (only === undefined || only === 'import') await benchImport(config, emit);
if (only === undefined || only === 'startup') await benchStartup(emit);
if (only === undefined || only === 'backtest') await benchBacktest(config, emit);
if (only === undefined || only === 'portfolio') await benchPortfolio(emit);
if (only === undefined || only === 'orders') await benchOrders(config, emit);
if (only === undefined || only === 'audit') await benchAudit(emit, config);
if (only === undefined || only === 'mcp') await benchMcp(config, emit);
if (only === undefined || only === 'prices') await benchPrices(config, emit);
if (only === undefined || only === 'chat') await benchChat(config, emit);
if (only === undefined || only === 'rag') await benchRag(config, emit);
if (only === undefined || only === 'rag-stores') await benchRagStores(config, emit);
if (only === undefined || only === 'bots') await benchBots(config, emit);
if (only === undefined || only === 'models') {
  await benchModels(emit);
  await benchModelsServing(emit);
  await benchModelsValidation(emit);
}
