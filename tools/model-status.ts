/** model_status: which screening model is live, how good it was out of sample, and its drift. */
import { z } from 'zod';
import { listModels } from '../models/registry.js';
import { label, liveModel, modelsOf } from '../models/service.js';
import { SCREEN_MODEL } from '../models/train-screen.js';
import { modelLabelSchema } from './screen-stocks.js';
import { defineTool, READ_ONLY } from './tool.js';

const output = z.object({
  live: modelLabelSchema.nullable().describe('The model serving model_score; null: none.'),
  versions: z
    .array(
      z.object({
        version: z.number(),
        status: z.string(),
        created_at: z.string(),
        trained_to: z.string().nullable(),
        mean_ic: z.number().nullable().describe('Out of sample.'),
        momentum_mean_ic: z.number().nullable(),
        beats_momentum: z.boolean().nullable(),
        promoted_by: z.string().nullable(),
      }),
    )
    .describe('Every version, newest first.'),
  provider: z.string().describe('cpu, cuda, or none (no model core in this process).'),
  drift: z
    .object({
      checked_at: z.string(),
      recent_rows: z.number(),
      drifted: z.array(z.string()).describe('Features past PSI 0.2: retrain.'),
    })
    .nullable()
    .describe('The last check (after each import); null: not checked.'),
  note: z.string().optional().describe('Why no model serves, when none does.'),
});

export const modelStatus = defineTool({
  name: 'model_status',
  title: 'Model status',
  description:
    'Which learned screening model is live (production, else newest staging), how it did out of sample beside 12-1 momentum, every version, the provider and the last drift check. Read-only.',
  input: z.object({}),
  output,
  writes: false,
  annotations: READ_ONLY,
  async handler(_input, context) {
    const service = modelsOf(context.pool);
    const all = await listModels(context.pool, SCREEN_MODEL);
    const live = liveModel(all);
    const provider = service?.runtime.provider() ?? 'none';
    const drift = service?.lastDrift();
    const training = service?.training();
    const note = live
      ? undefined
      : training
        ? `the first screening model is being trained (${training})`
        : 'no screening model yet: countersign models train';
    return {
      live: live ? label(live, provider) : null,
      versions: all.map((model) => {
        const report = model.metrics.walk_forward;
        return {
          version: model.version,
          status: model.status,
          created_at: model.createdAt.toISOString(),
          trained_to: model.trainTo,
          mean_ic: report?.model.mean_ic ?? null,
          momentum_mean_ic: report?.momentum.mean_ic ?? null,
          beats_momentum: report?.beats_momentum ?? null,
          promoted_by: model.promotedBy,
        };
      }),
      provider,
      drift: drift
        ? { checked_at: drift.checked_at, recent_rows: drift.recent_rows, drifted: drift.drifted }
        : null,
      ...(note ? { note } : {}),
    };
  },
});
