/**
 * SIGINT and SIGTERM: stop at once with the conventional exit code (130, 143) and one line saying
 * what became of the output. Temporary files of outputs not yet complete are removed as the
 * process exits (`io/safe-write.ts`); a directory output's `<out>.partial` stays, for `--resume`.
 */
import { tableFormatOf } from "../io/format.js";

let note: string | null = "nothing was written";

/**
 * What an interruption says after "interrupted by SIGTERM; " (null: nothing, for a process that
 * another one stops and speaks for).
 */
export function noteStop(text: string | null): void {
  note = text;
}

/** Says what an interruption leaves of `output` (a file, a directory or `-`). */
export function noteOutput(output: string): void {
  if (output === "-") note = "the output on standard output is incomplete";
  else if (tableFormatOf(output) !== null || output.endsWith(".json")) {
    note = `${output} was not written`;
  } else {
    const dir = output.length > 1 ? output.replace(/[/\\]+$/, "") : output;
    note = `${dir} was not written; shards already finished are kept in ${dir}.partial: rerun the same command with --resume to continue`;
  }
}

/** Installs the handlers (once, at start). */
export function handleSignals(): void {
  const codes = { SIGINT: 130, SIGTERM: 143 } as const;
  for (const [signal, code] of Object.entries(codes)) {
    process.once(signal, () => {
      // On a terminal, a progress bar may be mid-line: start a line of our own.
      const start = process.stderr.isTTY ? "\n" : "";
      if (note !== null)
        process.stderr.write(`${start}modenorm: interrupted by ${signal}; ${note}\n`);
      process.exit(code);
    });
  }
}
