/** `modenorm worker`: takes the jobs of distributed runs from Redis until stopped. */

import { redisAddress } from "../distributed/connection.js";
import { startWorker } from "../distributed/worker.js";

export interface WorkerCommandOptions {
  redis: string;
  dataRoot: string;
  concurrency?: number;
  threads?: number;
  queue?: string;
  quiet?: boolean;
  jobTimeout?: number;
}

/** Runs until SIGINT or SIGTERM (a job under way is then taken over by another worker). */
export async function workerCommand(o: WorkerCommandOptions): Promise<void> {
  await startWorker({
    redis: o.redis,
    dataRoot: o.dataRoot,
    concurrency: o.concurrency,
    threads: o.threads,
    queue: o.queue,
    jobTimeoutSeconds: o.jobTimeout,
    onJob: (job, outcome, detail) => {
      if (o.quiet && outcome === "completed") return;
      const d = job.data as {
        kind?: string;
        part?: string;
        file?: { path?: string };
        files?: { path?: string }[];
        firstBlock?: number;
        lastBlock?: number;
        firstRow?: number;
        rows?: number;
      };
      const where = d.part ?? d.file?.path ?? d.files?.[0]?.path;
      const blocks =
        d.firstBlock !== undefined
          ? ` blocks ${d.firstBlock}–${d.lastBlock}`
          : d.firstRow !== undefined
            ? ` rows ${d.firstRow}+${d.rows}`
            : "";
      process.stderr.write(
        `modenorm worker: ${outcome} ${d.kind} ${where}${blocks} (job ${job.id})${detail === "" ? "" : `: ${detail}`}\n`,
      );
    },
  });
  process.stdout.write(
    `modenorm worker: waiting for jobs on ${redisAddress(o.redis)} (queue ${o.queue ?? "modenorm"}, data root ${o.dataRoot})\n`,
  );
  // The BullMQ worker keeps the process alive; the signal handlers end it.
  await new Promise<never>(() => undefined);
}
