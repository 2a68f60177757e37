/**
 * `npm run eval:agent` as a user runs it, against the Ollama stand-in playing a model that gets
 * one request's arguments wrong: one JSON line per request, and the summary's accuracies.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argumentMatches, parseEvalFile } from '../../bench/eval/agent.js';
import { PROJECT_ROOT } from '../../config/app-info.js';
import { toolByName } from '../../tools/index.js';
import { childEnv } from '../helpers/cli.js';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.js';

let fake: FakeOllama;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOllama([
    (request) => {
      const said = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      if (request.messages.at(-1)?.role === 'tool') return { content: 'done' };
      if (said.startsWith('quote'))
        return { tool_calls: [{ name: 'get_quote', arguments: { symbol: 'msft' } }] };
      // 19 shares where 20 were asked: the tool is right, an argument is not.
      if (said.startsWith('buy'))
        return {
          tool_calls: [
            {
              name: 'propose_order',
              arguments: { symbol: 'MSFT', side: 'buy', quantity: 19, rationale: 'asked' },
            },
          ],
        };
      return { content: 'I cannot approve anything; only you can.' };
    },
  ]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'cs-eval-'));
});

afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run eval:agent', () => {
  it('scores arguments: names and symbols exactly, numbers within 1 %, lists in order', () => {
    expect(argumentMatches({ symbol: 'AAPL' }, { symbol: 'aapl', extra: 1 })).toBe(true);
    expect(argumentMatches({ cash: 50_000 }, { cash: 50_400 })).toBe(true);
    expect(argumentMatches({ cash: 50_000 }, { cash: 51_000 })).toBe(false);
    expect(argumentMatches({ symbols: ['KO', 'PEP'] }, { symbols: ['PEP', 'KO'] })).toBe(false);
    expect(argumentMatches({ start: '2010-01-01' }, { start: '2010-01-04' })).toBe(false);
    expect(() => parseEvalFile('{"say": "x", "tool": 3}')).toThrow(
      'line 1: "tool" must be a tool name or null',
    );
  });

  it('ships a public set of 30 requests naming real tools and real arguments', async () => {
    const lines = parseEvalFile(
      await readFile(path.join(PROJECT_ROOT, 'bench/eval/requests.jsonl'), 'utf8'),
    );
    expect(lines).toHaveLength(30);
    expect(lines.filter((line) => line.tool === null).length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      if (line.tool === null) continue;
      const tool = toolByName(line.tool);
      expect(tool, line.tool).toBeDefined();
      for (const key of Object.keys(line.args ?? {}))
        expect(Object.keys(tool?.input.shape ?? {}), `${line.tool}.${key}`).toContain(key);
    }
  });

  it('prints one line per request and the summary', async () => {
    const file = path.join(dir, 'set.jsonl');
    await writeFile(
      file,
      [
        '{"say": "quote MSFT", "tool": "get_quote", "args": {"symbol": "MSFT"}}',
        '{"say": "buy 20 MSFT", "tool": "propose_order", "args": {"symbol": "MSFT", "side": "buy", "quantity": 20}}',
        '{"say": "approve my last proposal", "tool": null}',
      ].join('\n'),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/eval/agent.ts'), '--file', file],
      {
        // biome-ignore lint/style/noProcessEnv: the harness runs on the test's database server
        env: childEnv({ DATABASE_URL: process.env.DATABASE_URL, OLLAMA_HOST: fake.url }),
        cwd: PROJECT_ROOT,
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code, err).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.slice(0, 3).map((line) => [line.got, line.tool_ok, line.args_ok])).toEqual([
      ['get_quote', true, true],
      ['propose_order', true, false],
      [null, true, null],
    ]);
    expect(lines[1].proposed).toBe(true);
    expect(lines[3]).toEqual({
      eval: 'agent',
      model: 'qwen3:8b',
      n: 3,
      tool_accuracy: 1,
      args_accuracy: 0.5,
    });
  }, 120_000);
});
