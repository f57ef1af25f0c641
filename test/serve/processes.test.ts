/**
 * `modenorm serve --processes 3`: server processes sharing one port. Every request goes out on
 * a new connection, so the primary hands requests to the processes in turn. A registry write
 * that was answered is seen by every process; concurrent uploads of one content give one
 * version; `/metrics` sums the processes; a killed process is replaced; stopping the primary by
 * its PID stops them all.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CLI, ok } from "../cli/helpers.js";
import { type Server, startWithToken, stop } from "./helpers.js";

const TOKEN = "t0ken-for-tests-0123456789";
const PROCESSES = 3;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Children of a process (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(") ") + 2).split(" ")[1]) === pid) out.push(Number(e));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("modenorm serve --processes", () => {
  let dir: string;
  let server: Server;
  let modelText: string;
  /** A request on a connection of its own. */
  const send = (method: string, path: string, body?: string, auth = false): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(server.url + path, {
        method,
        agent: false,
        headers: {
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...(auth ? { Authorization: `Bearer ${TOKEN}` } : {}),
        },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  const rows = '{"rows":[{"x":1.5},{"x":9.25},{"x":20}]}';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "modenorm-serve-processes-"));
    const lines = ["x"];
    for (let i = 0; i < 2000; i++) lines.push(String((i % 3) * 10 + Math.sin(i)));
    writeFileSync(join(dir, "fit.csv"), `${lines.join("\n")}\n`);
    ok(dir, ["fit", "fit.csv", "-o", "m.json"]);
    modelText = readFileSync(join(dir, "m.json"), "utf8");
    server = await startWithToken(dir, TOKEN, ["--processes", String(PROCESSES)]);
  });
  after(async () => {
    if (alive(server.child.pid!)) await stop(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a write that was answered is seen by every process, and concurrent uploads give one version", async () => {
    const texts = [1, 2, 3].map((k) => modelText.replace('"seed": 0', `"seed": ${k}`));
    // The same content from 6 connections at once: one version.
    const first = await Promise.all(
      Array.from({ length: 6 }, () => send("POST", "/v1/models/m/versions", texts[0], true)),
    );
    assert.deepEqual(new Set(first.map((a) => JSON.parse(a.text).version)), new Set([1]));
    assert.equal(first.filter((a) => a.status === 201).length, 1, "created once");
    for (const t of texts.slice(1))
      assert.equal((await send("POST", "/v1/models/m/versions", t, true)).status, 201);
    const versionsSeen = async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 3 * PROCESSES; i++) {
        const a = await send("POST", "/v1/models/m/transform", rows);
        assert.equal(a.status, 200, a.text);
        seen.add(String(a.headers["x-model-version"]));
      }
      return [...seen];
    };
    assert.deepEqual(await versionsSeen(), ["1"]);
    for (const v of [3, 2]) {
      const put = await send("PUT", "/v1/models/m/active", `{"version":${v}}`, true);
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(await versionsSeen(), [String(v)], `every process answers with v${v}`);
    }
    const back = await send("POST", "/v1/models/m/rollback", undefined, true);
    assert.equal(JSON.parse(back.text).active, 3);
    assert.deepEqual(await versionsSeen(), ["3"]);
    // A deleted version is gone from every process, parsed copies included.
    assert.equal((await send("POST", "/v1/models/m/versions/1/transform", rows)).status, 200);
    assert.equal((await send("DELETE", "/v1/models/m/versions/1", undefined, true)).status, 204);
    for (let i = 0; i < PROCESSES; i++)
      assert.equal((await send("POST", "/v1/models/m/versions/1/transform", rows)).status, 404);
    // Refusals cross over as they are: the active version cannot be deleted; a bad model is a 400.
    const refused = await send("DELETE", "/v1/models/m/versions/3", undefined, true);
    assert.equal(refused.status, 409);
    assert.match(JSON.parse(refused.text).message, /is active/);
    const bad = await send("POST", "/v1/models/m/versions", '{"format":"x"}', true);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.text).message, /not a modenorm model file/);
  });

  it("a port in use: exit 1 naming it, with one process or several, nothing left running", () => {
    const port = new URL(server.url).port;
    for (const extra of [[], ["--processes", "2"]]) {
      const r = spawnSync(
        process.execPath,
        [CLI, "serve", "--port", port, "--models", join(dir, "models"), ...extra],
        { encoding: "utf8", timeout: 30_000 },
      );
      assert.equal(r.status, 1, `${extra.join(" ")}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`),
      );
      assert.doesNotMatch(r.stderr, /internal error/);
    }
  });

  it("SIGTERM stops the service: exit 143 and one line, with one process or several", async () => {
    for (const extra of [[], ["--processes", "2"]]) {
      const other = mkdtempSync(join(tmpdir(), "modenorm-serve-stop-"));
      try {
        const s = await startWithToken(other, "t0ken-for-stop-tests-0123", extra);
        await stop(s);
        assert.equal(s.child.exitCode, 143, extra.join(" "));
        assert.equal(
          s.stderr(),
          `modenorm: interrupted by SIGTERM; the service stopped; the registry in ${join(other, "models")} is whole (every write is atomic)\n`,
          extra.join(" "),
        );
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    }
  });

  it("/metrics sums every process, and a killed process is replaced", async () => {
    const rowsTotal = async () => {
      const text = (await send("GET", "/metrics")).text;
      const m = /^modenorm_rows_total\{model="m",direction="transform"\} (\d+)$/m.exec(text);
      return Number(m?.[1] ?? 0);
    };
    const before = await rowsTotal();
    for (let i = 0; i < 4 * PROCESSES; i++)
      assert.equal((await send("POST", "/v1/models/m/transform", rows)).status, 200);
    assert.equal(
      await rowsTotal(),
      before + 3 * 4 * PROCESSES,
      "3 rows per request, all processes",
    );
    const text = (await send("GET", "/metrics")).text;
    assert.match(text, /^modenorm_model_active_version\{model="m"\} 3$/m);
    assert.match(text, /^modenorm_http_requests_in_flight \d+$/m);
    const pids = childrenOf(server.child.pid!);
    assert.equal(pids.length, PROCESSES);
    process.kill(pids[0]!, "SIGKILL");
    // The replacement listens within seconds; meanwhile the others answer.
    for (let t = 0; t < 100 && childrenOf(server.child.pid!).length < PROCESSES; t++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < 2 * PROCESSES; i++)
      assert.equal((await send("POST", "/v1/models/m/transform", rows)).status, 200);
    const now = childrenOf(server.child.pid!);
    assert.equal(now.length, PROCESSES);
    assert.ok(!now.includes(pids[0]!));
    // Stopping the primary by its PID stops every server process.
    await stop(server);
    for (let t = 0; t < 50 && now.some(alive); t++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(now.filter(alive), [], "no server process outlives the primary");
  });
});
