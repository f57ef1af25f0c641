#!/usr/bin/python3
"""Generate golden fixtures for modenorm's GaussianMixture / BayesianGaussianMixture.

What it does
------------
Fits scikit-learn's ``GaussianMixture`` and ``BayesianGaussianMixture`` on small,
well-separated synthetic data sets and writes every fitted attribute, the
per-iteration lower-bound trace and the prediction outputs to a JSON file that
the TypeScript test-suite compares against.

sklearn's own initialisation (k-means / random) draws from numpy's RNG, which
the TypeScript port cannot reproduce.  Every case is therefore fitted from a
GIVEN responsibility matrix ``resp`` (n x k, rows sum to 1) that is stored in
the fixture: the estimators are subclassed and ``_initialize_parameters`` is
overridden to call ``self._initialize(X, resp)`` directly (no k-means runs).
For the GaussianMixture ``weights_init`` / ``means_init`` / ``precisions_init``
cases the public constructor parameters are used as well; sklearn 1.2.1's
``GaussianMixture._initialize`` computes weights/means/covariances from
``resp`` and then replaces each of them by the corresponding ``*_init`` value
when it is given (``precisions_init`` replaces ``precisions_cholesky_``, and
``covariances_`` is then not set until the first M-step).

``resp`` is 0.7 * one-hot(true label, ~10% of labels reassigned at random)
+ 0.3 * Dirichlet(1) row, so that the fits are well-conditioned.

The lower-bound trace is recorded by overriding ``_compute_lower_bound``.

Everything is deterministic: fixed numpy seeds (the per-case seed is a CRC32 of
the case name), ``random_state=0``, ``n_init=1``, ``warm_start=False``, and no
wall-clock data in the output.  Floats are written with Python's ``json``
(``float.__repr__``, shortest round-trip) so every float64 is exact.

How to run (from the repository root)
-------------------------------------
    /usr/bin/python3 scripts/golden/make-mixture-fixtures.py
    /usr/bin/python3 scripts/golden/make-mixture-fixtures.py --out some/other.json
    /usr/bin/python3 scripts/golden/make-mixture-fixtures.py --verify   # re-fit
        every case from the written JSON and check the results bit-for-bit

Generated with Debian's python3-sklearn 1.2.1 / numpy 1.24.2 / scipy 1.10.1.
"""

import argparse
import json
import os
import platform
import sys
import warnings
import zlib

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture

GENERATOR = "scripts/golden/make-mixture-fixtures.py"
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join("test", "fixtures", "mixture-golden.json")

COV_TYPES = ["full", "tied", "diag", "spherical"]


# --------------------------------------------------------------------------
# Estimator subclasses: fixed initial responsibilities + lower-bound trace.
# --------------------------------------------------------------------------
class _FixedInitMixin:
    """Mixin that replaces sklearn's random init by a fixed resp matrix."""

    fixed_resp = None  # set on the instance before fit()

    def _initialize_parameters(self, X, random_state):
        resp = np.asarray(self.fixed_resp, dtype=np.float64)
        if resp.shape != (X.shape[0], self.n_components):
            raise ValueError("fixed_resp has shape %r" % (resp.shape,))
        self.lower_bound_trace = []
        self._initialize(X, resp)

    def _compute_lower_bound(self, log_resp, log_prob_norm):
        value = super()._compute_lower_bound(log_resp, log_prob_norm)
        self.lower_bound_trace.append(float(value))
        return value


class FixedGaussianMixture(_FixedInitMixin, GaussianMixture):
    pass


class FixedBayesianGaussianMixture(_FixedInitMixin, BayesianGaussianMixture):
    pass


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------
def _rotation(rng, d):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


# Cluster definitions: (weight, mean, stds along principal axes)
DATASETS = {
    # 1-D, 3 clusters
    "1d": {
        "seed": 101,
        "n": 240,
        "clusters": [
            (0.30, [-6.0], [0.8]),
            (0.45, [1.0], [0.6]),
            (0.25, [8.0], [1.0]),
        ],
    },
    # 3-D, 4 clusters (full covariances, random rotations)
    "3d": {
        "seed": 202,
        "n": 300,
        "clusters": [
            (0.25, [-7.0, 2.0, 1.0], [1.2, 0.6, 0.9]),
            (0.30, [4.0, -5.0, 2.5], [2.0, 0.8, 0.5]),
            (0.20, [1.0, 6.0, -6.0], [0.7, 1.5, 1.0]),
            (0.25, [6.5, 5.0, 7.0], [1.0, 1.0, 2.5]),
        ],
    },
    # 3-D, 2 clusters (for over-specified Bayesian models)
    "3d-2c": {
        "seed": 303,
        "n": 260,
        "clusters": [
            (0.55, [-4.0, 1.0, -2.0], [1.0, 1.8, 0.7]),
            (0.45, [5.0, -1.5, 3.0], [1.4, 0.6, 1.1]),
        ],
    },
}


def make_dataset(key):
    spec = DATASETS[key]
    rng = np.random.RandomState(spec["seed"])
    clusters = spec["clusters"]
    d = len(clusters[0][1])
    rotations = [_rotation(rng, d) if d > 1 else np.ones((1, 1)) for _ in clusters]
    weights = np.array([c[0] for c in clusters])

    def draw(n):
        labels = rng.choice(len(clusters), size=n, p=weights)
        X = np.empty((n, d))
        for i, lab in enumerate(labels):
            _, mean, stds = clusters[lab]
            z = rng.standard_normal(d) * np.asarray(stds)
            X[i] = np.asarray(mean) + rotations[lab] @ z
        return X, labels

    X, labels = draw(spec["n"])
    Xtest, _ = draw(20)
    return X, labels, Xtest


def make_resp(labels, n_components, seed):
    rng = np.random.RandomState(seed)
    n = labels.shape[0]
    lab = labels.copy()
    flip = rng.uniform(size=n) < 0.10
    lab[flip] = rng.randint(0, n_components, size=int(flip.sum()))
    onehot = np.zeros((n, n_components))
    onehot[np.arange(n), lab] = 1.0
    noise = rng.dirichlet(np.ones(n_components), size=n)
    resp = 0.7 * onehot + 0.3 * noise
    resp /= resp.sum(axis=1, keepdims=True)
    return resp


def case_seed(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


# --------------------------------------------------------------------------
# Case definitions
# --------------------------------------------------------------------------
KIND = {
    "gmm": ("GaussianMixture", None),
    "bayesian-dp": ("BayesianGaussianMixture", "dirichlet_process"),
    "bayesian-dd": ("BayesianGaussianMixture", "dirichlet_distribution"),
}

PRIOR_KEYS = [
    ("weight_concentration_prior", "weightConcentrationPrior"),
    ("mean_precision_prior", "meanPrecisionPrior"),
    ("mean_prior", "meanPrior"),
    ("degrees_of_freedom_prior", "degreesOfFreedomPrior"),
    ("covariance_prior", "covariancePrior"),
]


def gmm_public_init(cov_type, d3_clusters, rng):
    """weights_init / means_init / precisions_init, deliberately a bit off."""
    k = len(d3_clusters)
    d = 3
    weights = np.array([0.125, 0.375, 0.25, 0.25])
    means = np.array([c[1] for c in d3_clusters]) + rng.uniform(-1.0, 1.0, size=(k, d))
    variances = np.array([np.square(c[2]) for c in d3_clusters])  # k x d
    if cov_type == "full":
        precs = []
        for v in variances:
            a = rng.uniform(-0.3, 0.3, size=(d, d))
            cov = np.diag(v * 1.5) + 0.2 * (a @ a.T)
            precs.append(np.linalg.inv(cov))
        precs = np.array(precs)
        precs = 0.5 * (precs + np.transpose(precs, (0, 2, 1)))
    elif cov_type == "tied":
        cov = np.diag(variances.mean(axis=0) * 2.0) + 0.3
        precs = np.linalg.inv(cov)
        precs = 0.5 * (precs + precs.T)
    elif cov_type == "diag":
        precs = 1.0 / (variances * rng.uniform(0.5, 2.0, size=variances.shape))
    else:
        precs = 1.0 / (variances.mean(axis=1) * rng.uniform(0.5, 2.0, size=k))
    return weights, means, precs


def build_cases():
    cases = []

    def add(name, kind, cov, data, n_components, tol=1e-3, reg_covar=1e-6,
            max_iter=100, priors=None, public_init=None):
        cases.append(dict(
            name=name, kind=kind, cov=cov, data=data, k=n_components, tol=tol,
            reg_covar=reg_covar, max_iter=max_iter, priors=priors or {},
            public_init=public_init,
        ))

    # 3 kinds x 4 covariance types x {1-D, 3-D} = 24 base cases
    for kind in ["gmm", "bayesian-dp", "bayesian-dd"]:
        for cov in COV_TYPES:
            add("%s-%s-1d" % (kind, cov), kind, cov, "1d", 3)
            add("%s-%s-3d" % (kind, cov), kind, cov, "3d", 4)

    # GaussianMixture public init (weights_init + means_init + precisions_init)
    rng = np.random.RandomState(404)
    for cov in COV_TYPES:
        w, m, p = gmm_public_init(cov, DATASETS["3d"]["clusters"], rng)
        add("gmm-%s-3d-public-init" % cov, "gmm", cov, "3d", 4,
            public_init={"weights_init": w, "means_init": m, "precisions_init": p})
    # only means_init: weights + covariances come from resp
    _, m, _ = gmm_public_init("diag", DATASETS["3d"]["clusters"], rng)
    add("gmm-diag-3d-means-init-only", "gmm", "diag", "3d", 4,
        public_init={"means_init": m})

    # stops at max_iter without converging
    add("gmm-full-3d-max-iter-3", "gmm", "full", "3d", 4, max_iter=3)
    add("bayesian-dp-full-3d-max-iter-3", "bayesian-dp", "full", "3d", 4, max_iter=3)

    # non-default reg_covar
    add("gmm-full-3d-reg-covar-0.01", "gmm", "full", "3d", 4, reg_covar=1e-2)

    # non-default priors (all given)
    full_prior = np.array([[2.0, 0.3, -0.2], [0.3, 1.5, 0.1], [-0.2, 0.1, 1.0]])
    add("bayesian-dp-full-3d-priors", "bayesian-dp", "full", "3d", 4, priors={
        "weight_concentration_prior": 0.5,
        "mean_precision_prior": 0.1,
        "mean_prior": np.array([0.5, -0.5, 1.0]),
        "degrees_of_freedom_prior": 5.0,
        "covariance_prior": full_prior,
    })
    add("bayesian-dd-tied-3d-priors", "bayesian-dd", "tied", "3d", 4, priors={
        "weight_concentration_prior": 2.0,
        "mean_precision_prior": 0.5,
        "mean_prior": np.array([1.0, 0.0, -1.0]),
        "degrees_of_freedom_prior": 4.5,
        "covariance_prior": full_prior,
    })
    add("bayesian-dd-diag-3d-priors", "bayesian-dd", "diag", "3d", 4, priors={
        "weight_concentration_prior": 0.05,
        "mean_precision_prior": 2.0,
        "mean_prior": np.array([0.0, 1.0, 0.0]),
        "degrees_of_freedom_prior": 3.5,
        "covariance_prior": np.array([1.5, 0.8, 2.0]),
    })
    add("bayesian-dp-spherical-1d-priors", "bayesian-dp", "spherical", "1d", 3, priors={
        "weight_concentration_prior": 1.5,
        "mean_precision_prior": 0.01,
        "mean_prior": np.array([1.0]),
        "degrees_of_freedom_prior": 2.0,
        "covariance_prior": 0.75,
    })

    # more components than clusters: 6 components, 2 clusters
    add("bayesian-dp-full-3d-overcomplete", "bayesian-dp", "full", "3d-2c", 6,
        max_iter=500)
    add("bayesian-dd-full-3d-overcomplete", "bayesian-dd", "full", "3d-2c", 6,
        max_iter=500)
    add("bayesian-dp-diag-3d-overcomplete-small-prior", "bayesian-dp", "diag", "3d-2c", 6,
        max_iter=500, priors={"weight_concentration_prior": 0.01})

    # tight tolerance, 1-D
    add("gmm-full-1d-tight-tol", "gmm", "full", "1d", 3, tol=1e-8, max_iter=1000)
    add("bayesian-dp-full-1d-tight-tol", "bayesian-dp", "full", "1d", 3, tol=1e-8,
        max_iter=1000)
    add("bayesian-dd-spherical-1d-tight-tol", "bayesian-dd", "spherical", "1d", 3,
        tol=1e-8, max_iter=1000)

    return cases


# --------------------------------------------------------------------------
# Fitting and serialisation
# --------------------------------------------------------------------------
def to_json(value):
    """numpy -> plain Python (float64 stays exact via float.__repr__)."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu":
            return [int(v) for v in value.tolist()] if value.ndim == 1 else value.tolist()
        return value.astype(np.float64).tolist()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    raise TypeError("cannot serialise %r" % (value,))


def make_estimator(estimator, params_py, resp):
    cls = FixedGaussianMixture if estimator == "GaussianMixture" else FixedBayesianGaussianMixture
    est = cls(**params_py)
    est.fixed_resp = resp
    return est


def fit_case(estimator, params_py, X, resp, Xtest):
    est = make_estimator(estimator, params_py, resp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    trace = list(est.lower_bound_trace)
    exp = {
        "weights": to_json(est.weights_),
        "means": to_json(est.means_),
        "covariances": to_json(est.covariances_),
        "precisionsCholesky": to_json(est.precisions_cholesky_),
        "precisions": to_json(est.precisions_),
        "converged": bool(est.converged_),
        "nIter": int(est.n_iter_),
        "lowerBound": float(est.lower_bound_),
        "lowerBounds": trace,
        "predictProba": to_json(est.predict_proba(Xtest)),
        "scoreSamples": to_json(est.score_samples(Xtest)),
        "score": float(est.score(Xtest)),
        "predict": [int(v) for v in est.predict(X)],
    }
    if estimator == "GaussianMixture":
        exp["bic"] = float(est.bic(X))
        exp["aic"] = float(est.aic(X))
    else:
        exp["weightConcentration"] = to_json(est.weight_concentration_)
        exp["meanPrecision"] = to_json(est.mean_precision_)
        exp["degreesOfFreedom"] = to_json(est.degrees_of_freedom_)
        exp["weightConcentrationPrior"] = to_json(est.weight_concentration_prior_)
        exp["meanPrecisionPrior"] = to_json(est.mean_precision_prior_)
        exp["meanPrior"] = to_json(est.mean_prior_)
        exp["degreesOfFreedomPrior"] = to_json(est.degrees_of_freedom_prior_)
        exp["covariancePrior"] = to_json(est.covariance_prior_)
    # internal consistency checks
    assert len(trace) == exp["nIter"], (len(trace), exp["nIter"])
    assert trace[-1] == exp["lowerBound"]
    return exp


def params_from_json(estimator, p):
    """camelCase fixture params -> sklearn constructor kwargs."""
    py = {
        "n_components": p["nComponents"],
        "covariance_type": p["covarianceType"],
        "tol": p["tol"],
        "reg_covar": p["regCovar"],
        "max_iter": p["maxIter"],
        "n_init": p["nInit"],
        "random_state": p["randomState"],
        "warm_start": p["warmStart"],
    }
    if estimator == "GaussianMixture":
        for py_key, js_key in [("weights_init", "weightsInit"), ("means_init", "meansInit"),
                               ("precisions_init", "precisionsInit")]:
            if p.get(js_key) is not None:
                py[py_key] = np.asarray(p[js_key], dtype=np.float64)
    else:
        py["weight_concentration_prior_type"] = p["weightConcentrationPriorType"]
        for py_key, js_key in PRIOR_KEYS:
            v = p[js_key]
            if isinstance(v, list):
                v = np.asarray(v, dtype=np.float64)
            py[py_key] = v
    return py


def generate():
    datasets = {key: make_dataset(key) for key in DATASETS}
    out_cases = []
    names = set()
    for c in build_cases():
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        estimator, wcp_type = KIND[c["kind"]]
        X, labels, Xtest = datasets[c["data"]]
        resp = make_resp(labels, c["k"], case_seed(c["name"]))

        params = {
            "nComponents": c["k"],
            "covarianceType": c["cov"],
            "tol": c["tol"],
            "regCovar": c["reg_covar"],
            "maxIter": c["max_iter"],
            "nInit": 1,
            "randomState": 0,
            "warmStart": False,
        }
        if estimator == "BayesianGaussianMixture":
            params["weightConcentrationPriorType"] = wcp_type
            for py_key, js_key in PRIOR_KEYS:
                params[js_key] = to_json(c["priors"].get(py_key))
        if c["public_init"]:
            for py_key, js_key in [("weights_init", "weightsInit"), ("means_init", "meansInit"),
                                   ("precisions_init", "precisionsInit")]:
                if py_key in c["public_init"]:
                    params[js_key] = to_json(c["public_init"][py_key])

        # round-trip the params through JSON so the fit uses exactly the stored values
        params = json.loads(json.dumps(params))
        expected = fit_case(estimator, params_from_json(estimator, params), X, resp, Xtest)
        out_cases.append({
            "name": c["name"],
            "estimator": estimator,
            "params": params,
            "X": to_json(X),
            "resp": to_json(resp),
            "Xtest": to_json(Xtest),
            "expected": expected,
        })
    return {
        "generator": GENERATOR,
        "versions": {
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "python": platform.python_version(),
        },
        "cases": out_cases,
    }


def verify(path):
    with open(path) as fh:
        doc = json.load(fh)
    bad = 0
    for case in doc["cases"]:
        est = case["estimator"]
        exp = fit_case(est, params_from_json(est, case["params"]),
                       np.asarray(case["X"], dtype=np.float64),
                       np.asarray(case["resp"], dtype=np.float64),
                       np.asarray(case["Xtest"], dtype=np.float64))
        exp = json.loads(json.dumps(exp))
        if exp != case["expected"]:
            bad += 1
            diff = [k for k in exp if exp[k] != case["expected"].get(k)]
            print("MISMATCH %s: %s" % (case["name"], diff))
    print("verified %d cases, %d mismatches" % (len(doc["cases"]), bad))
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="output path, relative to the repo root (default: %(default)s)")
    ap.add_argument("--verify", action="store_true",
                    help="re-fit every case from the existing JSON and compare exactly")
    args = ap.parse_args()
    out = args.out if os.path.isabs(args.out) else os.path.join(REPO_ROOT, args.out)

    if args.verify:
        sys.exit(0 if verify(out) else 1)

    doc = generate()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    with open(out, "w") as fh:
        fh.write(text)
        fh.write("\n")
    for case in doc["cases"]:
        e = case["expected"]
        print("%-46s nIter=%-4d converged=%-5s lowerBound=%r"
              % (case["name"], e["nIter"], e["converged"], e["lowerBound"]))
    print("wrote %d cases, %d bytes -> %s" % (len(doc["cases"]), len(text), out))


if __name__ == "__main__":
    main()
