/** PNG export: the charts' SVG through resvg with the DejaVu fonts, decoded and looked at. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { boundSpec, weightsSpec } from "../../src/report/charts-column.js";
import { DEJAVU_DIR, dejavuFonts, svgToPng } from "../../src/report/png.js";
import { renderSvg } from "../../src/report/vega.js";
import { decodePng, differingPixels, inkPixels } from "./png-decode.js";

const fontsThere = existsSync(join(DEJAVU_DIR, "DejaVuSans.ttf"));
const NO_FONTS = `${DEJAVU_DIR}/DejaVuSans.ttf absent: install Debian's fonts-dejavu-core (.ci/run does)`;

/** The SVG's width and height attributes. */
function svgSize(svg: string): [number, number] {
  const m = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  assert.ok(m, "the SVG has a width and a height");
  return [Number(m[1]), Number(m[2])];
}

describe("report PNG export", () => {
  it("svgToPng draws the chart at twice its size, and its text is drawn (not blank)", {
    skip: fontsThere ? false : NO_FONTS,
  }, async () => {
    const fonts = dejavuFonts();
    const modes = [
      { weight: 0.6, mean: 12.5, std: 0.5 },
      { weight: 0.4, mean: 250, std: 20 },
    ];
    for (const spec of [weightsSpec(modes, ""), boundSpec([-5, -3, -2.5, -2.49, -2.4899], 1e-3)]) {
      const svg = await renderSvg(spec);
      const [w, h] = svgSize(svg);
      const img = decodePng(svgToPng(svg, fonts));
      assert.equal(img.width, 2 * w);
      assert.equal(img.height, 2 * h);
      assert.ok(inkPixels(img) > 1000, "something is drawn on the white background");
      // The same chart without its text: the text alone must change many pixels.
      const bare = decodePng(svgToPng(svg.replace(/<text[^>]*>[^<]*<\/text>/g, ""), fonts));
      const textPixels = differingPixels(img, bare);
      assert.ok(textPixels > 500, `text changes ${textPixels} pixels`);
      // Text is drawn in the light scheme's ink (dark on white), never in currentColor's default.
      let dark = 0;
      for (let i = 0; i < img.width * img.height; i++) {
        if (img.rgba[i * 4]! < 80 && img.rgba[i * 4 + 1]! < 80 && img.rgba[i * 4 + 2]! < 80) dark++;
      }
      assert.ok(dark > 200, `${dark} dark pixels`);
    }
  });

  it("dejavuFonts names the missing directory and the package to install", () => {
    assert.throws(
      () => dejavuFonts("/nonexistent-fonts"),
      /\/nonexistent-fonts\/DejaVuSans\.ttf not found.*fonts-dejavu-core/,
    );
  });
});
