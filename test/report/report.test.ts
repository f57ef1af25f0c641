/**
 * `modenorm report` end to end: reports of real data (the credit-card amounts, IMDb movies as a
 * clustering) and of generated data (every column kind, with --compare and --png), opened in
 * headless Chromium: no console error, no request but the file itself, as many drawn marks as
 * bins, modes, categories, clusters and iterations, light and dark schemes, a screenshot that
 * is not blank.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { Random } from "../../src/core/rng.js";
import { HISTOGRAM_BINS } from "../../src/report/histogram.js";
import { fails, inTempDir, ok, sharedFile } from "../cli/helpers.js";
import { launch, marks, NO_CHROMIUM, openReport } from "./browser.js";
import { decodePng, inkPixels } from "./png-decode.js";

interface ModelFile {
  columns: {
    name: string;
    kind: string;
    modes?: unknown[];
    modalValues?: number[];
    fit?: { iterations: number };
  }[];
}

/** Rows of the generated table: every kind of column; `shift` moves `value` (drift). */
function generated(n: number, seed: number, shift: number): string {
  const rng = new Random(seed);
  const normal = () =>
    Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
  const lines = ["value,amount,kind,score"];
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    const value = u < 0.3 ? -5 + normal() : u < 0.8 ? 0.5 * normal() : 8 + 2 * normal();
    const amount = rng.random() < 0.2 ? 0 : Math.round(Math.exp(3 + normal()) * 100) / 100;
    // 30 categories, the first ones frequent; the compared data also has unseen ones.
    const c = Math.min(29, Math.floor(-Math.log(1 - rng.random()) * 6));
    const kind = shift !== 0 && rng.random() < 0.02 ? "new" : `c${String(c).padStart(2, "0")}`;
    const score = Math.round(rng.random() * 1000) / 10;
    lines.push(`${value + shift},${amount},${kind},${score}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The DOM's getComputedStyle, as much as the tests use (they are compiled without the DOM's types). */
interface ComputedStyle {
  getComputedStyle(e: unknown): { fill: string };
}

/** Evaluated in the page. */
const BODY_BACKGROUND = "getComputedStyle(document.body).backgroundColor";

/** The page's screenshot has ink on most of its lines (not a blank page). */
async function notBlank(shot: Buffer): Promise<void> {
  const img = decodePng(shot);
  const ink = inkPixels(img);
  assert.ok(
    ink > 0.03 * img.width * img.height,
    `screenshot: ${ink} of ${img.width * img.height} pixels drawn`,
  );
}

describe("modenorm report in Chromium", { skip: NO_CHROMIUM }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it("generated data, every kind, --compare and --png: marks, order, schemes, PNGs", async (t) => {
    await inTempDir(async (dir) => {
      writeFileSync(join(dir, "gen.csv"), generated(20_000, 1, 0));
      writeFileSync(join(dir, "new.csv"), generated(20_000, 2, 1.5));
      ok(dir, ["fit", "gen.csv", "--mixed", "amount=0", "--minmax", "score", "-o", "model.json"]);
      const model = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as ModelFile;
      const r = JSON.parse(
        ok(dir, [
          "report",
          "gen.csv",
          "-m",
          "model.json",
          "-o",
          "gen.html",
          "--compare",
          "new.csv",
          "--png",
          "png",
          "--json",
        ]),
      ) as { bytes: number; charts: number; rows: number; png: { files: number } };
      t.diagnostic(`generated report: ${r.bytes} bytes, ${r.charts} charts`);
      assert.equal(r.rows, 20_000);
      assert.ok(r.bytes < 1_000_000, `${r.bytes} bytes for 4 columns`);
      const pngs = readdirSync(join(dir, "png")).filter((f) => f.endsWith(".png"));
      assert.equal(pngs.length, r.charts);
      for (const f of pngs)
        assert.ok(inkPixels(decodePng(readFileSync(join(dir, "png", f)))) > 500, f);

      const light = await openReport(browser, join(dir, "gen.html"), "light");
      const page = light.page;
      const value = model.columns.find((c) => c.name === "value")!;
      const amount = model.columns.find((c) => c.name === "amount")!;
      const K = value.modes!.length;
      assert.ok(K >= 3, `value has ${K} modes`);
      assert.equal(await marks(page, "#col-value-density", "hist_bars"), HISTOGRAM_BINS);
      assert.equal(await marks(page, "#col-value-density", "mix_pdf"), 1);
      assert.equal(await marks(page, "#col-value-density", "mode_pdf"), K);
      assert.equal(await marks(page, "#col-value-modes", "mode_weights"), K);
      assert.equal(
        await marks(page, "#col-value-bound", "bound_points"),
        value.fit!.iterations - 1,
      );
      assert.equal(await marks(page, "#col-amount-modes", "mode_weights"), amount.modes!.length);
      // Categorical: the top 20 of 30 categories and one bar for the rest.
      assert.equal(await marks(page, "#col-kind-categories", "cat_bars"), 21);
      assert.equal(await marks(page, "#col-score-density", "hist_bars"), HISTOGRAM_BINS);
      assert.equal(await marks(page, "#col-score-density", "mode_pdf"), 0);
      // Compare: old and new densities, and occupancy bars for both of every slot.
      assert.equal(await marks(page, "#col-value-compare", "old_density"), 1);
      assert.equal(await marks(page, "#col-value-compare", "new_density"), 1);
      assert.equal(await marks(page, "#col-value-occupancy", "occupancy"), 2 * (K + 1));
      assert.equal(
        await marks(page, "#col-amount-occupancy", "occupancy"),
        2 * (amount.modes!.length + 2),
      );
      assert.equal(await marks(page, "#col-kind-occupancy", "occupancy"), 2 * 21);
      // The drifting column comes first, and says so.
      const order = await page.locator("section.column").evaluateAll((s) => s.map((e) => e.id));
      assert.equal(order[0], "col-value");
      assert.match(
        await page.locator("#col-value h3", { hasText: "Compared" }).innerText(),
        /drift/,
      );
      assert.equal(await page.locator("script").count(), 0, "no script in the page");
      const bg = await page.evaluate(BODY_BACKGROUND);
      assert.equal(bg, "rgb(255, 255, 255)");
      await notBlank(await page.screenshot());
      assert.deepEqual(light.errors, []);
      assert.ok(
        light.requests.every((u) => u.startsWith("file:")),
        light.requests.join(" "),
      );
      await light.close();

      const dark = await openReport(browser, join(dir, "gen.html"), "dark");
      const dbg = await dark.page.evaluate(BODY_BACKGROUND);
      assert.equal(dbg, "rgb(17, 20, 24)");
      const ink = await dark.page
        .locator("#col-value-density svg text")
        .first()
        .evaluate((e) => (globalThis as unknown as ComputedStyle).getComputedStyle(e).fill);
      assert.equal(ink, "rgb(227, 230, 234)", "chart text follows the dark scheme");
      await notBlank(await dark.page.locator("#col-value-density").screenshot());
      assert.deepEqual(dark.errors, []);
      await dark.close();

      // An existing page is replaced only with --overwrite, and only when it is a report.
      fails(dir, ["report", "gen.csv", "-m", "model.json", "-o", "gen.html"], 1, [
        "already exists",
      ]);
      writeFileSync(join(dir, "notes.html"), "<p>mine</p>\n");
      fails(dir, ["report", "gen.csv", "-m", "model.json", "-o", "notes.html", "--overwrite"], 1, [
        "is not a report written by modenorm report",
      ]);
      assert.equal(readFileSync(join(dir, "notes.html"), "utf8"), "<p>mine</p>\n");
    });
  });

  it("the credit-card amounts: marks of the real column, a log-type axis, every value exact", async (t) => {
    const data = sharedFile(t, "creditcard_amount.parquet");
    if (data === null) return;
    await inTempDir(async (dir) => {
      ok(dir, ["fit", data, "--columns", "Amount", "-o", "model.json"]);
      const model = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as ModelFile;
      const r = JSON.parse(
        ok(dir, ["report", data, "-m", "model.json", "-o", "cc.html", "--json"]),
      );
      t.diagnostic(`credit-card report: ${r.bytes} bytes, ${r.charts} charts, ${r.rows} rows`);
      const col = model.columns[0]! as ModelFile["columns"][number] & { rows: number };
      assert.equal(r.rows, col.rows);
      assert.equal(r.charts, 3);
      const id = "#col-amount";
      const { page, errors, requests, close } = await openReport(
        browser,
        join(dir, "cc.html"),
        "light",
      );
      assert.equal(await marks(page, `${id}-density`, "hist_bars"), HISTOGRAM_BINS);
      assert.equal(await marks(page, `${id}-density`, "mode_pdf"), col.modes!.length);
      assert.equal(await marks(page, `${id}-modes`, "mode_weights"), col.modes!.length);
      assert.equal(await marks(page, `${id}-bound`, "bound_points"), col.fit!.iterations - 1);
      assert.match(
        await page.locator(`${id} p.note`).first().innerText(),
        /on a (symlog|log) axis/,
      );
      assert.match(await page.locator(id).innerText(), /Every value came back bit for bit/);
      await notBlank(await page.screenshot());
      assert.deepEqual(errors, []);
      assert.ok(requests.every((u) => u.startsWith("file:")));
      await close();
    });
  });

  it("IMDb movies as a clustering: scatter points, 1σ and 2σ ellipses per cluster, bound per iteration", async (t) => {
    const movies = sharedFile(t, "imdb_movies.csv");
    if (movies === null) return;
    await inTempDir(async (dir) => {
      // The movies as every command here reads them, and a report of the clustering.
      const movieArgs = [movies, "--escape-char", "\\"];
      const report = (...more: string[]) => ["report", ...movieArgs, "-m", "c.json", ...more];
      const fit = ["--components", "4", "--standardize", "--missing", "skip", "-o", "c.json"];
      ok(dir, [
        "cluster",
        ...movieArgs,
        "--columns",
        "imdbRating,ratingCount,duration,year",
        ...fit,
      ]);
      const m = JSON.parse(readFileSync(join(dir, "c.json"), "utf8")) as {
        fit: { iterations: number };
      };
      const r = JSON.parse(
        ok(dir, report("-o", "imdb.html", "--columns", "imdbRating,duration", "--json")),
      );
      t.diagnostic(`IMDb clustering report: ${r.bytes} bytes`);
      const { page, errors, requests, close } = await openReport(
        browser,
        join(dir, "imdb.html"),
        "dark",
      );
      assert.equal(await marks(page, "#clusters-scatter", "ellipse"), 2 * 4);
      const points = await marks(page, "#clusters-scatter", "scatter_points");
      assert.equal(points, 5000, "5,000 of the movies drawn");
      assert.equal(await marks(page, "#clusters-bound", "bound_points"), m.fit.iterations - 1);
      // Four clusters in the legend.
      assert.equal(await page.locator("#clusters-scatter g.role-legend-symbol path").count(), 4);
      await notBlank(await page.locator("#clusters-scatter").screenshot());
      assert.deepEqual(errors, []);
      assert.ok(requests.every((u) => u.startsWith("file:")));
      await close();
      // A clustering report takes no --compare; --columns names two of its columns.
      fails(dir, report("-o", "x.html", "--columns", "imdbRating"), 2, ["two columns"]);
      fails(dir, report("-o", "x.html", "--compare", movies), 2, [
        "--compare needs a model written by modenorm fit",
      ]);
      assert.ok(!readdirSync(dir).includes("x.html"));
      assert.ok(statSync(join(dir, "imdb.html")).size === r.bytes);
    });
  });
});
