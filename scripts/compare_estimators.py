"""Fit time of fastnn's MLPClassifier / MLPRegressor against scikit-learn's, same settings.

Each case trains fastnn's estimator and scikit-learn's with identical parameters (same
random_state, so the same initial weights and shuffles) on the same data, and shows the median fit
time of each, their ratio, the floor issue 3 sets for it, and how far apart the two ``loss_curve_``
are (the largest relative difference over all epochs: the two must train the same model). Timings
are interleaved (one fit of each per round) after a warm-up fit that compiles or loads fastnn's
kernels, so the ratio survives a noisy machine far better than either time.

scikit-learn runs twice per round: with its BLAS's default threads, and limited to one BLAS
thread (threadpoolctl). On a busy machine the threaded BLAS can be ten times slower (OpenBLAS
threads wait for cores), so the ratio is taken against the faster of the two.

    python scripts/compare_estimators.py            # the four cases of issue 3, about three minutes
    python scripts/compare_estimators.py --quick    # fewer epochs, a few seconds
"""
import argparse
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn import neural_network
from sklearn.datasets import make_classification, make_moons, make_regression
from threadpoolctl import threadpool_limits

import fastnn


@dataclass(frozen=True)
class Case:
    name: str
    estimator: str  # "MLPClassifier" or "MLPRegressor"
    data: str  # "moons", "classification" or "regression"
    epochs: int
    quick_epochs: int
    floor: float
    params: dict = field(default_factory=dict)


CASES = [
    Case("(a) seeds: moons N=2000, (5,) tanh, sgd, full batch", "MLPClassifier", "moons", 10_000, 1_000, 5.0,
         dict(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", batch_size=2000, learning_rate_init=0.6,
              momentum=0.0)),
    Case("(b) defaults: (100,) relu adam batch 200, 20000x20", "MLPClassifier", "classification", 50, 5, 3.0),
    Case("(c) (64, 64) relu adam batch 200, 20000x20", "MLPClassifier", "classification", 50, 5, 3.0,
         dict(hidden_layer_sizes=(64, 64))),
    Case("(d) MLPRegressor defaults, 20000x20", "MLPRegressor", "regression", 50, 5, 3.0),
]


def dataset(name):
    if name == "moons":
        return make_moons(n_samples=2000, noise=0.25, random_state=0)
    if name == "classification":
        return make_classification(n_samples=20_000, n_features=20, random_state=0)
    return make_regression(n_samples=20_000, n_features=20, noise=1.0, random_state=0)


def timed_fit(estimator, X, y, blas_threads=None):
    began = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(blas_threads):
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epochs are fixed on purpose
        estimator.fit(X, y)
    return time.perf_counter() - began, estimator


def compare(case, epochs, repeats):
    """Median fit seconds of each runner, and the largest relative loss_curve_ difference."""
    X, y = dataset(case.data)
    # every epoch runs: no stop on a plateau of the training loss
    params = dict(case.params, max_iter=epochs, n_iter_no_change=np.inf, random_state=0)
    theirs = getattr(neural_network, case.estimator)
    ours = getattr(fastnn, case.estimator)
    timed_fit(ours(**dict(params, max_iter=1)), X, y)  # compiles, or loads the kernels from numba's cache
    runners = {"sklearn": (theirs, None), "sklearn 1 BLAS thread": (theirs, 1), "fastnn": (ours, None)}
    times = {name: [] for name in runners}
    models = {}
    for _ in range(repeats):
        for name, (estimator, blas_threads) in runners.items():
            elapsed, models[name] = timed_fit(estimator(**params), X, y, blas_threads)
            times[name].append(elapsed)
    curve, reference_curve = np.array(models["fastnn"].loss_curve_), np.array(models["sklearn"].loss_curve_)
    assert len(curve) == len(reference_curve) == epochs
    difference = float(np.max(np.abs(curve / reference_curve - 1)))
    return {name: float(np.median(t)) for name, t in times.items()}, difference, curve[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, two rounds")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved rounds (default 3, quick 2)")
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 3)
    print(f"fastnn vs scikit-learn, fit time, median of {repeats} interleaved rounds; same parameters and "
          "random_state, every epoch run (n_iter_no_change=inf)")
    header = (f"{'case':<52} {'epochs':>6} {'sklearn s':>10} {'1 BLAS thr':>10} {'fastnn s':>9} {'ratio':>7} "
              f"{'floor':>6} {'loss_curve_ rel diff':>21} {'final loss':>11}")
    print(header)
    print("-" * len(header))
    for case in CASES:
        epochs = case.quick_epochs if args.quick else case.epochs
        seconds, difference, final = compare(case, epochs, repeats)
        ratio = min(seconds["sklearn"], seconds["sklearn 1 BLAS thread"]) / seconds["fastnn"]
        flag = "" if ratio >= case.floor else "  BELOW FLOOR"
        print(f"{case.name:<52} {epochs:>6} {seconds['sklearn']:>10.3f} {seconds['sklearn 1 BLAS thread']:>10.3f} "
              f"{seconds['fastnn']:>9.3f} {ratio:>6.1f}x {case.floor:>5.0f}x {difference:>21.1e} {final:>11.5g}{flag}")
    print("(a warm-up fit of fastnn per case, which compiles the kernels or loads them from numba's cache, "
          "is not timed)")


if __name__ == "__main__":
    main()
