#!/usr/bin/env node
/** The `modenorm` command line. */
import { Command } from "commander";
import { runDemo } from "./demo.js";

const program = new Command();
program
  .name("modenorm")
  .description("Gaussian mixtures on large columns and mode-specific normalization.")
  .version("0.1.0");

program
  .command("demo")
  .description("Generate a multi-modal column with outliers, fit mixtures to it and print them.")
  .option("--rows <n>", "rows to generate", (v) => Number.parseInt(v, 10), 1_000_000)
  .option("--seed <n>", "random seed", (v) => Number.parseInt(v, 10), 7)
  .option("--json", "print one JSON object instead of tables")
  .addHelpText(
    "after",
    "\nExamples:\n  modenorm demo\n  modenorm demo --rows 200000 --seed 1 --json\n",
  )
  .action((opts: { rows: number; seed: number; json?: boolean }) => {
    runDemo(opts);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as Error;
  process.stderr.write(`modenorm: ${e.name === "Error" ? "" : `${e.name}: `}${e.message}\n`);
  process.exitCode = 1;
});
