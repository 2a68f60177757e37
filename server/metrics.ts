/** Prometheus metrics: process defaults, HTTP traffic, and what this build is. */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app, so that tests can build many apps in one process. */
export interface Metrics {
  registry: Registry;
  /** Counts and times every request by method, matched route and status. */
  middleware: MiddlewareHandler;
}

/** Creates the registry with default process metrics and `countersign_build_info{version,mode}`. */
export function createMetrics(info: { version: string; mode: string }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'countersign_build_info',
    help: 'Always 1; labels say which version runs and whether its database is embedded or external.',
    labelNames: ['version', 'mode'],
    registers: [registry],
  }).set(info, 1);
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method, matched route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to produce the response, by method and matched route.',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    // The matched pattern (/api/proposals/:id), never the raw path, so label values stay few.
    const matched = routePath(c);
    const route = c.res.status === 404 && matched === '/*' ? 'unmatched' : matched;
    const labels = { method: c.req.method, route };
    requests.inc({ ...labels, status: String(c.res.status) });
    duration.observe(labels, (performance.now() - started) / 1000);
  };
  return { registry, middleware };
}
