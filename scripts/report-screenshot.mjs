#!/usr/bin/env node
// The README's screenshot of a report, generated: fits the credit-card amounts of
// ../shared/data/creditcard_amount.parquet (its Amount column) with the built CLI (dist/src/cli/main.js, so
// `npm run build` first), writes their report, opens it in Debian's Chromium (playwright-core,
// headless, a fresh profile, no network) and saves the Amount column's section as
// docs/report-screenshot.png.
//
//   node scripts/report-screenshot.mjs [--data PATH] [--out PATH] [--chromium PATH] [--dark]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli", "main.js");
const { values } = parseArgs({
  options: {
    data: {
      type: "string",
      default: resolve(root, "..", "shared", "data", "creditcard_amount.parquet"),
    },
    out: { type: "string", default: join(root, "docs", "report-screenshot.png") },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    dark: { type: "boolean", default: false },
  },
});

const dir = mkdtempSync(join(tmpdir(), "modenorm-screenshot-"));
try {
  const run = (...args) =>
    execFileSync(process.execPath, [cli, ...args], {
      cwd: dir,
      stdio: ["ignore", "pipe", "inherit"],
    });
  run("fit", values.data, "--columns", "Amount", "-o", "model.json", "--no-progress");
  run("report", values.data, "-m", "model.json", "-o", "report.html", "--no-progress");
  const browser = await chromium.launch({
    executablePath: values.chromium,
    chromiumSandbox: false,
    args: ["--disable-gpu", "--no-first-run"],
  });
  try {
    const context = await browser.newContext({
      colorScheme: values.dark ? "dark" : "light",
      viewport: { width: 1200, height: 900 },
      deviceScaleFactor: 1,
    });
    await context.route("**/*", (r) =>
      r.request().url().startsWith("file:") ? r.continue() : r.abort(),
    );
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(dir, "report.html")).href);
    await page.locator("section.column").first().screenshot({ path: values.out });
  } finally {
    await browser.close();
  }
  process.stdout.write(`${values.out}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
