/** The README is part of the product: its commands and its settings table must match the code. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config/app-info.js';
import { VARIABLES } from '../config/env.js';

const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('opens with the command that runs the product and the one that passes the tests', () => {
    const firstBlock = readme.split('```')[1] ?? '';
    expect(firstBlock).toContain('npm install && npm start');
    expect(firstBlock).toContain('npm install && npm test');
  });

  it('lists every environment variable with its default', () => {
    for (const [name, spec] of Object.entries(VARIABLES)) {
      const cells = readme
        .split('\n')
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .find((row) => row[1] === `\`${name}\``);
      expect(cells, name).toBeDefined();
      const fallback = 'default' in spec ? `\`${spec.default}\`` : '(unset)';
      expect(cells?.[2], name).toBe(fallback);
    }
  });

  it('is what .ci/run runs: a clean install, then the README test command', () => {
    const ci = readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
