#!/usr/bin/env node
/** The `modenorm` command line. */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import {
  compareCommand,
  evaluateCommand,
  fitCommand,
  inspectCommand,
  inverseCommand,
  transformCommand,
} from "./commands.js";
import { runDemo } from "./demo.js";
import {
  EXIT_INPUT,
  EXIT_OK,
  EXIT_USAGE,
  intOption,
  list,
  mixedOption,
  numberOption,
  reportError,
} from "./shared.js";
import { handleSignals } from "./signals.js";

handleSignals();

// A reader that stops early (`modenorm inspect m.json --json | head`) is not an error.
// Any other failure to write standard output (e.g. ENOSPC on a full disk) is bad output, not a bug.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  process.stderr.write(
    `modenorm: standard output: cannot write (${err.code ?? "error"}: ${err.message}); the output is incomplete\n`,
  );
  process.exit(EXIT_INPUT);
});

const threadsOption = (v: string): number => {
  const n = intOption("--threads")(v);
  if (n < 1) throw new InvalidArgumentError(`--threads must be at least 1, got ${n}.`);
  return n;
};

const positiveInt =
  (name: string) =>
  (v: string): number => {
    const n = intOption(name)(v);
    if (n < 1) throw new InvalidArgumentError(`${name} must be at least 1, got ${n}.`);
    return n;
  };

const INPUT_HELP =
  "input: a .csv, .csv.gz, .parquet, .arrow/.feather or .arrows file, a directory of part files, a glob (data/part-*.parquet), or - for standard input (CSV or an Arrow IPC stream, detected)";
const OUTPUT_HELP =
  "output: a directory (shards + _manifest.json, written as <dir>.partial until complete), a .parquet/.csv/.csv.gz/.arrow/.arrows file (written block by block to a hidden temporary file, moved into place when complete), or - for standard output (CSV, or --format arrow)";

/** Options every streaming command shares. */
function streamOptions(cmd: Command): Command {
  return cmd
    .option(
      "--block-rows <n>",
      "rows per block read and encoded at once (default 1048576)",
      positiveInt("--block-rows"),
    )
    .option("--no-progress", "no progress bar (it is shown only on a terminal anyway)");
}

/** Options of the commands that write a table. */
function sinkOptions(cmd: Command): Command {
  return streamOptions(cmd)
    .addOption(
      new Option(
        "--format <f>",
        "format of a directory's shards (default parquet) or of standard output (default csv; arrow: an Arrow IPC stream)",
      ).choices(["parquet", "csv", "csv.gz", "arrow"]),
    )
    .addOption(
      new Option(
        "--compression <c>",
        "Parquet compression: none (default, fastest) or zstd (smaller files, several times slower to write)",
      ).choices(["none", "zstd"]),
    )
    .option(
      "--shard-rows <n>",
      "rows per shard of a directory output, a multiple of --block-rows (default 2097152, 2 blocks)",
      positiveInt("--shard-rows"),
    )
    .option("--resume", "continue an interrupted run into the same output, keeping finished shards")
    .option(
      "--threads <n>",
      "worker threads (default: all cores; the output is the same for any number)",
      threadsOption,
    );
}

const program = new Command();
program
  .name("modenorm")
  .description(
    "Gaussian mixtures on large columns and mode-specific normalization (GMM encoding) of tables, with an exact inverse.",
  )
  .version("0.1.0")
  .exitOverride()
  .addHelpText(
    "after",
    "\nExit codes: 0 success; 1 bad input (data, model, option value, existing output); 2 usage error; 3 internal error.\n",
  );

const encodingOption = () =>
  new Option("--encoding <enc>", "CSV text encoding").choices(["utf8", "latin1"]).default("utf8");
const escapeOption = () =>
  new Option(
    "--escape-char <c>",
    "CSV escape character, e.g. '\\' for files that write \\, inside fields",
  );
const nonNumericOption = () =>
  new Option("--non-numeric <policy>", "text in a numeric column: error, or read it as missing")
    .choices(["error", "null"])
    .default("error");

streamOptions(program.command("fit"))
  .description(
    "Fit a model (one spec per column) in one streaming pass and write it as JSON. Mixture columns are fitted on exact value counts while a column has at most 2^20 distinct values, else on a uniform 2^22-row sample, then refined by EM passes over all rows.",
  )
  .argument("<data>", INPUT_HELP)
  .requiredOption("-o, --output <model.json>", "model file to write")
  .option("--columns <a,b,...>", "columns to fit (default: all)", list)
  .option("--categorical <cols>", "fit these columns as categorical", list)
  .option("--continuous <cols>", "fit these columns as continuous", list)
  .option("--integer <cols>", "fit these columns as integers (exact int64 round trip)", list)
  .option("--log <cols>", "fit these columns on a log scale", list)
  .option("--minmax <cols>", "scale these columns to [-1, 1] (CTAB-GAN's general transform)", list)
  .option("--datetime <cols>", "fit these timestamp columns", list)
  .option("--mixed <col=v1,v2>", "a mixed column and its modal values (repeatable)", mixedOption)
  .option("--seed <n>", "seed of the per-row mode sampling", intOption("--seed"), 0)
  .option(
    "--refine-passes <n>",
    "EM passes over all rows for mixture columns fitted on a sample (0: none; default 1)",
    intOption("--refine-passes"),
  )
  .option(
    "--max-modes <n>",
    "mixture components before pruning (default 10)",
    intOption("--max-modes"),
  )
  .option(
    "--weight-threshold <w>",
    "drop modes with weight <= w (default 0.005)",
    numberOption("--weight-threshold"),
  )
  .option("--prior <g>", "Dirichlet-process concentration (default 0.001)", numberOption("--prior"))
  .addOption(
    new Option("--priors <p>", "mean/covariance priors (default weak)").choices([
      "weak",
      "sklearn",
    ]),
  )
  .addOption(
    new Option("--mode-choice <c>", "how a row's mode is chosen (default sample)").choices([
      "sample",
      "argmax",
    ]),
  )
  .addOption(
    new Option("--prune <rule>", "which modes are kept (default weight)").choices([
      "weight",
      "weight-and-argmax",
    ]),
  )
  .option("--scale <s>", "sigma multiplier of alpha (default 4)", numberOption("--scale"))
  .addOption(
    new Option("--unseen <policy>", "unseen categories at transform (default error)").choices([
      "error",
      "other",
    ]),
  )
  .addOption(
    new Option("--category-order <o>", "one-hot order (default frequency)").choices([
      "frequency",
      "first-seen",
    ]),
  )
  .addOption(encodingOption())
  .addOption(escapeOption())
  .addOption(nonNumericOption())
  .option("--overwrite", "replace the output if it exists")
  .option("--json", "print a JSON summary")
  .addHelpText(
    "after",
    `
Examples:
  modenorm fit creditcard.csv --columns Amount -o model.json
  modenorm fit imdb_movies.csv --escape-char '\\' --columns imdbRating,ratingCount,year,type -o movies.json
  modenorm fit bank.parquet --mixed balance=0,-9999 --log income --integer age --categorical job -o bank.json
  modenorm fit 'parts/part-*.parquet' --columns Amount -o model.json --json`,
  )
  .action((data: string, o) => fitCommand(data, o));

sinkOptions(program.command("transform"))
  .description("Encode a table with a model, streaming, on worker threads.")
  .argument("<data>", INPUT_HELP)
  .requiredOption("-m, --model <model.json>", "model file")
  .requiredOption("-o, --output <path>", OUTPUT_HELP)
  .addOption(
    new Option("--layout <layout>", "compact (exact) or dense (GAN, float32)")
      .choices(["compact", "dense"])
      .default("compact"),
  )
  .option(
    "--max-dense-columns <n>",
    "widest dense layout allowed, in columns (default 4096: a wider one is refused before writing)",
    positiveInt("--max-dense-columns"),
  )
  .addOption(encodingOption())
  .addOption(escapeOption())
  .addOption(nonNumericOption())
  .option("--overwrite", "replace the output if it exists")
  .option("--json", "print a JSON summary (with the dense layout's spans)")
  .addHelpText(
    "after",
    `
Examples:
  modenorm transform creditcard.csv -m model.json -o encoded.parquet
  modenorm transform parts/ -m model.json -o encoded/            # shards + manifest
  modenorm transform parts/ -m model.json -o encoded/ --resume   # after a killed run
  cat rows.csv | modenorm transform - -m model.json -o - > encoded.csv
  producer | modenorm transform - -m model.json -o - --format arrow | consumer   # Arrow IPC stream
  modenorm transform creditcard.csv -m model.json -o gan-input.parquet --layout dense --json`,
  )
  .action((data: string, o) => transformCommand(data, o));

sinkOptions(program.command("inverse"))
  .description("Decode an encoded table (either layout) back to the original columns, streaming.")
  .argument("<encoded>", INPUT_HELP)
  .requiredOption("-m, --model <model.json>", "model file")
  .requiredOption("-o, --output <path>", OUTPUT_HELP)
  .addOption(encodingOption())
  .addOption(
    new Option(
      "--output-encoding <enc>",
      "text encoding of CSV output (default: the input encoding transform recorded in the encoded directory's manifest, else utf8)",
    ).choices(["utf8", "latin1"]),
  )
  .addOption(escapeOption())
  .option("--overwrite", "replace the output if it exists")
  .option("--json", "print a JSON summary")
  .addHelpText(
    "after",
    "\nExamples:\n  modenorm inverse encoded.parquet -m model.json -o decoded.csv\n  modenorm inverse encoded/ -m model.json -o decoded/",
  )
  .action((data: string, o) => inverseCommand(data, o));

streamOptions(program.command("evaluate"))
  .description(
    "Encode, decode and compare every value (streaming); report exactness and fit quality per column. Exits 1 when a value does not come back.",
  )
  .argument("<data>", INPUT_HELP)
  .requiredOption("-m, --model <model.json>", "model file")
  .option(
    "--threads <n>",
    "worker threads (default: all cores; the result is the same for any number)",
    threadsOption,
  )
  .addOption(encodingOption())
  .addOption(escapeOption())
  .addOption(nonNumericOption())
  .option("--json", "print JSON")
  .addHelpText("after", "\nExamples:\n  modenorm evaluate creditcard.csv -m model.json --json")
  .action((data: string, o) => evaluateCommand(data, o));

streamOptions(program.command("compare"))
  .description(
    "Compare two tables value by value (bit for bit, nulls included), e.g. an inverse output with the original. Exits 1 when a value differs.",
  )
  .argument("<a>", INPUT_HELP)
  .argument("<b>", "the other table (same kinds of input)")
  .addOption(encodingOption())
  .addOption(
    new Option(
      "--encoding-b <enc>",
      "CSV text encoding of <b> (default: that of --encoding)",
    ).choices(["utf8", "latin1"]),
  )
  .addOption(escapeOption())
  .option("--json", "print JSON")
  .addHelpText("after", "\nExamples:\n  modenorm compare parts/ decoded/\n")
  .action((a: string, b: string, o) => compareCommand(a, b, o));

program
  .command("inspect")
  .description("Show a model: per column its kind and, for mixture columns, every kept mode.")
  .argument("<model.json>", "model file")
  .option(
    "--json",
    'stable JSON: {"columns":[{"name","kind","modes":[{"weight","mean","std"}]}],"dense":[spans]}',
  )
  .addHelpText("after", "\nExamples:\n  modenorm inspect model.json --json")
  .action((path: string, o) => inspectCommand(path, o));

program
  .command("demo")
  .description(
    "The main job on a generated table: write Parquet parts, fit, transform, inverse, compare every value, evaluate; print time, rows/s and peak memory per stage, and the peer's numbers (scikit-learn) on the same column when it can run.",
  )
  .option("--rows <n>", "rows to generate", positiveInt("--rows"), 5_000_000)
  .option("--seed <n>", "random seed", intOption("--seed"), 7)
  .option("--threads <n>", "worker threads (default: all cores)", threadsOption)
  .addOption(
    new Option("--peer <mode>", "run the peer on the value column when available")
      .choices(["auto", "off"])
      .default("auto"),
  )
  .option(
    "--peer-fit-rows <n>",
    "rows the peer fits on (it needs ~45 s per million here)",
    positiveInt("--peer-fit-rows"),
    500_000,
  )
  .option("--keep", "keep the generated and encoded files (their directory is printed)")
  .option("--no-progress", "no progress bars")
  .option("--json", "print one JSON object instead of the table")
  .addHelpText(
    "after",
    "\nExamples:\n  modenorm demo\n  modenorm demo --rows 1000000 --peer off --json\n",
  )
  .action((o) => runDemo(o));

program.parseAsync(process.argv).then(
  () => {
    process.exitCode ??= EXIT_OK;
  },
  (err: unknown) => {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help / version text).
      process.exitCode = err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return;
    }
    process.exitCode = reportError(err);
  },
);
