/**
 * The model core's pieces that everything else stands on: gradient boosting written here learns,
 * its ONNX export scores the same as the training code to 1e-5 through onnxruntime in the worker
 * threads, CUDA falls back to CPU with one log line when it is absent, and a corrupt or missing
 * model file is a clear error.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempFolder } from '../test/helpers/fixtures.js';
import { trainBoosting } from './gradient-boosting.js';
import { ensembleFromOnnx, treeEnsembleToOnnx } from './onnx-export.js';
import { createModelRuntime, ModelLoadError, type ModelRuntime } from './runtime.js';
import { contributions, scoreRow, scoreRows, type TreeEnsemble } from './tree-ensemble.js';

const F = 6;
const R = 4000;
let seed = 7;
const random = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
};
const x = new Float32Array(R * F);
const y = new Float64Array(R);
for (let r = 0; r < R; r++) {
  for (let f = 0; f < F; f++) x[r * F + f] = random() * 2 - 1;
  y[r] =
    Math.sin(3 * (x[r * F] as number)) +
    (x[r * F + 1] as number) * (x[r * F + 2] as number) +
    0.1 * (random() - 0.5);
}

const lines: string[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
let runtime: ModelRuntime;
let model: TreeEnsemble;

beforeAll(async () => {
  model = trainBoosting(x, y, F, { trees: 150, depth: 4 });
  runtime = createModelRuntime({ logger, threads: 2 });
  await runtime.ready;
});
afterAll(() => runtime?.close());

describe('gradient boosting', () => {
  it('learns a non-linear function (R² over 0.95 in sample)', () => {
    const fitted = scoreRows(model, x);
    const mean = y.reduce((a, b) => a + b, 0) / R;
    let sse = 0;
    let sst = 0;
    for (let r = 0; r < R; r++) {
      sse += ((y[r] as number) - (fitted[r] as number)) ** 2;
      sst += ((y[r] as number) - mean) ** 2;
    }
    expect(1 - sse / sst).toBeGreaterThan(0.95);
  });

  it('names a bad option and its range', () => {
    expect(() => trainBoosting(x, y, F, { depth: 0 })).toThrow(
      'depth must be an integer from 1 to 10; got 0',
    );
    expect(() => trainBoosting(x, y, F, { learningRate: 2 })).toThrow(
      'learningRate must be in (0, 1]; got 2',
    );
    expect(() => trainBoosting(x.subarray(1), y, F)).toThrow(/rows × 6 features need 24000/);
  });
});

describe('per-feature contributions', () => {
  it('sum with the bias to the score, and land on the features the target uses', () => {
    const totals = new Float64Array(F);
    for (let r = 0; r < 200; r++) {
      const row = x.subarray(r * F, (r + 1) * F);
      const { bias, byFeature } = contributions(model, row);
      const sum = byFeature.reduce((a, b) => a + b, bias);
      expect(Math.abs(sum - scoreRow(model, row))).toBeLessThan(1e-5);
      byFeature.forEach((value, f) => {
        totals[f] = (totals[f] as number) + Math.abs(value);
      });
    }
    // y = sin(3·x0) + x1·x2: features 3 to 5 are noise and carry little.
    const noise = (totals[3] as number) + (totals[4] as number) + (totals[5] as number);
    expect(totals[0] as number).toBeGreaterThan(5 * noise);
  });

  it('travel inside the ONNX file; a file from elsewhere has none', () => {
    const bytes = treeEnsembleToOnnx(model, 'test');
    const back = ensembleFromOnnx(bytes) as TreeEnsemble;
    expect(back.trees.length).toBe(model.trees.length);
    expect(scoreRow(back, x.subarray(0, F))).toBe(scoreRow(model, x.subarray(0, F)));
    expect(() => ensembleFromOnnx(Buffer.from('not a model at all'))).toThrow();
  });
});

describe('the ONNX runtime', () => {
  it('serves on CPU here, having said in one line why CUDA is not used', () => {
    expect(['cpu', 'cuda']).toContain(runtime.provider());
    if (runtime.provider() === 'cpu') {
      const said = lines.filter((line) => line.includes('CUDA is not available'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('serving on CPU');
      expect(runtime.fallbackReason()).toBeTruthy();
    }
  });

  it('scores the exported model the same as the training code, to 1e-5, in the worker threads', async () => {
    const loaded = await runtime.load('test-gbt', treeEnsembleToOnnx(model, 'test'), F);
    const expected = scoreRows(model, x);
    for (const batch of [x, x.subarray(0, F * 7)]) {
      const got = await runtime.score(loaded, batch);
      expect(got.length).toBe(batch.length / F);
      let worst = 0;
      for (let r = 0; r < got.length; r++)
        worst = Math.max(worst, Math.abs((got[r] as number) - (expected[r] as number)));
      expect(worst).toBeLessThan(1e-5);
    }
    await expect(runtime.score(loaded, x.subarray(0, 5))).rejects.toThrow(
      '5 values are not whole rows of 6 features for model test-gbt',
    );
    await runtime.release(loaded);
  });

  it('refuses a corrupt and a missing model file, naming it', async () => {
    const folder = await tempFolder();
    try {
      const corrupt = path.join(folder.dir, 'corrupt.onnx');
      await writeFile(corrupt, Buffer.from('not a model at all'));
      await expect(runtime.load('screen-v9', corrupt, F)).rejects.toThrow(ModelLoadError);
      await expect(runtime.load('screen-v9', corrupt, F)).rejects.toThrow(
        /model screen-v9: onnxruntime refused it/,
      );
      await expect(
        runtime.load('screen-v9', path.join(folder.dir, 'missing.onnx'), F),
      ).rejects.toThrow(/model screen-v9: cannot read .*missing\.onnx \(ENOENT\)/);
    } finally {
      await folder.cleanup();
    }
  });

  it('asked for CPU only, does not try CUDA', async () => {
    const before = lines.length;
    const cpu = createModelRuntime({ logger, provider: 'cpu' });
    try {
      expect(await cpu.ready).toBe('cpu');
      expect(lines.slice(before).some((line) => line.includes('CUDA'))).toBe(false);
    } finally {
      await cpu.close();
    }
  });
});
