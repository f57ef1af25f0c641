/**
 * A real Prometheus (Debian's `prometheus`, installed by `.ci/run`) scrapes a real `modenorm
 * serve`; the test queries Prometheus's HTTP API for what the service exported, and runs every
 * query of the Grafana dashboard in the repository against it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ok } from "../cli/helpers.js";
import { freePort, startServer, stop } from "./helpers.js";

const DASHBOARD = fileURLToPath(
  new URL("../../../grafana/modenorm-dashboard.json", import.meta.url),
);
const PROMETHEUS = spawnSync("sh", ["-c", "command -v prometheus"], {
  encoding: "utf8",
}).stdout.trim();

/** Every `expr` of the dashboard. */
function dashboardQueries(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
    panels: { targets: { expr: string }[] }[];
  };
  return d.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

/** The metric names a PromQL expression reads (identifiers followed by `{`, `[`, `)` or a space). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:modenorm|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("Prometheus", () => {
  it("the Grafana dashboard queries only metrics the service exports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "modenorm-dash-"));
    const server = await startServer(["--models", join(dir, "models")]);
    try {
      await fetch(`${server.url}/v1/models`);
      const exported = await (await fetch(`${server.url}/metrics`)).text();
      const names = new Set(
        [...exported.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap((m) =>
          m[2] === "histogram" ? [`${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]!],
        ),
      );
      const queries = dashboardQueries();
      assert.ok(queries.length >= 10, "the dashboard has its panels");
      for (const q of queries) {
        const used = metricNames(q);
        assert.ok(used.length > 0, `${q}: names a metric`);
        for (const m of used) assert.ok(names.has(m), `${q}: ${m} is not exported`);
      }
    } finally {
      await stop(server);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a real Prometheus scrapes the service: counters and histograms by route template arrive", async (t) => {
    if (PROMETHEUS === "") {
      t.skip("prometheus is not installed (apt-get install -y prometheus; .ci/run does it)");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "modenorm-prom-"));
    const lines = ["x"];
    for (let i = 0; i < 500; i++) lines.push(String((i % 5) * 3 + Math.cos(i)));
    writeFileSync(join(dir, "fit.csv"), `${lines.join("\n")}\n`);
    ok(dir, ["fit", "fit.csv", "-o", "m.json"]);
    writeFileSync(join(dir, "token"), "prometheus-test-token-0123\n");
    const server = await startServer([
      "--models",
      join(dir, "models"),
      "--token-file",
      join(dir, "token"),
    ]);
    const target = new URL(server.url).host;
    const port = await freePort();
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: modenorm\n    static_configs:\n      - targets: ["${target}"]\n`,
    );
    let prom: ChildProcess | null = null;
    try {
      const up = await fetch(`${server.url}/v1/models/amounts/versions`, {
        method: "POST",
        body: readFileSync(join(dir, "m.json"), "utf8"),
        headers: {
          "Content-Type": "application/json",
          Authorization: "Bearer prometheus-test-token-0123",
        },
      });
      assert.equal(up.status, 201);
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${server.url}/v1/models/amounts/transform`, {
          method: "POST",
          body: JSON.stringify({ columns: { x: [1, 2, 3, 4] } }),
          headers: { "Content-Type": "application/json" },
        });
        assert.equal(r.status, 200);
      }
      prom = spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(dir, "tsdb")}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: "ignore" },
      );
      const api = `http://127.0.0.1:${port}/api/v1/query?query=`;
      const query = async (q: string) => {
        const j = (await (await fetch(api + encodeURIComponent(q))).json()) as {
          status: string;
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        return j;
      };
      const series = await until("the transform counter in Prometheus", 60, async () => {
        const j = await query('modenorm_http_requests_total{route="/v1/models/:name/transform"}');
        return j.data.result.length > 0 ? j.data.result : null;
      });
      assert.equal(series[0]!.metric.status_code, "200");
      assert.equal(series[0]!.metric.method, "POST");
      assert.equal(Number(series[0]!.value[1]), 5);
      const buckets = await query(
        'modenorm_http_request_duration_seconds_bucket{route="/v1/models/:name/transform",le="0.1"}',
      );
      assert.equal(Number(buckets.data.result[0]!.value[1]), 5, "5 requests within 0.1 s");
      const rows = await query('modenorm_rows_total{model="amounts",direction="transform"}');
      assert.equal(Number(rows.data.result[0]!.value[1]), 20);
      const active = await query("modenorm_model_active_version");
      assert.equal(active.data.result[0]!.metric.model, "amounts");
      assert.equal(Number(active.data.result[0]!.value[1]), 1);
      // Every dashboard query is valid PromQL over these series.
      for (const q of dashboardQueries()) assert.equal((await query(q)).status, "success", q);
    } finally {
      if (prom?.pid !== undefined) process.kill(prom.pid, "SIGTERM");
      await stop(server);
      await new Promise((r) => setTimeout(r, 200));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
