/**
 * The service end to end: `modenorm serve` started as a real process on a free loopback port,
 * driven with fetch, stopped by its PID.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RecordBatchStreamWriter, tableFromIPC } from "apache-arrow";
import { batchOfTable } from "../../src/io/arrow.js";
import { CLI, ok } from "../cli/helpers.js";
import { type Server, startServer, startWithToken, stop } from "./helpers.js";

const TOKEN = "t0ken-for-tests-0123456789";
const auth = { Authorization: `Bearer ${TOKEN}` };

const csv = (rows: string[]) => `${["x,kind", ...rows].join("\n")}\n`;

describe("modenorm serve", () => {
  let dir: string;
  let server: Server;
  let modelText: string;
  let model2Text: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "modenorm-serve-"));
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++)
      lines.push(`${(i % 3) * 10 + Math.sin(i) * 0.5},${i % 4 === 0 ? "cash" : "card"}`);
    writeFileSync(join(dir, "fit.csv"), csv(lines));
    ok(dir, ["fit", "fit.csv", "-o", "m.json"]);
    ok(dir, ["fit", "fit.csv", "-o", "m2.json", "--seed", "5"]);
    modelText = readFileSync(join(dir, "m.json"), "utf8");
    model2Text = readFileSync(join(dir, "m2.json"), "utf8");
    server = await startWithToken(dir, TOKEN);
  });
  after(async () => {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A response whose JSON is checked field by field. */
  interface Res {
    status: number;
    headers: Headers;
    text(): Promise<string>;
    // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field.
    json(): Promise<any>;
  }
  /**
   * A POST that announces a body of `bytes` bytes and waits for the answer before sending it: a
   * server that refuses the size answers 413 at once (sending the body first races the server
   * closing the connection).
   */
  const announce = (path: string, bytes: number, type = "application/json"): Promise<Res> =>
    new Promise((resolve, reject) => {
      const req = request(server.url + path, {
        method: "POST",
        headers: { "Content-Type": type, "Content-Length": bytes },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          req.destroy();
          resolve({
            status: res.statusCode!,
            headers: new Headers(),
            text: async () => text,
            json: async () => JSON.parse(text),
          });
        });
      });
      req.on("error", (err) => {
        if (!req.destroyed) reject(err);
      });
      req.flushHeaders();
    });
  const call = (
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Res> =>
    fetch(server.url + path, {
      method,
      body,
      headers: {
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
    });

  it("serve keeps immutable versions, an active alias with history, rollback, and safe retries", async () => {
    assert.equal(
      (await call("POST", "/v1/models/credit/versions", modelText)).status,
      401,
      "writes need the token",
    );
    const r1 = await call("POST", "/v1/models/credit/versions", modelText, auth);
    assert.equal(r1.status, 201);
    assert.equal(r1.headers.get("location"), "/v1/models/credit/versions/1");
    const again = await call("POST", "/v1/models/credit/versions", modelText, auth);
    assert.equal(again.status, 200, "the same content again is the same version");
    assert.equal((await again.json()).version, 1);
    assert.equal(
      (await (await call("POST", "/v1/models/credit/versions", model2Text, auth)).json()).version,
      2,
    );
    let info = await (await call("GET", "/v1/models/credit")).json();
    assert.equal(info.active, 1, "the first version becomes active");
    assert.deepEqual(
      info.versions.map((v: { version: number }) => v.version),
      [1, 2],
    );
    assert.equal(
      (await call("PUT", "/v1/models/credit/active", '{"version": 2}', auth)).status,
      200,
    );
    assert.equal(
      (await call("DELETE", "/v1/models/credit/versions/2", undefined, auth)).status,
      409,
      "the active version stays",
    );
    assert.equal(
      (await (await call("POST", "/v1/models/credit/rollback", undefined, auth)).json()).active,
      1,
    );
    info = await (await call("GET", "/v1/models/credit")).json();
    assert.deepEqual(
      info.history.map((h: { version: number }) => h.version),
      [1, 2, 1],
    );
    assert.equal(
      await (await call("GET", "/v1/models/credit/versions/1")).text(),
      modelText.endsWith("\n") ? modelText : `${modelText}\n`,
    );
    assert.deepEqual(await (await call("GET", "/v1/models")).json(), {
      models: [{ name: "credit", active: 1 }],
    });
  });

  it("serve answers transform, inverse and score as the CLI does, and a split request as one", async () => {
    const rows = csv(["10.25,card", "-0,cash", "1e308,card", ",card", "20.5,cash"]);
    writeFileSync(join(dir, "rows.csv"), rows);
    ok(dir, ["transform", "rows.csv", "-m", "m.json", "-o", "enc.csv"]);
    const cliEncoded = readFileSync(join(dir, "enc.csv"), "utf8");
    const enc = await call("POST", "/v1/models/credit/versions/1/transform", rows, {
      "Content-Type": "text/csv",
    });
    assert.equal(enc.status, 200);
    assert.equal(await enc.text(), cliEncoded, "CSV in, the CLI's CSV out");
    // JSON columns, rows split across two requests with firstRow.
    // JSON.stringify writes −0 as 0: the bodies are written by hand.
    const body = (xs: string, kinds: string[]) =>
      `{"columns":{"x":[${xs}],"kind":${JSON.stringify(kinds)}}}`;
    const all = body("10.25,-0,1e308,null,20.5", ["card", "cash", "card", "card", "cash"]);
    const whole = await (await call("POST", "/v1/models/credit/transform", all)).json();
    const a = await (
      await call("POST", "/v1/models/credit/transform", body("10.25,-0", ["card", "cash"]))
    ).json();
    const b = await (
      await call(
        "POST",
        "/v1/models/credit/transform?firstRow=2",
        body("1e308,null,20.5", ["card", "card", "cash"]),
      )
    ).json();
    for (const k of Object.keys(whole.columns))
      assert.deepEqual([...a.columns[k], ...b.columns[k]], whole.columns[k], k);
    assert.ok(Object.is(whole.columns["x.alpha"][1], -0), "-0 survives JSON");
    const encodedText = await (await call("POST", "/v1/models/credit/transform", all)).text();
    const back = await (await call("POST", "/v1/models/credit/inverse", encodedText)).json();
    assert.deepEqual(back.columns.kind, ["card", "cash", "card", "card", "cash"]);
    assert.ok(Object.is(back.columns.x[1], -0));
    assert.deepEqual(
      back.columns.x.filter((_: unknown, i: number) => i !== 1),
      [10.25, 1e308, null, 20.5],
    );
    const score = await (
      await call(
        "POST",
        "/v1/models/credit/score",
        JSON.stringify({ rows: [{ x: 10.25, kind: "card" }] }),
      )
    ).json();
    assert.equal(typeof score.rows[0].total, "number");
    const drift = await (
      await call("POST", "/v1/models/credit/drift", readFileSync(join(dir, "fit.csv"), "utf8"), {
        "Content-Type": "text/csv",
      })
    ).json();
    assert.equal(drift.verdict, "ok");
    // An Arrow IPC stream in (two batches), an Arrow stream out: the same values as JSON.
    const x = Float64Array.of(10.25, -0, 1e308, 0, 20.5);
    const kinds = ["card", "cash", "card", "card", "cash"];
    const writer = new RecordBatchStreamWriter();
    for (const [s, e] of [
      [0, 2],
      [2, 5],
    ] as const) {
      const nulls = Uint8Array.from({ length: e - s }, (_, i) => (s + i === 3 ? 1 : 0));
      writer.write(
        batchOfTable({
          rows: e - s,
          columns: [
            { name: "x", type: "float64", values: x.slice(s, e), nulls },
            { name: "kind", type: "string", values: kinds.slice(s, e) },
          ],
        }),
      );
    }
    writer.finish();
    const arrowBody = Buffer.from(await writer.toUint8Array());
    const res = await fetch(`${server.url}/v1/models/credit/transform`, {
      method: "POST",
      body: arrowBody,
      headers: { "Content-Type": "application/vnd.apache.arrow.stream" },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const got = await tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    assert.equal(got.numRows, 5);
    for (const k of Object.keys(whole.columns)) {
      const v = got.getChild(k)!.toArray() as ArrayLike<number | bigint>;
      const want = whole.columns[k] as (number | null)[];
      want.forEach((w, i) => {
        if (w === null) assert.equal(got.getChild(k)!.isValid(i), false, `${k}[${i}] null`);
        else assert.ok(Object.is(Number(v[i]), w), `${k}[${i}]: ${v[i]} vs ${w}`);
      });
    }
  });

  it("serve refuses hostile requests with a 4xx that names the problem, and keeps the registry intact", async () => {
    const before = readdirSync(join(dir, "models", "credit")).sort();
    const expect = async (r: Promise<Res>, status: number, mention: RegExp) => {
      const res = await r;
      const text = await res.text();
      assert.equal(res.status, status, text);
      assert.match(text, mention);
    };
    await expect(call("POST", "/v1/models/credit/transform", "{not json"), 400, /not valid JSON/);
    await expect(
      call(
        "POST",
        "/v1/models/credit/transform",
        JSON.stringify({ rows: [{ x: 1, kind: "card", y: 2 }] }),
      ),
      400,
      /"row":0.*"column":"y"|column \\"y\\"/,
    );
    await expect(
      call(
        "POST",
        "/v1/models/credit/transform",
        JSON.stringify({ rows: [{ x: "abc", kind: "card" }] }),
      ),
      400,
      /row 0, column \\"x\\"/,
    );
    await expect(
      call("POST", "/v1/models/credit/transform", '{"rows":[{"x":1e309,"kind":"card"}]}'),
      400,
      /1e309 is out of range/,
    );
    await expect(
      call(
        "POST",
        "/v1/models/credit/transform",
        JSON.stringify({ rows: [{ x: 1, kind: "coins" }] }),
      ),
      400,
      /coins/,
    );
    await expect(
      call("POST", "/v1/models/credit/transform", "x", { "Content-Type": "text/plain" }),
      415,
      /Unsupported Media Type|unsupported/i,
    );
    await expect(
      announce("/v1/models/credit/transform", 17 * 2 ** 20),
      413,
      /"error":"Payload Too Large"/,
    );
    // A CSV or Arrow body announced beyond the streaming limit (1 GiB): 413 before any byte.
    for (const type of ["text/csv", "application/vnd.apache.arrow.stream"])
      await expect(
        announce("/v1/models/credit/transform", 2 ** 31, type),
        413,
        /larger than 1073741824 bytes/,
      );
    await expect(call("GET", "/v1/models/..%2f..%2fetc"), 400, /not valid/);
    await expect(call("GET", `/v1/models/${"a".repeat(200)}`), 414, /.*/);
    await expect(
      call("POST", "/v1/models/credit/versions", '{"format":"x"}', auth),
      400,
      /not a modenorm model file/,
    );
    await expect(
      call("POST", "/v1/models/credit/versions", modelText, {
        Authorization: "Bearer wrong-token-0123456789",
      }),
      401,
      /token/,
    );
    await expect(call("GET", "/v1/models/nope"), 404, /no model named/);
    await expect(
      call("POST", "/v1/models/credit/transform", "not arrow at all", {
        "Content-Type": "application/vnd.apache.arrow.stream",
      }),
      400,
      /not an Arrow IPC stream/,
    );
    await expect(
      call("POST", "/v1/models/credit/transform", "x,kind\n1,card\nabc,card\n", {
        "Content-Type": "text/csv",
      }),
      400,
      /line 3.*abc|abc.*line 3/,
    );
    // Concurrent uploads of the same new content: one version.
    const m3 = modelText.replace('"seed": 0', '"seed": 9');
    const rs = await Promise.all(
      [1, 2, 3, 4].map(() => call("POST", "/v1/models/credit/versions", m3, auth)),
    );
    const versions = await Promise.all(rs.map(async (r) => (await r.json()).version));
    assert.deepEqual(new Set(versions).size, 1);
    await call("DELETE", `/v1/models/credit/versions/${versions[0]}`, undefined, auth);
    assert.deepEqual(readdirSync(join(dir, "models", "credit")).sort(), before);
  });

  it("serve survives a body cut off mid-request, NaN, missing values of a row, and never reuses a deleted version number", async () => {
    // A CSV body announced as 1 MB, cut off after a few rows: the server answers later requests.
    await new Promise<void>((resolve) => {
      const req = request(`${server.url}/v1/models/credit/transform`, {
        method: "POST",
        headers: { "Content-Type": "text/csv", "Content-Length": 1_000_000 },
      });
      req.on("error", () => resolve());
      req.on("response", () => resolve());
      req.write("x,kind\n1,card\n2,ca");
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    assert.equal((await call("GET", "/livez")).status, 200);
    const nan = await call(
      "POST",
      "/v1/models/credit/transform",
      '{"rows":[{"x":NaN,"kind":"card"}]}',
    );
    assert.equal(nan.status, 400);
    assert.match(await nan.text(), /not valid JSON/);
    const lacking = await call(
      "POST",
      "/v1/models/credit/transform",
      '{"rows":[{"x":1,"kind":"card"},{"x":2}]}',
    );
    assert.equal(lacking.status, 400);
    assert.deepEqual(
      { ...(await lacking.json()), message: undefined },
      { statusCode: 400, error: "Bad Request", message: undefined, row: 1, column: "kind" },
    );
    // A version is uploaded and deleted: the next upload gets the number after it.
    const m5 = modelText.replace('"seed": 0', '"seed": 7');
    const m6 = modelText.replace('"seed": 0', '"seed": 8');
    const v3 = (await (await call("POST", "/v1/models/credit/versions", m5, auth)).json()).version;
    assert.equal(
      (await call("DELETE", `/v1/models/credit/versions/${v3}`, undefined, auth)).status,
      204,
    );
    const v4 = (await (await call("POST", "/v1/models/credit/versions", m6, auth)).json()).version;
    assert.equal(v4, v3 + 1, "a deleted version's number is not given again");
    assert.equal(
      (await call("DELETE", `/v1/models/credit/versions/${v4}`, undefined, auth)).status,
      204,
    );
  });

  it("serve refuses a non-loopback address without a token, and --token-reads guards reads", async () => {
    const r = spawnSync(
      process.execPath,
      [CLI, "serve", "--models", join(dir, "models"), "--host", "0.0.0.0"],
      { encoding: "utf8", timeout: 20_000 },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--host 0\.0\.0\.0 is not a loopback address: give --token-file/);
    const guarded = await startServer([
      "--models",
      join(dir, "models"),
      "--token-file",
      join(dir, "token"),
      "--token-reads",
    ]);
    try {
      assert.equal((await fetch(`${guarded.url}/v1/models`)).status, 401);
      assert.equal((await fetch(`${guarded.url}/v1/models`, { headers: auth })).status, 200);
      assert.equal((await fetch(`${guarded.url}/livez`)).status, 200, "health stays open");
    } finally {
      await stop(guarded);
    }
    // A registry whose active version does not load is alive but not ready.
    const broken = join(dir, "broken");
    mkdirSync(join(broken, "bad"), { recursive: true });
    writeFileSync(join(broken, "bad", "v1.json"), '{"format": "modenorm.model"}');
    writeFileSync(join(broken, "bad", "alias.json"), '{"active": 1, "history": []}');
    const unready = await startServer(["--models", broken]);
    try {
      assert.equal((await fetch(`${unready.url}/livez`)).status, 200);
      const r = await fetch(`${unready.url}/readyz`);
      assert.equal(r.status, 503);
      assert.match(await r.text(), /bad v1/);
    } finally {
      await stop(unready);
    }
  });

  it("serve --threads answers large bodies on worker threads with the same bytes", async () => {
    const n = 100_000;
    const xs = Array.from({ length: n }, (_, i) => ((i % 3) * 10 + Math.sin(i) * 0.5).toString());
    const ks = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? "cash" : "card"));
    const big = `{"columns":{"x":[${xs.join(",")}],"kind":${JSON.stringify(ks)}}}`;
    const threaded = await startServer(["--models", join(dir, "models"), "--threads", "2"]);
    try {
      for (const path of [
        "/v1/models/credit/versions/1/transform?firstRow=7",
        "/v1/models/credit/versions/1/transform?layout=dense",
      ]) {
        const one = await (await call("POST", path, big)).text();
        const two = await (
          await fetch(threaded.url + path, {
            method: "POST",
            body: big,
            headers: { "Content-Type": "application/json" },
          })
        ).text();
        assert.equal(two, one, path);
      }
      const enc = await (await call("POST", "/v1/models/credit/versions/1/transform", big)).text();
      const back = (await (
        await fetch(`${threaded.url}/v1/models/credit/versions/1/inverse`, {
          method: "POST",
          body: enc,
          headers: { "Content-Type": "application/json" },
        })
      ).json()) as { columns: { x: number[] } };
      assert.deepEqual(back.columns.x.map(String), xs);
    } finally {
      await stop(threaded);
    }
  });

  it("serve exports Prometheus metrics by route template, and describes itself in OpenAPI", async () => {
    const text = await (await call("GET", "/metrics")).text();
    assert.match(
      text,
      /modenorm_http_requests_total\{method="POST",route="\/v1\/models\/:name\/transform",status_code="200"\} \d+/,
    );
    assert.match(
      text,
      /modenorm_http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/v1\/models\/:name\/transform",status_code="200"\} \d+/,
    );
    assert.match(text, /modenorm_rows_total\{model="credit",direction="transform"\} \d+/);
    assert.match(
      text,
      /modenorm_row_errors_total\{model="credit",direction="transform",reason="\w+"\} \d+/,
    );
    assert.match(text, /modenorm_model_active_version\{model="credit"\} 1/);
    assert.match(text, /modenorm_registry_operations_total\{op="upload",result="ok"\} \d+/);
    assert.match(text, /process_resident_memory_bytes \d+/);
    assert.doesNotMatch(text, /route="\/v1\/models\/credit/, "the route label is the template");
    const api = await (await call("GET", "/openapi.json")).json();
    assert.ok(api.paths["/v1/models/{name}/transform"].post);
    assert.equal((await call("GET", "/livez")).status, 200);
    assert.equal((await (await call("GET", "/readyz")).json()).status, "ready");
  });
});
