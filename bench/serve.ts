/**
 * The service under load: `modenorm serve` as its own process on loopback, autocannon in this
 * one (both on the same 2 cores: the numbers are for the pair), 1,000-row transform requests as
 * JSON (columns and rows), CSV and Arrow IPC bodies. Reports requests/s, rows/s, latency p50 /
 * p99, errors and non-2xx answers per body format, and checks one answer of each format against
 * the library's transform of the same rows.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    seconds: { default: "10", help: "seconds per body format", kind: "count" },
  },
);
const ROWS = Number(o.rows);

/** CPU time (user + system, all threads) a process has used, in microseconds (Linux). */
function processCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of the line (11 and 12 after the name), in ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modenorm-bench-serve-"));
  const values = generateMultimodal(200_000, 3);
  const fitRows: Table = {
    rows: values.length,
    columns: [{ name: "value", type: "float64", values, nulls: null }],
  };
  const model = fitTable(fitRows, { seed: 0 });
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  const cli = join(ROOT, "dist", "src", "cli", "main.js");
  const child = spawn(
    process.execPath,
    [
      cli,
      "serve",
      "--port",
      "0",
      "--models",
      join(dir, "models"),
      "--token-file",
      join(dir, "token"),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await listening(child);
  let noWork: ReturnType<typeof spawn> | null = null;
  try {
    const up = await fetch(`${url}/v1/models/bench/versions`, {
      method: "POST",
      body: modelToJson(model),
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    });
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`);
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
      "Arrow IPC stream": {
        type: ARROW_STREAM,
        body: Buffer.from(await arrowWriter.toUint8Array()),
      },
    };
    const results: {
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
    }[] = [];
    const measure = async (
      format: string,
      target: string,
      pid: number,
      { type, body }: { type: string; body: Buffer },
    ) => {
      const server0 = processCpu(pid);
      const self0 = process.cpuUsage();
      const r = await autocannon({
        url: target,
        method: "POST",
        headers: { "content-type": type },
        body,
        connections: Number(o.connections),
        duration: Number(o.seconds),
      });
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
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        serverCpuUsPerRequest: Math.round((processCpu(pid) - server0) / requests),
        loadCpuUsPerRequest: Math.round((self.user + self.system) / requests),
      };
      emit(row);
      results.push(row);
    };
    let arrowAnswer = Buffer.alloc(0);
    for (const [format, b] of Object.entries(bodies)) {
      const check = await fetch(`${url}/v1/models/bench/transform`, {
        method: "POST",
        body: b.body,
        headers: { "Content-Type": b.type },
      });
      if (check.status !== 200) throw new Error(`${format}: ${check.status} ${await check.text()}`);
      const answer = Buffer.from(await check.arrayBuffer());
      if (b.type === ARROW_STREAM) arrowAnswer = answer;
      await measure(format, `${url}/v1/models/bench/transform`, child.pid!, b);
    }
    // The ceiling: the same Arrow requests to a server that does no work.
    noWork = spawn(process.execPath, ["-e", NO_WORK_SERVER, arrowAnswer.toString("base64")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const noWorkUrl = await listening(noWork);
    await measure(
      "no work (Arrow answer)",
      `${noWorkUrl}/`,
      noWork.pid!,
      bodies["Arrow IPC stream"]!,
    );
    process.stdout.write(
      `\n| body (${ROWS} rows) | requests/s | rows/s | p50 | p99 | errors | non-2xx | server CPU / request | autocannon CPU / request |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n`,
    );
    for (const r of results) {
      process.stdout.write(
        `| ${r.format} | ${Math.round(r.requestsPerSecond)} | ${(r.rowsPerSecond / 1e6).toFixed(2)}M | ${r.p50ms} ms | ${r.p99ms} ms | ${r.errors + r.timeouts} | ${r.non2xx} | ${r.serverCpuUsPerRequest} µs | ${r.loadCpuUsPerRequest} µs |\n`,
      );
    }
    emit({ connections: Number(o.connections), seconds: Number(o.seconds), machine: machine() });
  } finally {
    if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
    if (noWork?.pid !== undefined) process.kill(noWork.pid, "SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
