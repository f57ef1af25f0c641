/**
 * Charts as PNG files through resvg (`@resvg/resvg-js`, a prebuilt binary: no native build, no
 * browser). resvg does not fall back to other fonts the way fontconfig does, so the DejaVu font
 * files are given explicitly; without them text would silently disappear.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { IoError } from "../io/errors.js";
import { CHART_FONT } from "./vega.js";

/** Where Debian's `fonts-dejavu-core` puts its files. */
export const DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu";
const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];

/** Text colour of the PNGs (light scheme, on white). */
export const PNG_INK = "#1b1f24";

/**
 * The DejaVu Sans files in `dir` (default: `MODENORM_FONT_DIR`, else {@link DEJAVU_DIR}).
 * @throws IoError naming the directory and how to install the fonts when a file is missing.
 */
export function dejavuFonts(dir = process.env.MODENORM_FONT_DIR ?? DEJAVU_DIR): string[] {
  const files = FONT_FILES.map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new IoError(
      `--png: font file ${missing[0]} not found, so chart text could not be drawn; install Debian's fonts-dejavu-core (apt-get install fonts-dejavu-core), or set MODENORM_FONT_DIR to a directory holding ${FONT_FILES.join(" and ")}`,
    );
  return files;
}

/** A chart's SVG as PNG bytes: twice its size, on white, text in {@link PNG_INK}. */
export function svgToPng(svg: string, fontFiles: readonly string[]): Buffer {
  const r = new Resvg(svg.replaceAll("currentColor", PNG_INK), {
    background: "white",
    fitTo: { mode: "zoom", value: 2 },
    font: { loadSystemFonts: false, fontFiles: [...fontFiles], defaultFontFamily: CHART_FONT },
  });
  return r.render().asPng();
}
