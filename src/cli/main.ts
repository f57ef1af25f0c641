#!/usr/bin/env node
/** The `modenorm` command line. */
import { Command, CommanderError, Option } from "commander";
import {
  checkFitColumns,
  checkShardRows,
  checkSinkFormat,
  columnList,
  intInRange,
  numberInRange,
  outputPathOption,
  seedOption,
  threadsOption,
} from "./option-checks.js";
import {
  encodingOption,
  escapeOption,
  INPUT_HELP,
  modelReadOptions,
  nonNumericOption,
  OUTPUT_HELP,
  redisOptions,
  sinkOptions,
  streamOptions,
  verdictOptions,
} from "./option-sets.js";
import { addClusterCommands } from "./program-cluster.js";
import { addReportCommand } from "./program-report.js";
import { EXIT_INPUT, EXIT_OK, EXIT_USAGE, mixedOption, reportError } from "./shared.js";
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

const positiveInt = (name: string) => intInRange(name, 1);

// The commands' modules load DuckDB, Apache Arrow and the kernels (about a second): they are
// loaded when a command runs, so that --help, usage errors and bad option values answer at once.
const commands = () => import("./commands.js");

const program = new Command();
// Usage errors read like every other message: one line starting `modenorm: `. Subcommands take
// this setting when they are created.
program.configureOutput({
  outputError: (text, write) => write(`modenorm: ${text.replace(/^error: /, "")}`),
});
program
  .name("modenorm")
  .description(
    "Gaussian mixtures on large columns and mode-specific normalization (GMM encoding) of tables, with an exact inverse.",
  )
  .version("0.1.0")
  .exitOverride()
  .addHelpText(
    "after",
    "\nExit codes: 0 success; 1 bad input (data, model, existing output, refused operation); 2 usage error (unknown command or option, invalid option value, contradictory options); 3 drift found (drift); 70 internal error.\n",
  );

redisOptions(
  streamOptions(program.command("fit")),
  "every pass over the rows, the model the same bytes as without",
)
  .description(
    "Fit a model (one spec per column) in one streaming pass and write it as JSON. Mixture columns are fitted on exact value counts while a column has at most 2^20 distinct values, else on a uniform 2^22-row sample, then refined by EM passes over all rows.",
  )
  .argument("<data>", INPUT_HELP)
  .requiredOption("-o, --output <model.json>", "model file to write", outputPathOption)
  .option("--columns <a,b,...>", "columns to fit (default: all)", columnList("--columns"))
  .option("--categorical <cols>", "fit these columns as categorical", columnList("--categorical"))
  .option("--continuous <cols>", "fit these columns as continuous", columnList("--continuous"))
  .option(
    "--integer <cols>",
    "fit these columns as integers (exact int64 round trip)",
    columnList("--integer"),
  )
  .option("--log <cols>", "fit these columns on a log scale", columnList("--log"))
  .option(
    "--minmax <cols>",
    "scale these columns to [-1, 1] (CTAB-GAN's general transform)",
    columnList("--minmax"),
  )
  .option("--datetime <cols>", "fit these timestamp columns", columnList("--datetime"))
  .option("--mixed <col=v1,v2>", "a mixed column and its modal values (repeatable)", mixedOption)
  .option("--seed <n>", "seed of the per-row mode sampling, 0 to 2^53 - 1", seedOption, 0)
  .option(
    "--refine-passes <n>",
    "EM passes over all rows for mixture columns fitted on a sample (0: none; default 1)",
    intInRange("--refine-passes", 0),
  )
  .option(
    "--threads <n>",
    "worker threads that read CSV files, at most 4 per core (default: the cores but one, at least 1; the model is the same for any number)",
    threadsOption,
  )
  .option(
    "--max-modes <n>",
    "mixture components before pruning, at least 1 (default 10)",
    intInRange("--max-modes", 1),
  )
  .option(
    "--weight-threshold <w>",
    "drop modes with weight <= w, 0 <= w < 1; the heaviest mode is always kept (default 0.005)",
    numberInRange("--weight-threshold", { min: 0, minIncluded: true, max: 1, maxIncluded: false }),
  )
  .option(
    "--prior <g>",
    "Dirichlet-process concentration, > 0 (default 0.001)",
    numberInRange("--prior", { min: 0, minIncluded: false }),
  )
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
  .option(
    "--scale <s>",
    "sigma multiplier of alpha, > 0 (default 4)",
    numberInRange("--scale", { min: 0, minIncluded: false }),
  )
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
  .action(async (data: string, o) => {
    checkFitColumns(o);
    return (await commands()).fitCommand(data, o);
  });

redisOptions(
  sinkOptions(program.command("transform")),
  "one job per shard, the same bytes as without",
)
  .description("Encode a table with a model, streaming, on worker threads.")
  .argument("<data>", INPUT_HELP)
  .requiredOption("-m, --model <model.json>", "model file")
  .requiredOption("-o, --output <path>", OUTPUT_HELP, outputPathOption)
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
  .action(async (data: string, o) => {
    checkShardRows(o);
    checkSinkFormat(o);
    return (await commands()).transformCommand(data, o);
  });

redisOptions(
  sinkOptions(program.command("inverse")),
  "one job per shard, the same bytes as without",
)
  .description("Decode an encoded table (either layout) back to the original columns, streaming.")
  .argument("<encoded>", INPUT_HELP)
  .requiredOption("-m, --model <model.json>", "model file")
  .requiredOption("-o, --output <path>", OUTPUT_HELP, outputPathOption)
  .addOption(encodingOption())
  .addOption(
    new Option(
      "--output-encoding <enc>",
      "text encoding of CSV output (default: the input encoding transform recorded in the encoded directory's manifest, else utf8)",
    ).choices(["utf8", "latin1"]),
  )
  .addOption(escapeOption())
  .option(
    "--no-model-check",
    "decode input that records another model, or none: a CSV or Arrow file, standard input, rows a generator made (a directory or a Parquet file written by transform records its model's SHA-256, checked by default)",
  )
  .option("--overwrite", "replace the output if it exists")
  .option("--json", "print a JSON summary")
  .addHelpText(
    "after",
    "\nExamples:\n  modenorm inverse encoded/ -m model.json -o decoded/\n  modenorm inverse encoded.parquet -m model.json -o decoded.csv\n  modenorm inverse synthetic.csv -m model.json -o decoded.csv --no-model-check   # generated rows record no model",
  )
  .action(async (data: string, o) => {
    checkShardRows(o);
    checkSinkFormat(o);
    return (await commands()).inverseCommand(data, o);
  });

redisOptions(
  modelReadOptions(streamOptions(program.command("evaluate"))),
  "the same report as without",
)
  .description(
    "Encode, decode and compare every value (streaming); report exactness and fit quality per column. Exits 1 when a value does not come back.",
  )
  .argument("<data>", INPUT_HELP)
  .requiredOption("-m, --model <model.json>", "model file")
  .option("--json", "print JSON")
  .addHelpText("after", "\nExamples:\n  modenorm evaluate creditcard.csv -m model.json --json")
  .action(async (data: string, o) => (await commands()).evaluateCommand(data, o));

verdictOptions(modelReadOptions(streamOptions(program.command("drift"))))
  .description(
    "Check whether new data still looks like the data the model was fitted on, per column, from the baseline the model stores (streaming). Exits 0 with no drift (warnings allowed), 3 when the data drift.",
  )
  .argument("<data>", INPUT_HELP)
  .requiredOption(
    "-m, --model <model.json>",
    "model file (written by modenorm fit: version 2 or later)",
  )
  .option(
    "--chunk-rows <n>",
    "one verdict per this many rows, in input order (for time-ordered data)",
    positiveInt("--chunk-rows"),
  )
  .option("--json", "print one JSON object")
  .addHelpText(
    "after",
    "\nExamples:\n  modenorm drift today.parquet -m model.json\n  modenorm drift events.csv -m model.json --chunk-rows 100000 --critical amount --json",
  )
  .action(async (data: string, o) => (await import("./drift-command.js")).driftCommand(data, o));

addReportCommand(program);

program
  .command("serve")
  .description(
    "Serve a versioned model registry and the transform, inverse, score and drift routes over HTTP, with Prometheus metrics at /metrics and OpenAPI at /openapi.json.",
  )
  .requiredOption("--models <dir>", "the registry's directory (created if absent)")
  .option(
    "--host <host>",
    "address to listen on (a non-loopback one needs --token-file)",
    "127.0.0.1",
  )
  .option("--port <n>", "port, 0 for any free one", intInRange("--port", 0, 65535), 8080)
  .option(
    "--token-file <file>",
    "file whose first line is the bearer token that writes need (16+ characters)",
  )
  .option("--token-reads", "reads and data routes need the token too")
  .option(
    "--threads <n>",
    "worker threads for bodies of 65,536 rows or more (default: none, every request on the server's thread; the answers are the same)",
    threadsOption,
  )
  .option(
    "--processes <n>",
    "server processes sharing the port (default 1); registry writes are seen by every process once answered, /metrics sums them all",
    intInRange("--processes", 1, 64),
  )
  .addHelpText(
    "after",
    "\nExamples:\n  modenorm serve --models models/ --port 8080\n  curl -X POST --data-binary @model.json -H 'Content-Type: application/json' -H \"Authorization: Bearer $TOKEN\" localhost:8080/v1/models/credit/versions",
  )
  .action(async (o) => (await import("./serve-command.js")).serveCommand(o));

addClusterCommands(program);

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
  .action(async (a: string, b: string, o) => (await commands()).compareCommand(a, b, o));

program
  .command("inspect")
  .description("Show a model: per column its kind and, for mixture columns, every kept mode.")
  .argument("<model.json>", "model file")
  .option(
    "--json",
    'stable JSON: {"columns":[{"name","kind","modes":[{"weight","mean","std"}]}],"dense":[spans]}',
  )
  .addHelpText("after", "\nExamples:\n  modenorm inspect model.json --json")
  .action(async (path: string, o) => (await import("./inspect.js")).inspectCommand(path, o));

program
  .command("demo")
  .description(
    "The main job on a generated table: write Parquet parts, fit, transform, inverse, compare every value, evaluate; print time, rows/s and peak memory per stage, and the peer's numbers (scikit-learn) on the same column when it can run.",
  )
  .option("--rows <n>", "rows to generate", positiveInt("--rows"), 5_000_000)
  .option("--seed <n>", "random seed, 0 to 2^53 - 1", seedOption, 7)
  .option("--threads <n>", "worker threads, at most 4 per core (default: all cores)", threadsOption)
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
  .option(
    "--report <file.html>",
    "write a report of the run (modenorm report) to this file, replacing an earlier report",
    "modenorm-demo-report.html",
  )
  .option("--no-report", "write no report")
  .option("--no-progress", "no progress bars")
  .option("--json", "print one JSON object instead of the table")
  .addHelpText(
    "after",
    "\nExamples:\n  modenorm demo\n  modenorm demo --rows 1000000 --peer off --json\n",
  )
  .action(async (o) => (await import("./demo.js")).runDemo(o));

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
