#!/usr/bin/python3
"""Write test/fixtures/special-functions.json: reference values of digamma, gammaln and betaln.

Run from the repository root with Debian's Python:

    /usr/bin/python3 scripts/golden/make-special-fixtures.py

Needs Debian's python3-scipy (1.10.1) and python3-mpmath. Every point carries two references:

- "mp": the exact value (mpmath at 60 significant digits), rounded to the nearest double. This is
  the truth the tests measure errors against.
- "scipy": what scipy.special returns. It is recorded for comparison only: scipy's own error is up
  to ~1e-6 relative next to the zeros of gammaln and ~1e-12 for betaln of large, unequal arguments
  (it subtracts large gammaln values), so it cannot serve as the reference at ulp level.

Only finite values are written (JSON has no Infinity/NaN); the tests check poles, infinities and
NaN directly. The points cover the ranges the variational mixture uses: concentration parameters
from 1e-3 to 1e9, half-integers 0.5*(dof - i), and the edges listed in EDGE_X.
"""

import json
import os

import mpmath as mp
import numpy as np
import scipy
from scipy import special

mp.mp.dps = 60
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "special-functions.json")


def true_digamma(x):
    return float(mp.digamma(mp.mpf(x)))


def true_gammaln(x):
    # The real part of mpmath's loggamma is log|Gamma(x)|, also for negative x.
    return float(mp.re(mp.loggamma(mp.mpf(x))))


def true_betaln(a, b):
    """None at a pole of Gamma(a + b) (then betaln is -inf) or of Gamma(a), Gamma(b)."""
    # log Gamma(a + b) can be ~1e303 while the difference is ~1e3: carry enough digits to keep 60
    # after the cancellation.
    with mp.workdps(mp.mp.dps + 320):
        a, b = mp.mpf(a), mp.mpf(b)
        try:
            return float(mp.re(mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)))
        except ValueError:
            return None


def main():
    root = float(mp.findroot(mp.digamma, 1.46))
    xs = set()
    xs.update(np.logspace(-8, 8, 241).tolist())  # main range, 15 points per decade
    xs.update(np.logspace(-3, 9.5, 51).tolist())  # concentration parameters
    xs.update((0.5 * np.arange(1, 201)).tolist())  # 0.5*(dof - i): halves and integers to 100
    edge = [
        1e-300, 5e-324, 2.2e-308, 1e-20, 1e-12, 1e-9, 1e12, 1e15, 1e20, 1e50, 1e100, 1e300,
        0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.5, 9.999999999999998, 10.0, 10.000000000000002,
        1 - 1e-10, 1 + 1e-10, 1 - 2**-52, 1 + 2**-52, 1 - 1e-5, 1 + 1e-5,
        2 - 1e-10, 2 + 1e-10, 2 - 2**-51, 2 + 2**-51, 2 - 1e-5, 2 + 1e-5,
        root, np.nextafter(root, 0), np.nextafter(root, 3), root - 1e-10, root + 1e-10,
        root - 1e-5, root + 1e-5, root - 0.19, root + 0.19, root - 0.21, root + 0.21,
        -0.5, -1.5, -2.5, -0.1, -0.9, -1e-10, -1e-300, -2.4570247382208006, -10.3, -100.7,
        -1000.25, -12345.678, -1e6 - 0.5,
    ]
    xs.update(edge)
    points = []
    for x in sorted(xs):
        x = float(x)
        if x <= 0 and x == int(x):
            continue
        row = {
            "x": x,
            "digamma": {"mp": true_digamma(x), "scipy": float(special.psi(x))},
            "gammaln": {"mp": true_gammaln(x), "scipy": float(special.gammaln(x))},
        }
        # Drop values scipy reports as non-finite (e.g. psi(5e-324) = -inf) from the scipy field.
        for key in ("digamma", "gammaln"):
            if not np.isfinite(row[key]["scipy"]):
                row[key]["scipy"] = None
            if not np.isfinite(row[key]["mp"]):
                del row[key]
        points.append(row)

    grid = np.logspace(-3, 9, 13).tolist()
    pairs = set()
    for a in grid:
        for b in grid:
            pairs.add((a, b))
    halves = (0.5 * np.arange(1, 41)).tolist()
    for a in halves[::3]:
        for b in halves[::4]:
            pairs.add((a, b))
    pairs.update([
        (1e8, 1e8), (1e9, 1e9), (1e300, 1e300), (1e300, 1.0), (1e-300, 1.0), (0.5, 0.5), (1.0, 1.0),
        (2.0, 3.0), (9.99, 10.01), (10.0, 10.0), (10.0, 1e9), (9.99, 1e9), (1e-3, 1e9),
        (1e8, 1e3), (123.456, 7.89), (0.3, 12.5), (-0.5, 1.0), (-0.5, -0.5), (2.5, -1.5),
        (-1.25, 3.5),
    ])
    beta = []
    for a, b in sorted(pairs):
        t = true_betaln(a, b)
        if t is None or not np.isfinite(t):
            continue
        s = float(special.betaln(a, b))
        beta.append({"a": float(a), "b": float(b), "mp": t, "scipy": s if np.isfinite(s) else None})

    doc = {
        "generator": "scripts/golden/make-special-fixtures.py",
        "scipy": scipy.__version__,
        "mpmath": mp.__version__,
        "digits": mp.mp.dps,
        "digammaRoot": root,
        "points": points,
        "betaln": beta,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {len(points)} points and {len(beta)} betaln pairs to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
