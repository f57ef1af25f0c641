#!/usr/bin/python3
"""Write test/fixtures/rand-index.json: labelings and scikit-learn's adjusted_rand_score of them.

Run from the repository root with Debian's Python (python3-sklearn 1.2.1, numpy 1.24.2):

    /usr/bin/python3 scripts/golden/make-rand-index-fixtures.py

Cases: identical and renamed partitions, random labelings of several sizes and cluster counts
(fixed numpy seeds), a noisy copy, one cluster against many, and singletons.
"""
import json

import numpy as np
from sklearn.metrics import adjusted_rand_score

cases = []


def add(name, a, b):
    a = [int(x) for x in a]
    b = [int(x) for x in b]
    cases.append({"name": name, "a": a, "b": b, "ari": float(adjusted_rand_score(a, b))})


rng = np.random.default_rng(20261206)
truth = rng.integers(0, 4, 500)
add("identical", truth, truth)
add("renamed", truth, (truth + 1) % 4)
for n, ka, kb in [(50, 2, 3), (300, 5, 5), (1000, 3, 7)]:
    add(f"random n={n} {ka}x{kb}", rng.integers(0, ka, n), rng.integers(0, kb, n))
noisy = truth.copy()
flip = rng.random(500) < 0.1
noisy[flip] = rng.integers(0, 4, int(flip.sum()))
add("noisy copy", truth, noisy)
add("one cluster against four", np.zeros(500, dtype=int), truth)
add("singletons against two", np.arange(40), np.arange(40) % 2)

with open("test/fixtures/rand-index.json", "w") as f:
    json.dump({"generator": "scripts/golden/make-rand-index-fixtures.py", "cases": cases}, f)
    f.write("\n")
print(len(cases), "cases")
