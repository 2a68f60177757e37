// The model runtime's worker thread (models/runtime.ts): holds onnxruntime sessions and runs
// them here, so a session's run never blocks the server's event loop. Plain JavaScript, so it
// starts the same under tsx, vitest and node. Messages: load {seq, id, bytes, providers},
// run {seq, id, data, dims}, release {seq, id}; every answer {seq, ok, …} or {seq, ok: false, error}.
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';

// onnxruntime's own log would print a second, native line when the CUDA probe fails; what goes
// wrong comes back as an exception, which the runtime reports in its one line.
ort.env.logLevel = 'fatal';

const sessions = new Map();

parentPort.on('message', async (message) => {
  const { seq } = message;
  try {
    if (message.op === 'load') {
      const session = await ort.InferenceSession.create(message.bytes, {
        executionProviders: message.providers,
        graphOptimizationLevel: 'all',
      });
      sessions.set(message.id, session);
      parentPort.postMessage({
        seq,
        ok: true,
        inputs: session.inputNames,
        outputs: session.outputNames,
      });
    } else if (message.op === 'run') {
      const session = sessions.get(message.id);
      if (!session) throw new Error(`no model ${message.id} is loaded in this worker`);
      const input = session.inputNames[0];
      const output = session.outputNames[0];
      const result = await session.run({
        [input]: new ort.Tensor('float32', message.data, message.dims),
      });
      const data = Float32Array.from(result[output].data);
      parentPort.postMessage({ seq, ok: true, data }, [data.buffer]);
    } else if (message.op === 'release') {
      await sessions.get(message.id)?.release();
      sessions.delete(message.id);
      parentPort.postMessage({ seq, ok: true });
    } else throw new Error(`unknown op ${message.op}`);
  } catch (error) {
    parentPort.postMessage({ seq, ok: false, error: String(error?.message ?? error) });
  }
});
