"""The peers of `bench/drift.ts`: the drift tests users run today, on the same splits.

Numeric columns: the two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp) flagged at
p < 0.05, and the population stability index over 10 quantile bins of the reference flagged at
PSI >= 0.25. Categorical columns: the chi-square test of the two samples' category counts
(scipy.stats.chi2_contingency) at p < 0.05, and PSI over the categories at 0.25. Missing values
(NaN) are dropped, as these tests cannot take them. Shares of empty bins are floored at 1e-4, the
usual PSI convention.

Protocol on stdin/stdout (one process serves a whole benchmark): a JSON header line, then raw
little-endian float64 arrays.
  {"op": "ref", "key": K, "n": N}                + N values   -> {"ok": true}
  {"op": "check", "key": K, "n": N, "size": S, "categorical": bool} + N values
      -> {"ks": p-value, "psi": PSI}  (the check sample is the N values cycled to S rows)
"""

import json
import sys

import numpy as np
from scipy.stats import chi2_contingency, ks_2samp

EPS = 1e-4


def read_array(n):
    buf = sys.stdin.buffer.read(8 * n)
    return np.frombuffer(buf, dtype="<f8", count=n)


def psi(expected, actual):
    e = np.maximum(expected / expected.sum(), EPS)
    a = np.maximum(actual / max(actual.sum(), 1), EPS)
    return float(np.sum((a - e) * np.log(a / e)))


refs = {}


def numeric_check(ref, check):
    p = float(ks_2samp(ref["values"], check).pvalue)
    edges = ref["edges"]
    actual = np.bincount(np.searchsorted(edges, check, side="right"), minlength=len(edges) + 1)
    return p, psi(ref["counts"], actual.astype(float))


def categorical_check(ref, check):
    cats, counts = np.unique(check, return_counts=True)
    keys = np.union1d(ref["cats"], cats)
    e = np.zeros(len(keys))
    a = np.zeros(len(keys))
    e[np.searchsorted(keys, ref["cats"])] = ref["ccounts"]
    a[np.searchsorted(keys, cats)] = counts
    table = np.vstack([e, a])
    table = table[:, table.sum(axis=0) > 0]
    p = float(chi2_contingency(table)[1]) if table.shape[1] > 1 else 1.0
    return p, psi(e, a)


def main():
    out = sys.stdout
    for line in sys.stdin.buffer:
        h = json.loads(line)
        values = read_array(h["n"])
        values = values[~np.isnan(values)]
        if h["op"] == "ref":
            edges = np.unique(np.quantile(values, np.linspace(0.1, 0.9, 9)))
            counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
            cats, ccounts = np.unique(values, return_counts=True)
            refs[h["key"]] = {
                "values": np.sort(values),
                "edges": edges,
                "counts": counts.astype(float),
                "cats": cats,
                "ccounts": ccounts.astype(float),
            }
            out.write('{"ok": true}\n')
        else:
            check = np.resize(values, h["size"]) if len(values) > 0 else values
            ref = refs[h["key"]]
            if h.get("categorical"):
                p, v = categorical_check(ref, check)
            else:
                p, v = numeric_check(ref, check)
            out.write(json.dumps({"p": p, "psi": v}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
