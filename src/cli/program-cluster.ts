/** The command line of clustering and of the distributed mode: `cluster` and `worker`. */
import { type Command, Option } from "commander";
import {
  columnList,
  intInRange,
  numberInRange,
  outputPathOption,
  seedOption,
  threadsOption,
} from "./option-checks.js";
import {
  INPUT_HELP,
  modelReadOptions,
  OUTPUT_HELP,
  redisOptions,
  streamOptions,
} from "./option-sets.js";

const positiveInt = (name: string) => intInRange(name, 1);

/** Adds `cluster` and `worker` to the program. */
export function addClusterCommands(program: Command): void {
  redisOptions(
    modelReadOptions(streamOptions(program.command("cluster"))),
    "the passes over the data, the model the same bytes as without",
  )
    .description(
      "Cluster rows by a multivariate Gaussian mixture over chosen numeric columns (EM, or variational Bayes with --bayesian) and write the clustering model as JSON; optionally every row's cluster and probabilities. The columns are held in memory (8 bytes per value); the model is the same for any thread count.",
    )
    .argument("<data>", INPUT_HELP)
    .requiredOption("-o, --output <model.json>", "clustering model file to write", outputPathOption)
    .requiredOption(
      "--columns <a,b,...>",
      "the numeric columns to cluster on",
      columnList("--columns"),
    )
    .requiredOption(
      "--components <k>",
      "number of clusters (components)",
      positiveInt("--components"),
    )
    .addOption(
      new Option("--covariance <type>", "covariance of each component")
        .choices(["full", "tied", "diag", "spherical"])
        .default("full"),
    )
    .option(
      "--bayesian",
      "variational Bayes with a Dirichlet-process prior: unneeded components get weights near 0",
    )
    .option(
      "--standardize",
      "scale each column to mean 0 and standard deviation 1 for the fit (stored in the model)",
    )
    .addOption(
      new Option(
        "--missing <policy>",
        "a row missing a value in a chosen column: error, or skip it (its assignment is empty)",
      )
        .choices(["error", "skip"])
        .default("error"),
    )
    .option("--seed <n>", "random seed of the initialisation, 0 to 2^53 - 1", seedOption, 0)
    .option(
      "--tol <x>",
      "stop when the bound per row changes less than this",
      numberInRange("--tol", { min: 0, minIncluded: true }),
      1e-3,
    )
    .option("--max-iter <n>", "most EM iterations", positiveInt("--max-iter"), 100)
    .option(
      "--assignments <path>",
      `write every row's cluster and probabilities (prob_0 …) here; ${OUTPUT_HELP}`,
      outputPathOption,
    )
    .addOption(
      new Option(
        "--format <f>",
        "format of the assignments' directory shards or standard output",
      ).choices(["parquet", "csv", "csv.gz", "arrow"]),
    )
    .option(
      "--overwrite",
      "replace existing outputs (only earlier outputs of modenorm, never an input)",
    )
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      "\nExamples:\n  modenorm cluster movies.csv --escape-char '\\' --columns imdbRating,duration,year --components 4 --standardize --missing skip -o clusters.json --assignments labels.parquet\n  modenorm inspect clusters.json",
    )
    .action(async (data: string, o) =>
      (await import("./cluster-command.js")).clusterCommand(data, o),
    );

  program
    .command("worker")
    .description(
      "Take the jobs of distributed runs (commands given --redis) from Redis and compute them: reads the parts they name, which must lie inside --data-root, and returns per-block statistics. Runs until stopped; a job under way when a worker dies is taken over by another.",
    )
    .requiredOption(
      "--redis <url>",
      "redis://[user:password@]host:port[/db], or rediss:// for TLS (CA file in MODENORM_REDIS_CA)",
    )
    .requiredOption("--data-root <dir>", "jobs may read only files inside this directory")
    .option(
      "--concurrency <n>",
      "jobs at once (default 4; large E-steps share the threads, small ones overlap their Redis round trips)",
      positiveInt("--concurrency"),
    )
    .option(
      "--threads <n>",
      "worker threads for the computations (default: all cores)",
      threadsOption,
    )
    .option("--queue <name>", "queue name (default modenorm)")
    .option(
      "--job-timeout <s>",
      "seconds a job may take before it fails and is retried (default 600)",
      numberInRange("--job-timeout", { min: 0, minIncluded: false }),
    )
    .option("--quiet", "log failed jobs only")
    .addHelpText(
      "after",
      "\nExamples:\n  modenorm worker --redis redis://:secret@10.0.0.5:6379 --data-root /shared/data",
    )
    .action(async (o) => (await import("./worker-command.js")).workerCommand(o));
}
