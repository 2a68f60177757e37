// Worker-thread entry for optimization tasks. Plain JavaScript because a worker thread starts
// without the parent's loader: it registers tsx itself, then loads the TypeScript task module.
import { register } from 'tsx/esm/api';

register();
const task = await import('./optimize-task.ts');

/** Tinypool calls this export by name (see task-runner.ts). */
export const runOptimizeTask = task.runOptimizeTask;
