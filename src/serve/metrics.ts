/**
 * The service's Prometheus metrics, on a registry of their own with the default process metrics.
 * The route label is the route's template (`/v1/models/:name/transform`), never the raw URL, so
 * the number of series stays bounded.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  requests: Counter<"method" | "route" | "status_code">;
  duration: Histogram<"method" | "route" | "status_code">;
  inFlight: Gauge;
  rows: Counter<"model" | "direction">;
  rowErrors: Counter<"model" | "direction" | "reason">;
  activeVersion: Gauge<"model">;
  registryOps: Counter<"op" | "result">;
  /** Counts an answered request and observes its duration (seconds; null: unknown). */
  answered(method: string, route: string, status: number, seconds: number | null): void;
}

/** Buckets in seconds, with a boundary at the 0.1 s objective. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** New metrics; `activeVersions` is read at each scrape for `modenorm_model_active_version`. */
export function createMetrics(
  activeVersions: () => Promise<Record<string, number | null>>,
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = ["method", "route", "status_code"] as const;
  const requests = new Counter({
    name: "modenorm_http_requests_total",
    help: "HTTP requests answered, by method, route template and status code.",
    labelNames: labels,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "modenorm_http_request_duration_seconds",
    help: "Time from a request's start to its answer, by method, route template and status code.",
    labelNames: labels,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  // The labelled series of each (method, route, status), looked up once: prom-client hashes the
  // labels on every call otherwise.
  const series = new Map<
    string,
    { count: Counter.Internal; time: Histogram.Internal<(typeof labels)[number]> }
  >();
  return {
    registry,
    requests,
    duration,
    answered(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let s = series.get(key);
      if (s === undefined) {
        const l = { method, route, status_code: String(status) };
        s = { count: requests.labels(l), time: duration.labels(l) };
        series.set(key, s);
      }
      s.count.inc();
      if (seconds !== null) s.time.observe(seconds);
    },
    inFlight: new Gauge({
      name: "modenorm_http_requests_in_flight",
      help: "Requests being answered.",
      registers: [registry],
    }),
    rows: new Counter({
      name: "modenorm_rows_total",
      help: "Rows processed by the data routes, by model and direction (transform, inverse, score, drift).",
      labelNames: ["model", "direction"],
      registers: [registry],
    }),
    rowErrors: new Counter({
      name: "modenorm_row_errors_total",
      help: "Data requests refused for a bad row, by model, direction and reason.",
      labelNames: ["model", "direction", "reason"],
      registers: [registry],
    }),
    activeVersion: new Gauge({
      name: "modenorm_model_active_version",
      help: "The active version of each model (the version is the value).",
      labelNames: ["model"],
      registers: [registry],
      // Every server process reads the same registry: one process's value stands for all.
      aggregator: "first",
      async collect() {
        this.reset();
        for (const [model, v] of Object.entries(await activeVersions())) {
          if (v !== null) this.set({ model }, v);
        }
      },
    }),
    registryOps: new Counter({
      name: "modenorm_registry_operations_total",
      help: "Registry operations (upload, activate, rollback, delete), by result.",
      labelNames: ["op", "result"],
      registers: [registry],
    }),
  };
}
