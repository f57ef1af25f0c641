/**
 * Covariance ellipses of a clustering's components over two of its columns, in the columns' own
 * units: the 2 × 2 block of each covariance (the marginal of the two columns, PΣPᵀ for the
 * coordinate projection P), its eigenvectors as the axes and n·√λ as the half-lengths, as in
 * scikit-learn's `plot_gmm_covariances`.
 */
import type { ClusterModel } from "../encode/cluster-model.js";
import { meanInColumnUnits } from "../encode/cluster-model.js";

/** Points drawn per ellipse (the first repeated at the end to close it). */
export const ELLIPSE_POINTS = 65;

/** Σ restricted to columns i and j for component k, in the columns' units: [σii, σij, σjj]. */
export function covariance2(
  m: ClusterModel,
  k: number,
  i: number,
  j: number,
): [number, number, number] {
  const d = m.columns.length;
  const c = m.covariances;
  const at = (a: number, b: number): number => {
    switch (m.covarianceType) {
      case "full":
        return c[k * d * d + a * d + b]!;
      case "tied":
        return c[a * d + b]!;
      case "diag":
        return a === b ? c[k * d + a]! : 0;
      case "spherical":
        return a === b ? c[k]! : 0;
    }
  };
  const s = m.standardize;
  const si = s === null ? 1 : s.scale[i]!;
  const sj = s === null ? 1 : s.scale[j]!;
  return [at(i, i) * si * si, at(i, j) * si * sj, at(j, j) * sj * sj];
}

/** Eigenvalues (descending) and unit eigenvectors of the symmetric [[a, b], [b, c]]. */
export function eigen2(
  a: number,
  b: number,
  c: number,
): { values: [number, number]; vectors: [[number, number], [number, number]] } {
  const mid = (a + c) / 2;
  const r = Math.hypot((a - c) / 2, b);
  const l1 = mid + r;
  const l2 = mid - r;
  let v: [number, number];
  if (b !== 0) {
    const n = Math.hypot(l1 - c, b);
    v = [(l1 - c) / n, b / n];
  } else v = a >= c ? [1, 0] : [0, 1];
  return { values: [l1, Math.max(l2, 0)], vectors: [v, [-v[1], v[0]]] };
}

/** One point of an ellipse outline. */
export interface EllipsePoint {
  k: number;
  /** 1 or 2 (σ). */
  level: number;
  order: number;
  x: number;
  y: number;
}

/** The 1σ and 2σ outlines of every component over columns i (x) and j (y). */
export function clusterEllipses(
  m: ClusterModel,
  i: number,
  j: number,
  levels = [1, 2],
): EllipsePoint[] {
  const out: EllipsePoint[] = [];
  for (let k = 0; k < m.components; k++) {
    const mu = meanInColumnUnits(m, k);
    const [a, b, c] = covariance2(m, k, i, j);
    const { values, vectors } = eigen2(a, b, c);
    const r1 = Math.sqrt(values[0]);
    const r2 = Math.sqrt(values[1]);
    for (const level of levels) {
      for (let p = 0; p < ELLIPSE_POINTS; p++) {
        const th = (2 * Math.PI * (p % (ELLIPSE_POINTS - 1))) / (ELLIPSE_POINTS - 1);
        const u = level * r1 * Math.cos(th);
        const v = level * r2 * Math.sin(th);
        out.push({
          k,
          level,
          order: p,
          x: mu[i]! + u * vectors[0][0] + v * vectors[1][0],
          y: mu[j]! + u * vectors[0][1] + v * vectors[1][1],
        });
      }
    }
  }
  return out;
}
