/** The README is part of the product: its commands and its settings table must match the code. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config/app-info.js';
import { VARIABLES } from '../config/env.js';

const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

/**
 * The relative links (`[text](target)`) and the bare `something.md` mentions in a file that do
 * not resolve: a link against the file's folder, a bare mention against the file's folder or the
 * repository root (prose says "docs/DESIGN.md" from anywhere).
 */
function unresolvedReferences(file: string): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  const dir = path.dirname(path.join(PROJECT_ROOT, file));
  const missing: string[] = [];
  for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^([a-z][a-z+.-]*:|#)/i.test(target)) continue;
    const local = decodeURIComponent(target.split('#')[0] ?? '');
    if (!existsSync(path.join(dir, local))) missing.push(`${file}: link ${target}`);
  }
  for (const [name = ''] of text.matchAll(/(?<![\w/.-])[\w./-]+\.md\b/g)) {
    if (existsSync(path.join(dir, name)) || existsSync(path.join(PROJECT_ROOT, name))) continue;
    missing.push(`${file}: mention ${name}`);
  }
  return missing;
}

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

  it('refers only to documents that are in the repository (README, docs/, layer rules)', () => {
    const files = ['README.md', 'docs/DESIGN.md', 'docs/STYLE.md', '.dependency-cruiser.cjs'];
    expect(files.flatMap(unresolvedReferences)).toEqual([]);
    // The design the README and the layer rules cite is this repository's own.
    expect(readme).toContain('[docs/DESIGN.md](docs/DESIGN.md)');
  });

  it("docs/DESIGN.md's public contract names exactly the variables config/env.ts reads", () => {
    const design = readFileSync(path.join(PROJECT_ROOT, 'docs', 'DESIGN.md'), 'utf8');
    const paragraph = design.split('\n\n').find((block) => block.startsWith('Environment:')) ?? '';
    const named = [...paragraph.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name]) => name);
    expect(named.sort()).toEqual(Object.keys(VARIABLES).sort());
  });

  it('is what .ci/run runs: a clean install, then the README test command', () => {
    const ci = readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
