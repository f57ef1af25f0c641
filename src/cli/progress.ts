/**
 * Progress bars on standard error (cli-progress), shown only when standard error is a terminal
 * and the user asked for neither `--json` nor `--no-progress`: piped or redirected runs print
 * nothing but their results.
 */
import cliProgress from "cli-progress";

/** A progress display for one stage. */
export interface Progress {
  /** Rows done so far. */
  update(rows: number): void;
  /** Removes the bar (call before printing results). */
  stop(): void;
}

const NONE: Progress = { update: () => undefined, stop: () => undefined };

function rate(rows: number, seconds: number): string {
  const r = seconds > 0 ? rows / seconds : 0;
  return r >= 1e6
    ? `${(r / 1e6).toFixed(1)}M`
    : r >= 1e3
      ? `${(r / 1e3).toFixed(0)}k`
      : r.toFixed(0);
}

/**
 * A bar for `label` over `total` rows (null when unknown, e.g. CSV: then a counter), or a no-op
 * when `enabled` is false or standard error is not a terminal.
 */
export function startProgress(label: string, total: number | null, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return NONE;
  const format =
    total === null
      ? `${label} {value} rows | {rate} rows/s | {duration_formatted}`
      : `${label} [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}`;
  const bar = new cliProgress.SingleBar(
    {
      format,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { rate: "0" });
  return {
    update(rows) {
      // Rows over the whole command's time so far (start-up included), as the final report.
      bar.update(rows, { rate: rate(rows, process.uptime()) });
    },
    stop() {
      bar.stop();
    },
  };
}
