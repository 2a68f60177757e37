/** Benchmarks: `npm start` to a green /health (first start and on an existing data directory), and GET /health latency. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/app-info.js';
import { childEnv, dataFolder, freePort, waitForHealthy } from '../test/helpers/cli.js';

function npmStart(
  dataDir: string,
  port: number,
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: PROJECT_ROOT,
    env: childEnv({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' }),
    stdio: 'ignore',
  });
  return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

/** Stops the server itself (npm may not pass the signal on) and waits for npm to exit. */
async function stop(dataDir: string, run: { exited: Promise<number | null> }): Promise<void> {
  const { pid } = JSON.parse(await readFile(path.join(dataDir, 'countersign.lock'), 'utf8')) as {
    pid: number;
  };
  process.kill(pid, 'SIGTERM');
  await run.exited;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

const ms = (value: number) => Math.round(value * 100) / 100;

/** First start (initdb + sample), three restarts on the same data directory, then /health latency on the last. */
export async function benchStartup(emit: (line: object) => void): Promise<void> {
  const folder = await dataFolder();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  try {
    console.error('[bench] npm start, first time (creates the database, loads the sample)…');
    let run = npmStart(folder.dir, port);
    const first = await waitForHealthy(url, 120_000);
    emit({ bench: 'start_first_to_healthy', seconds: ms(first.ms / 1000), target_seconds_max: 30 });
    await stop(folder.dir, run);

    const restarts: number[] = [];
    for (let i = 0; i < 3; i++) {
      console.error(`[bench] npm start on the existing data directory (${i + 1}/3)…`);
      run = npmStart(folder.dir, port);
      restarts.push((await waitForHealthy(url, 60_000)).ms / 1000);
      if (i < 2) await stop(folder.dir, run);
    }
    restarts.sort((a, b) => a - b);
    emit({
      bench: 'start_existing_to_healthy',
      runs: restarts.length,
      median_seconds: ms(restarts[1] as number),
      max_seconds: ms(restarts.at(-1) as number),
      target_seconds_max: 5,
    });

    console.error('[bench] GET /health latency on loopback…');
    for (let i = 0; i < 300; i++) await (await fetch(`${url}/health`)).arrayBuffer();
    const latencies: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const started = performance.now();
      const response = await fetch(`${url}/health`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
    }
    latencies.sort((a, b) => a - b);
    emit({
      bench: 'health_latency',
      requests: latencies.length,
      client: 'fetch (undici), keep-alive, sequential',
      p50_ms: ms(percentile(latencies, 50)),
      p95_ms: ms(percentile(latencies, 95)),
      p99_ms: ms(percentile(latencies, 99)),
      max_ms: ms(latencies.at(-1) as number),
      target_p95_ms_max: 5,
    });
    await stop(folder.dir, run);
  } finally {
    await folder.cleanup();
  }
}
