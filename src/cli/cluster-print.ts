/** A clustering model in the terminal (for `cluster` and `inspect`, which loads nothing else). */
import { type ClusterModel, meanInColumnUnits } from "../encode/cluster-model.js";
import { out } from "./shared.js";

/** The fit's outcome and each component's weight and mean in the columns' own units. */
export function printCluster(m: ClusterModel): void {
  const state = m.fit.converged
    ? `converged after ${m.fit.iterations} iterations`
    : `did NOT converge in ${m.fit.iterations} iterations (raise --max-iter or --tol)`;
  out(`  ${m.estimator} mixture, ${state}, bound ${m.fit.lowerBound.toPrecision(8)}`);
  out(
    `  columns: ${m.columns.join(", ")}${m.standardize === null ? "" : " (standardised for the fit)"}`,
  );
  m.weights.forEach((w, k) => {
    const mean = meanInColumnUnits(m, k).map((v) => v.toPrecision(6));
    out(`  cluster ${k}: weight ${w.toFixed(4)}  mean [${mean.join(", ")}]`);
  });
}
