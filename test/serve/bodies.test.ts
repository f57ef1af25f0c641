/**
 * CSV and Arrow bodies, both ways the service reads them: announced bodies of up to 8 MiB read
 * whole (an error anywhere is a 400), and bodies of unannounced size (chunked) read block by block
 * (an error in a later block ends the answer early). Both give the CLI's bytes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { RecordBatchStreamWriter, tableFromIPC } from "apache-arrow";
import { batchOfTable } from "../../src/io/arrow.js";
import { ok } from "../cli/helpers.js";
import { type Server, startWithToken, stop } from "./helpers.js";

/** Rows: more than one block of a streamed CSV body (16,384 rows). */
const ROWS = 40_000;

describe("modenorm serve: whole and streamed bodies", () => {
  let dir: string;
  let server: Server;
  const post = (path: string, body: Buffer, type: string, streamed: boolean) =>
    fetch(server.url + path, {
      method: "POST",
      // A stream body goes out chunked, without Content-Length.
      body: streamed ? (Readable.toWeb(Readable.from([body])) as ReadableStream) : body,
      headers: { "Content-Type": type },
      ...(streamed ? { duplex: "half" } : {}),
    } as RequestInit);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "modenorm-serve-bodies-"));
    const lines = ["x"];
    for (let i = 0; i < ROWS; i++) lines.push(String((i % 5) * 7 + Math.sin(i) / 3));
    writeFileSync(join(dir, "rows.csv"), `${lines.join("\n")}\n`);
    ok(dir, ["fit", "rows.csv", "-o", "m.json"]);
    ok(dir, ["transform", "rows.csv", "-m", "m.json", "-o", "enc.csv"]);
    server = await startWithToken(dir, "t0ken-for-tests-0123456789");
    const up = await fetch(`${server.url}/v1/models/m/versions`, {
      method: "POST",
      body: readFileSync(join(dir, "m.json")),
      headers: {
        "Content-Type": "application/json",
        Authorization: "Bearer t0ken-for-tests-0123456789",
      },
    });
    assert.equal(up.status, 201);
  });
  after(async () => {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a CSV body of several blocks, whole or streamed, is answered with the CLI's bytes", async () => {
    const body = readFileSync(join(dir, "rows.csv"));
    const want = readFileSync(join(dir, "enc.csv"), "utf8");
    for (const streamed of [false, true]) {
      const res = await post("/v1/models/m/transform", body, "text/csv", streamed);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), want, streamed ? "streamed" : "whole");
    }
  });

  it("an Arrow body of several batches, whole or streamed, gives the same values as CSV", async () => {
    const x = Float64Array.from({ length: ROWS }, (_, i) => (i % 5) * 7 + Math.sin(i) / 3);
    const writer = new RecordBatchStreamWriter();
    for (let s = 0; s < ROWS; s += 9_999) {
      const values = x.slice(s, s + 9_999);
      writer.write(
        batchOfTable({
          rows: values.length,
          columns: [{ name: "x", type: "float64", values, nulls: null }],
        }),
      );
    }
    writer.finish();
    const body = Buffer.from(writer.toUint8Array(true));
    const want = readFileSync(join(dir, "enc.csv"), "utf8").trimEnd().split("\n");
    const names = want[0]!.split(",");
    for (const streamed of [false, true]) {
      const res = await post(
        "/v1/models/m/transform",
        body,
        "application/vnd.apache.arrow.stream",
        streamed,
      );
      assert.equal(res.status, 200);
      const got = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
      assert.equal(got.numRows, ROWS);
      for (const i of [0, 1, 9_998, 9_999, 16_384, ROWS - 1]) {
        const cells = want[i + 1]!.split(",");
        names.forEach((n, k) => {
          const v = got.getChild(n)!.get(i);
          assert.equal(v === null ? "" : String(v), cells[k], `${n}[${i}]`);
        });
      }
    }
  });

  it("a bad value in a later block: a 400 naming its line when whole, an answer cut short when streamed", async () => {
    const lines = readFileSync(join(dir, "rows.csv"), "utf8").split("\n");
    lines[30_001] = "abc";
    const body = Buffer.from(lines.join("\n"));
    const whole = await post("/v1/models/m/transform", body, "text/csv", false);
    assert.equal(whole.status, 400);
    const answer = (await whole.json()) as { message: string };
    assert.match(answer.message, /line 30002.*abc|abc.*line 30002/);
    const streamed = await post("/v1/models/m/transform", body, "text/csv", true);
    assert.equal(streamed.status, 200, "the first block was good: the answer had started");
    await assert.rejects(streamed.text(), "the answer ends early, never looking complete");
    assert.equal((await fetch(`${server.url}/livez`)).status, 200);
  });
});
