/** The job thread of a queue worker (see `job-thread.ts`): runs jobs on an executor. */
import { parentPort, workerData } from "node:worker_threads";
import { UnrecoverableError } from "bullmq";
import { createExecutor, type ExecutorOptions } from "./executor.js";
import type { JobReply, JobRequest } from "./job-thread.js";

const port = parentPort!;
const executor = createExecutor(workerData as ExecutorOptions);
const reply = (m: JobReply) => port.postMessage(m);

port.on("message", (m: JobRequest) => {
  if ("close" in m) {
    void executor.close().finally(() => reply({ closed: true }));
    return;
  }
  executor.run(m.job).then(
    (result) => reply({ id: m.id, result }),
    (err: Error) =>
      reply({
        id: m.id,
        error: {
          message: err instanceof Error ? err.message : String(err),
          unrecoverable: err instanceof UnrecoverableError,
        },
      }),
  );
});
