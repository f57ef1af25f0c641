/** Option sets that several commands share (commander definitions). */
import { type Command, Option } from "commander";
import {
  blockRowsOption,
  columnList,
  escapeCharOption,
  intInRange,
  numberInRange,
  threadsOption,
} from "./option-checks.js";

const positiveInt = (name: string) => intInRange(name, 1);

export const INPUT_HELP =
  "input: a .csv, .csv.gz, .parquet, .arrow/.feather or .arrows file, a directory of part files, a glob (data/part-*.parquet), or - for standard input (CSV or an Arrow IPC stream, detected)";
export const OUTPUT_HELP =
  "output: a directory (shards + _manifest.json, written as <dir>.partial until complete), a .parquet/.csv/.csv.gz/.arrow/.arrows file (written block by block to a hidden temporary file, moved into place when complete), or - for standard output (CSV, or --format arrow)";

/** Options every streaming command shares. */
export function streamOptions(cmd: Command): Command {
  return cmd
    .option(
      "--block-rows <n>",
      "rows per block read and encoded at once, 1 to 2^30 (default 1048576)",
      blockRowsOption,
    )
    .option("--no-progress", "no progress bar (it is shown only on a terminal anyway)");
}

/** Options of the commands that read a table with a model on worker threads (evaluate, drift). */
export function modelReadOptions(cmd: Command): Command {
  return cmd
    .option(
      "--threads <n>",
      "worker threads, at most 4 per core (default: all cores; the result is the same for any number)",
      threadsOption,
    )
    .addOption(encodingOption())
    .addOption(escapeOption())
    .addOption(nonNumericOption());
}

/** Options of the commands that write a table. */
export function sinkOptions(cmd: Command): Command {
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
      "rows per shard of a directory output, a multiple of --block-rows (default 2 blocks: 2097152)",
      positiveInt("--shard-rows"),
    )
    .option("--resume", "continue an interrupted run into the same output, keeping finished shards")
    .option(
      "--threads <n>",
      "worker threads, at most 4 per core (default: all cores; the output is the same for any number)",
      threadsOption,
    );
}

export const encodingOption = () =>
  new Option("--encoding <enc>", "CSV text encoding").choices(["utf8", "latin1"]).default("utf8");
export const escapeOption = () =>
  new Option(
    "--escape-char <c>",
    "CSV escape character, e.g. '\\' for files that write \\, inside fields",
  ).argParser(escapeCharOption);
export const nonNumericOption = () =>
  new Option("--non-numeric <policy>", "text in a numeric column: error, or read it as missing")
    .choices(["error", "null"])
    .default("error");

/** Options of the commands that can run on queue workers (`--redis`). */
export function redisOptions(cmd: Command, what: string): Command {
  return cmd
    .option(
      "--redis <url>",
      `run on queue workers (modenorm worker) through this Redis: ${what}; redis://[user:password@]host:port[/db] or rediss://`,
    )
    .option("--queue <name>", "queue name with --redis (default modenorm)")
    .option(
      "--redis-timeout <s>",
      "with --redis: seconds without an answer from Redis before giving up (default 30; rerun the same command to resume)",
      positiveInt("--redis-timeout"),
    );
}

/**
 * The drift verdict's options, `--share` and `--critical` (`drift`, `report --compare`); `when`
 * starts their help (e.g. "with --compare: ").
 */
export function verdictOptions(cmd: Command, when = ""): Command {
  return cmd
    .option(
      "--share <x>",
      `${when}share of the columns that must drift for the data to drift, in (0, 1] (default 0.5)`,
      numberInRange("--share", { min: 0, minIncluded: false, max: 1, maxIncluded: true }),
    )
    .option(
      "--critical <columns>",
      `${when}comma-separated columns whose drift alone makes the data drift`,
      columnList("--critical"),
    );
}
