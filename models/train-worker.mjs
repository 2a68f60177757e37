// Worker-thread entry for training the screening model off the server's event loop (training is
// CPU-bound TypeScript). Plain JavaScript because a worker thread starts without the parent's
// loader: it registers tsx itself, then loads the TypeScript task module. One message in
// {series, boosting}; out {ok, fitted} (the ONNX bytes transferred), {stage}, or {ok: false, error}.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { fitScreenModel } = await import('./train-task.ts');

parentPort.once('message', (message) => {
  try {
    const fitted = fitScreenModel(message.series, {
      boosting: message.boosting,
      progress: (stage) => parentPort.postMessage({ stage }),
    });
    parentPort.postMessage({ ok: true, fitted }, [fitted.onnx.buffer]);
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error?.message ?? error) });
  }
});
