/** Opening reports in headless Chromium (Debian's, driven by playwright-core) for the tests. */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Why the browser tests skip, or false when Chromium is there. */
export const NO_CHROMIUM = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} absent: install Debian's chromium (apt-get install -y chromium; .ci/run does) to run the browser tests`;

/** A headless Chromium with a fresh temporary profile and no network. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync"],
  });
}

/** An opened report with what the page did: console errors and every request's URL. */
export interface OpenedReport {
  page: Page;
  errors: string[];
  requests: string[];
  close(): Promise<void>;
}

/** Opens `path` in a new context with the given colour scheme; other requests than file: fail. */
export async function openReport(
  browser: Browser,
  path: string,
  colorScheme: "light" | "dark",
): Promise<OpenedReport> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  await context.route("**/*", (r) =>
    r.request().url().startsWith("file:") ? r.continue() : r.abort(),
  );
  await page.goto(pathToFileURL(path).href, { waitUntil: "load" });
  return { page, errors, requests, close: () => context.close() };
}

/** How many `path` elements (Vega's drawn marks) the named mark group has inside `scope`. */
export function marks(page: Page, scope: string, name: string): Promise<number> {
  return page.locator(`${scope} g.role-mark.${name} > path`).count();
}
