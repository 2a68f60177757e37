/**
 * `countersign models` as a user runs it: train on the bundled sample (loaded into the empty
 * database by the first command), list, and promote — refused unless the model beat 12-1
 * momentum out of sample, whichever it is on this data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFolder, runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('countersign models', () => {
  let db: TestDatabase;
  let data: Awaited<ReturnType<typeof dataFolder>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase();
    data = await dataFolder();
    env = { DATABASE_URL: db.url, DATA_DIR: data.dir };
  });
  afterAll(async () => {
    await data.cleanup();
    await db.drop();
  });

  it('trains, lists and promotes only a model that beat momentum', async () => {
    const trained = await runCli(['models', 'train', '--json'], env);
    expect(trained.code).toBe(0);
    expect(trained.stderr).toContain('countersign models train: walk-forward…');
    const model = JSON.parse(trained.stdout);
    expect(model).toMatchObject({ name: 'screen', version: 1, status: 'staging' });
    expect(model.path).toBe(`${data.dir}/models/screen-v1.onnx`);
    expect(model.walk_forward.test_months).toBeGreaterThan(100);

    const listed = await runCli(['models', 'list'], env);
    expect(listed.stdout).toMatch(
      /^screen v1 \(staging\), trained .* out of sample .* vs 12-1 momentum/,
    );

    const promoted = await runCli(['models', 'promote', 'screen', '--as', 'alice'], env);
    if (model.walk_forward.beats_momentum) {
      expect(promoted.code).toBe(0);
      expect(promoted.stdout).toContain('Promoted by alice');
    } else {
      expect(promoted.code).toBe(2);
      expect(promoted.stderr).toContain('did not beat 12-1 momentum out of sample');
    }
    const drift = await runCli(['models', 'drift'], env);
    expect(drift.code).toBe(0);
    // The last month ends after the window (its forward return is not known yet): those rows are compared.
    expect(drift.stdout).toMatch(
      /^screen v1: \d+ training rows \(\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\) against \d+ newer rows/,
    );
    expect(drift.stdout.match(/ PSI \d+\.\d{3} {2}KS \d\.\d{3} \(p /g)).toHaveLength(9);
    // The screen serves the model: a model column, and a line naming the model and its figures.
    const screen = await runCli(['screen', '--as-of', '2021-04-21', '--top', '3'], env);
    expect(screen.stderr).not.toMatch(/error|warn/i);
    expect(screen.code).toBe(0);
    expect(screen.stdout).toMatch(/ {2}model \d\.\d\d {2}\$/);
    expect(screen.stdout).toMatch(
      /Model score: screen v1 \((staging|production)\), out of sample over \d+ months: mean rank IC /,
    );
    // --retrain: a new version with the live model's hyper-parameters.
    const retrained = await runCli(['models', 'train', '--retrain', '--json'], env);
    expect(retrained.stderr).not.toContain('Error');
    expect(retrained.code).toBe(0);
    expect(retrained.stderr).toContain('retraining screen v1');
    expect(JSON.parse(retrained.stdout)).toMatchObject({ version: 2, status: 'staging' });
    const bad = await runCli(['models', 'promote', 'screen', '--model-version', 'x'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--model-version must be a positive whole number; got x');
  });
});
