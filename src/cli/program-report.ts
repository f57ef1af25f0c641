/** The command line of `report`. */
import type { Command } from "commander";
import { columnList, outputPathOption } from "./option-checks.js";
import { INPUT_HELP, modelReadOptions, streamOptions, verdictOptions } from "./option-sets.js";

/** Adds `report` to the program. */
export function addReportCommand(program: Command): void {
  verdictOptions(modelReadOptions(streamOptions(program.command("report"))), "with --compare: ")
    .description(
      "Write one self-contained HTML page (no script, nothing fetched; light and dark) of a model and data it encodes: per mixture column the histogram with the mixture and its modes, the modes' weights, the fit's bound per iteration and the round trip; per categorical column its categories; for a clustering model a scatter with each component's ellipses. --compare adds the drift of other data, drifting columns first. Streams the input once.",
    )
    .argument("<data>", INPUT_HELP)
    .requiredOption(
      "-m, --model <model.json>",
      "model file (written by modenorm fit, or a clustering model written by modenorm cluster)",
    )
    .requiredOption("-o, --output <report.html>", "the HTML page to write", outputPathOption)
    .option(
      "--compare <data>",
      "other data to compare (same kinds of input): its densities, mode occupancy and drift verdict per column",
    )
    .option(
      "--png <dir>",
      "also write every chart as a PNG file into this directory (created if absent)",
    )
    .option(
      "--columns <a,b,...>",
      "columns to show (default: all); for a clustering model the scatter's two columns x,y (default: its first two)",
      columnList("--columns"),
    )
    .option("--overwrite", "replace an earlier report (and PNG files) of the same names")
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      "\nExamples:\n  modenorm report creditcard.parquet -m model.json -o report.html\n  modenorm report day1.csv -m model.json -o drift.html --compare day2.csv --png charts/\n  modenorm report imdb_movies.csv --escape-char '\\' -m clusters.json -o clusters.html --columns imdbRating,duration",
    )
    .action(async (data: string, o) =>
      (await import("./report-command.js")).reportCommand(data, o),
    );
}
