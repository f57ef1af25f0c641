/**
 * The service under load: `modenorm serve` as its own process on loopback, autocannon in this
 * one (both on the same 2 cores: the numbers are for the pair), 1,000-row transform requests as
 * JSON (columns and rows), CSV and Arrow IPC bodies. Reports requests/s, rows/s, latency p50 /
 * p99, errors and non-2xx answers per body format, and checks one answer of each format against
 * the library's transform of the same rows.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordBatchStreamWriter } from "apache-arrow";
import autocannon from "autocannon";
import { generateMultimodal } from "../src/core/synthetic.js";
import type { Table } from "../src/core/table.js";
import { modelToJson } from "../src/encode/model-file.js";
import { fitTable } from "../src/encode/table-codec.js";
import { batchOfTable } from "../src/io/arrow.js";
import { csvBlocks } from "../src/io/csv-write.js";
import { ARROW_STREAM } from "../src/serve/data-routes.js";
import { tableToJson } from "../src/serve/json-table.js";
import { benchOptions, emit, machine, ROOT } from "./common.js";

const o = benchOptions(
  "The service under load: transform requests in JSON, CSV and Arrow bodies.",
  {
    rows: { default: "1000", help: "rows per request", kind: "count" },
    connections: { default: "100", help: "concurrent connections", kind: "count" },
    seconds: { default: "10", help: "seconds per body format, measured", kind: "count" },
    warmup: {
      default: "3",
      help: "seconds of the same load before each measured run (reported apart)",
      kind: "count",
    },
    decimals: {
      default: "full",
      help: "decimals of the values sent (rounded), or full for every digit of the double",
      kind: "text",
    },
    processes: {
      default: "1,2",
      help: "server processes (--processes of serve), a run per value",
      kind: "counts",
    },
  },
);
const ROWS = Number(o.rows);

/**
 * CPU time (user + system, all threads) that a process and its child processes use, in
 * microseconds (Linux; children living now, as the server processes of `--processes`).
 */
function processCpu(pid: number): number {
  let us = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // ended meanwhile
    }
    // After the name: state, ppid, …; utime and stime are the 12th and 13th, in ticks of 10 ms.
    const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    if (Number(entry) === pid || Number(fields[1]) === pid)
      us += (Number(fields[11]) + Number(fields[12])) * 10_000;
  }
  return us;
}

/** A server that answers every POST with `answer` and does nothing else (the pair's ceiling). */
const NO_WORK_SERVER = `
const http = require("node:http");
const answer = Buffer.from(process.argv[1], "base64");
const s = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/vnd.apache.arrow.stream", "content-length": answer.length });
    res.end(answer);
  });
});
s.listen(0, "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + s.address().port));
`;

/** Starts a child process and waits for the address it prints. */
async function listening(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise<string>((resolve) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
}
const TOKEN = "bench-token-0123456789abcdef";

interface Result {
  format: string;
  requestsPerSecond: number;
  rowsPerSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  serverCpuUsPerRequest: number;
  loadCpuUsPerRequest: number;
  warmupRowsPerSecond: number;
  warmupP99ms: number;
}

/**
 * Runs autocannon with one body against `target`, `pid` being the server's process: first for
 * `--warmup` seconds (the server's JIT compiles the route's hot code in the first seconds under
 * load; reported apart), then the measured run, each on its own connections.
 */
async function measure(
  format: string,
  target: string,
  pid: number,
  { type, body }: { type: string; body: Buffer },
): Promise<Result> {
  const load = (seconds: number) =>
    autocannon({
      url: target,
      method: "POST",
      headers: { "content-type": type },
      body,
      connections: Number(o.connections),
      duration: seconds,
    });
  const warm = Number(o.warmup) > 0 ? await load(Number(o.warmup)) : null;
  const server0 = processCpu(pid);
  const self0 = process.cpuUsage();
  const r = await load(Number(o.seconds));
  const self = process.cpuUsage(self0);
  const requests = Math.max(1, r.requests.total);
  const row = {
    format,
    rowsPerRequest: ROWS,
    bodyBytes: body.length,
    requestsPerSecond: r.requests.average,
    rowsPerSecond: r.requests.average * ROWS,
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    // Errors of the warm-up count too: every request must succeed.
    errors: r.errors + (warm?.errors ?? 0),
    timeouts: r.timeouts + (warm?.timeouts ?? 0),
    non2xx: r.non2xx + (warm?.non2xx ?? 0),
    serverCpuUsPerRequest: Math.round((processCpu(pid) - server0) / requests),
    loadCpuUsPerRequest: Math.round((self.user + self.system) / requests),
    warmupRowsPerSecond: warm === null ? 0 : warm.requests.average * ROWS,
    warmupP99ms: warm === null ? 0 : warm.latency.p99,
  };
  emit(row);
  return row;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modenorm-bench-serve-"));
  const values = generateMultimodal(200_000, 3);
  if (o.decimals !== "full") {
    const d = Number(o.decimals);
    if (!Number.isInteger(d) || d < 0 || d > 15) throw new Error("--decimals: 0 to 15, or full");
    const scale = 10 ** d;
    for (let i = 0; i < values.length; i++) values[i] = Math.round(values[i]! * scale) / scale;
  }
  const fitRows: Table = {
    rows: values.length,
    columns: [{ name: "value", type: "float64", values, nulls: null }],
  };
  const model = fitTable(fitRows, { seed: 0 });
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  const rows: Table = {
    rows: ROWS,
    columns: [{ name: "value", type: "float64", values: values.slice(0, ROWS), nulls: null }],
  };
  const arrowWriter = new RecordBatchStreamWriter();
  arrowWriter.write(batchOfTable(rows));
  arrowWriter.finish();
  const bodies: Record<string, { type: string; body: Buffer }> = {
    "JSON columns": { type: "application/json", body: Buffer.from(tableToJson(rows, "columns")) },
    "JSON rows": { type: "application/json", body: Buffer.from(tableToJson(rows, "rows")) },
    CSV: { type: "text/csv", body: Buffer.from([...csvBlocks(rows, true)].join("")) },
    "Arrow IPC stream": { type: ARROW_STREAM, body: Buffer.from(arrowWriter.toUint8Array(true)) },
  };
  const results: (Result & { processes: number | null })[] = [];
  const children: ReturnType<typeof spawn>[] = [];
  let arrowAnswer = Buffer.alloc(0);
  try {
    for (const processes of o.processes.split(",").map(Number)) {
      const child = spawn(
        process.execPath,
        [
          join(ROOT, "dist", "src", "cli", "main.js"),
          "serve",
          "--port",
          "0",
          "--models",
          join(dir, `models-${processes}`),
          "--token-file",
          join(dir, "token"),
          "--processes",
          String(processes),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      children.push(child);
      const url = await listening(child);
      const up = await fetch(`${url}/v1/models/bench/versions`, {
        method: "POST",
        body: modelToJson(model),
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
      });
      if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`);
      for (const [format, b] of Object.entries(bodies)) {
        const check = await fetch(`${url}/v1/models/bench/transform`, {
          method: "POST",
          body: b.body,
          headers: { "Content-Type": b.type },
        });
        if (check.status !== 200)
          throw new Error(`${format}: ${check.status} ${await check.text()}`);
        if (b.type === ARROW_STREAM) arrowAnswer = Buffer.from(await check.arrayBuffer());
        const r = await measure(format, `${url}/v1/models/bench/transform`, child.pid!, b);
        results.push({ ...r, processes });
      }
      process.kill(child.pid!, "SIGTERM");
    }
    // The ceiling: the same Arrow requests to a server that does no work.
    const noWork = spawn(process.execPath, ["-e", NO_WORK_SERVER, arrowAnswer.toString("base64")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(noWork);
    const noWorkUrl = await listening(noWork);
    const arrow = bodies["Arrow IPC stream"]!;
    results.push({
      ...(await measure("no work (Arrow answer)", `${noWorkUrl}/`, noWork.pid!, arrow)),
      processes: null,
    });
    process.stdout.write(
      `\n| body (${ROWS} rows) | server processes | requests/s | rows/s | p50 | p99 | errors | non-2xx | server CPU / request | autocannon CPU / request | warm-up (first ${o.warmup} s): rows/s, p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n`,
    );
    for (const r of results) {
      process.stdout.write(
        `| ${r.format} | ${r.processes ?? "–"} | ${Math.round(r.requestsPerSecond)} | ${(r.rowsPerSecond / 1e6).toFixed(2)}M | ${r.p50ms} ms | ${r.p99ms} ms | ${r.errors + r.timeouts} | ${r.non2xx} | ${r.serverCpuUsPerRequest} µs | ${r.loadCpuUsPerRequest} µs | ${(r.warmupRowsPerSecond / 1e6).toFixed(2)}M, ${r.warmupP99ms} ms |\n`,
      );
    }
    emit({
      connections: Number(o.connections),
      seconds: Number(o.seconds),
      warmupSeconds: Number(o.warmup),
      decimals: o.decimals,
      machine: machine(),
    });
  } finally {
    for (const c of children) if (c.exitCode === null && c.pid !== undefined) c.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
