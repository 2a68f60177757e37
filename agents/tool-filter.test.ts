/** Which tools a model call is sent: at most 8, the relevant ones first, within a small model's budget. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TOOLS } from '../tools/index.js';
import { selectTools } from './tool-filter.js';

const names = (text: string, used: string[] = []) =>
  selectTools(text, used).map((tool) => tool.name);

describe('selectTools', () => {
  it.each([
    ['how did a 10/50 cross do on Apple since 2010?', 'run_backtest'],
    ['buy 20 MSFT', 'propose_order'],
    ["what's my portfolio worth?", 'get_portfolio'],
    ['find the best momentum stocks in tech', 'screen_stocks'],
    ['what weights minimise variance for AAPL, MSFT and KO?', 'optimize_portfolio'],
    ['why did we sell NVDA?', 'explain_trade'],
    ['cancel my working order', 'cancel_order'],
    ['tell me when KO goes above 60', 'create_alert'],
  ])('%j sends at most 8 tools, %s among them', (text, tool) => {
    const selected = names(text);
    expect(selected.length).toBeLessThanOrEqual(8);
    expect(selected).toContain(tool);
  });

  it('keeps the tools already used in the turn', () => {
    expect(names('thanks', ['trade_stats'])).toContain('trade_stats');
  });

  it('any 8 tools fit in 24,000 characters of schema (about 7,000 tokens of a 16k context)', () => {
    const sizes = TOOLS.map(
      (tool) =>
        JSON.stringify(z.toJSONSchema(tool.input, { io: 'input' })).length +
        tool.description.length +
        tool.name.length,
    ).sort((a, b) => b - a);
    const worst = sizes.slice(0, 8).reduce((sum, size) => sum + size, 0);
    expect(worst).toBeLessThan(24_000);
  });
});
