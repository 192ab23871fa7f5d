"""Fit time of fastnn's MLPClassifier / MLPRegressor against scikit-learn's, same settings.

Each case trains fastnn's estimator and scikit-learn's with identical parameters (same
random_state, so the same initial weights and shuffles) on the same data, and shows the median fit
time of each, their ratio, the floor issue 3 sets for it, and how far apart the two ``loss_curve_``
are (the largest relative difference over all epochs: the two must train the same model), and the
*limit*: the fit's layer products (forward, ``dW`` and ``W^T delta``; relu has no transcendentals) at
this machine's matrix-multiply peak on all cores, measured here on a 2000 x 2000 NumPy product. Timings
are interleaved (one fit of each per round) after a warm-up fit on 400 samples that compiles or
loads fastnn's kernels, so the ratio survives a noisy machine far better than either time. By
default this is a user's process (the parallel twins load when a fit or prediction asks, each
prediction follows scikit-learn's at once); ``--steady`` compiles them by hand and rests first.

scikit-learn runs twice per round: with its BLAS's default threads, and limited to one BLAS
thread (threadpoolctl). On a busy machine the threaded BLAS can be ten times slower (OpenBLAS
threads wait for cores), so the ratio is taken against the faster of the two.

The wide cases (issue 9: MNIST-shaped and wider layers) also run PyTorch eager on all threads
when torch is installed (Adam, batch 200, the same layers; a speed competitor, not a parity check),
and ``predict_proba`` is timed against scikit-learn's on the same weights.

    python scripts/compare_estimators.py            # every case, about five minutes
    python scripts/compare_estimators.py --quick    # fewer epochs, a few seconds
    python scripts/compare_estimators.py --only e,f # the cases whose names start "(e)", "(f)"
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
from fastnn.precompile import compile_parallel_twins


@dataclass(frozen=True)
class Case:
    name: str
    estimator: str  # "MLPClassifier" or "MLPRegressor"
    data: str  # "moons", "classification" or "regression"
    epochs: int
    quick_epochs: int
    floor: float
    params: dict = field(default_factory=dict)
    dtype: str = "float64"
    torch: bool = False  # also time PyTorch eager (wide adam cases)


CASES = [
    Case("(a) seeds: moons N=2000, (5,) tanh, sgd, full batch", "MLPClassifier", "moons", 10_000, 1_000, 5.0,
         dict(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", batch_size=2000, learning_rate_init=0.6,
              momentum=0.0)),
    Case("(b) defaults: (100,) relu adam batch 200, 20000x20", "MLPClassifier", "classification", 50, 5, 3.0),
    Case("(c) (64, 64) relu adam batch 200, 20000x20", "MLPClassifier", "classification", 50, 5, 3.0,
         dict(hidden_layer_sizes=(64, 64))),
    Case("(d) MLPRegressor defaults, 20000x20", "MLPRegressor", "regression", 50, 5, 3.0),
    Case("(e) 784 -> (100,) -> 10 adam batch 200, f64", "MLPClassifier", "wide:784:10", 3, 1, 1.3, torch=True),
    Case("(f) 784 -> (100,) -> 10 adam batch 200, f32", "MLPClassifier", "wide:784:10", 3, 1, 1.3,
         dtype="float32", torch=True),
    Case("(g) 100 -> (256, 256) -> 10 adam batch 200", "MLPClassifier", "wide:100:10", 3, 1, 1.3,
         dict(hidden_layer_sizes=(256, 256)), torch=True),
    Case("(h) 20 -> (512,) -> 2 adam batch 200", "MLPClassifier", "classification", 3, 1, 2.0,
         dict(hidden_layer_sizes=(512,))),
    Case("(i) 784 -> (100,) -> 10 lbfgs", "MLPClassifier", "wide:784:10", 30, 5, 1.3, dict(solver="lbfgs")),
]


@dataclass(frozen=True)
class PredictCase:
    name: str
    data: str
    n_samples: int
    hidden: tuple
    floor: float


PREDICT_CASES = [
    PredictCase("(p) predict_proba 20000 x 784, (100,)", "wide:784:10", 20_000, (100,), 1.3),
    PredictCase("(q) predict_proba 50000 x 100, (256, 256)", "wide:100:10", 50_000, (256, 256), 1.3),
    PredictCase("(r) predict_proba 100000 x 20, (100,)", "wide:20:2", 100_000, (100,), 1.5),
    PredictCase("(s) predict_proba 100000 x 2, (5,)", "wide:2:2", 100_000, (5,), 1.5),
]


def dataset(name, n_samples=20_000):
    """Seeded synthetic data; ``"wide:F:C"`` is ``F`` features (20 informative at most) in ``C`` classes."""
    if name.startswith("wide:"):
        n_features, n_classes = (int(n) for n in name.split(":")[1:])
        informative = min(n_features, 20)
        return make_classification(n_samples=n_samples, n_features=n_features, n_informative=informative,
                                   n_redundant=0, n_classes=n_classes, random_state=0)
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


def product_flops(sizes, n_samples):
    """Multiply-adds (x2) of one forward and backward pass: ``z = W a``, ``dW = delta a^T`` and
    ``W^T delta`` (not needed for the first layer)."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    return 2 * n_samples * (2 * sum(a * b for a, b in pairs) + sum(a * b for a, b in pairs[1:]))


def matmul_peak(dtype, n=2000):
    """FLOP/s of NumPy's ``a @ a`` (n x n, all BLAS threads), best of three."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    a @ a
    best = min(timed(lambda: a @ a) for _ in range(3))
    return 2 * n ** 3 / best


def timed(call):
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def torch_fit(X, y, hidden, epochs, batch_size=200, seed=0):
    """PyTorch eager, on all threads: relu layers, softmax cross-entropy, Adam, shuffled batches."""
    import torch

    torch.manual_seed(seed)
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.int64))
    sizes = (X.shape[1],) + tuple(hidden) + (int(y.max()) + 1,)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out, dtype=Xt.dtype), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        order = torch.randperm(len(yt))
        for start in range(0, len(yt), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss(model(Xt[batch]), yt[batch]).backward()
            optimizer.step()


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


#: Samples of the untimed warm-up fit of each case (issue 20's user's process).
WARM_UP = 400


def compare(case, epochs, repeats, steady=False):
    """Median fit seconds of each runner, the largest relative loss_curve_ difference, the final
    loss and fastnn's ``n_iter_``."""
    X, y = dataset(case.data)
    X = X.astype(case.dtype)
    # every epoch runs: no stop on a plateau of the training loss
    params = dict(case.params, max_iter=epochs, n_iter_no_change=np.inf, random_state=0)
    theirs = getattr(neural_network, case.estimator)
    ours = getattr(fastnn, case.estimator)
    # a user's warm-up: a small fit that compiles the kernels or loads them from numba's cache (a long
    # one would load the parallel twins too, which a user's first wide fit does not find loaded)
    timed_fit(ours(**dict(params, max_iter=1)), X[:WARM_UP], y[:WARM_UP])
    if steady:
        compile_parallel_twins()  # else they load or compile in the background during the first timed fits
    runners = {"sklearn": (theirs, None), "sklearn 1 BLAS thread": (theirs, 1), "fastnn": (ours, None)}
    times = {name: [] for name in runners}
    with_torch = case.torch and torch_available()
    if with_torch:
        times["torch"] = []
        hidden = params.get("hidden_layer_sizes", (100,))
        torch_fit(X[:400], y[:400], hidden, 1)  # warm-up
    models = {}
    for _ in range(repeats):
        for name, (estimator, blas_threads) in runners.items():
            elapsed, models[name] = timed_fit(estimator(**params), X, y, blas_threads)
            times[name].append(elapsed)
        if with_torch:
            times["torch"].append(timed(lambda: torch_fit(X, y, hidden, epochs)))
    if params.get("solver") == "lbfgs":  # one loss value per iteration is all lbfgs reports
        curve, reference_curve = np.array([models["fastnn"].loss_]), np.array([models["sklearn"].loss_])
    else:
        curve, reference_curve = np.array(models["fastnn"].loss_curve_), np.array(models["sklearn"].loss_curve_)
        assert len(curve) == len(reference_curve) == epochs
    difference = float(np.max(np.abs(curve / reference_curve - 1)))
    return {name: float(np.median(t)) for name, t in times.items()}, difference, curve[-1], models["fastnn"].n_iter_


#: Seconds of rest before each timed prediction with ``--steady``. After a threaded call, OpenBLAS
#: keeps its worker threads spinning for about 0.1 s: a prediction timed right after the other
#: library's shares the cores with them (fastnn's (p) then ran at its one-core speed, 1.8x
#: slower). By default there is no rest: a user's pipeline calls one step after the other.
PAUSE = 0.25


#: Fewest interleaved rounds of a prediction case (they are short).
PREDICT_REPEATS = 5


def predict_models(case):
    """``(X, scikit-learn's model, fastnn's)`` for a predict case: one epoch on 5,000 of X's samples,
    fastnn's model given scikit-learn's weights."""
    X, y = dataset(case.data, case.n_samples)
    params = dict(hidden_layer_sizes=case.hidden, max_iter=1, random_state=0)
    theirs = timed_fit(neural_network.MLPClassifier(**params), X[:5000], y[:5000])[1]
    ours = timed_fit(fastnn.MLPClassifier(**params), X[:5000], y[:5000])[1]
    ours.coefs_ = [c.copy() for c in theirs.coefs_]
    ours.intercepts_ = [b.copy() for b in theirs.intercepts_]
    return X, theirs, ours


def compare_predict(case, repeats, steady=False):
    """Median predict_proba seconds of scikit-learn and fastnn on the same weights, and the largest
    absolute difference of their probabilities."""
    X, theirs, ours = predict_models(case)
    ours.predict_proba(X[:100])  # compiles, or loads the kernels
    if steady:
        compile_parallel_twins()  # else the parallel twin loads or compiles in the background meanwhile
    times = {"sklearn": [], "fastnn": []}
    for _ in range(repeats):
        for name, model in (("sklearn", theirs), ("fastnn", ours)):
            if steady:
                time.sleep(PAUSE)
            times[name].append(timed(lambda: model.predict_proba(X)))
    difference = float(np.max(np.abs(ours.predict_proba(X) - theirs.predict_proba(X))))
    return {name: float(np.median(t)) for name, t in times.items()}, difference


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, two rounds")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved rounds (default 3, quick 2)")
    parser.add_argument("--only", default=None, help="comma-separated case letters, e.g. e,f,p")
    parser.add_argument("--steady", action="store_true",
                        help="compile both twins by hand and rest before each prediction (default: a user's process)")
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 3)
    chosen = None if args.only is None else {f"({letter.strip()})" for letter in args.only.split(",")}
    peaks = {dtype: matmul_peak(dtype) for dtype in ("float64", "float32")}
    print(f"fastnn vs scikit-learn, fit time, median of {repeats} interleaved rounds; same parameters and "
          "random_state, every epoch run (n_iter_no_change=inf); matmul peak "
          f"{peaks['float64'] / 1e9:.0f} GFLOP/s (float64), {peaks['float32'] / 1e9:.0f} (float32)")
    header = (f"{'case':<52} {'epochs':>6} {'sklearn s':>10} {'1 BLAS thr':>10} {'fastnn s':>9} {'ratio':>7} "
              f"{'floor':>6} {'loss_curve_ rel diff':>21} {'final loss':>11} {'torch s':>8} {'vs torch':>8} "
              f"{'limit s':>8} {'/limit':>7}")
    print(header)
    print("-" * len(header))
    for case in CASES:
        if chosen is not None and case.name.split()[0] not in chosen:
            continue
        epochs = case.quick_epochs if args.quick else case.epochs
        seconds, difference, final, n_iter = compare(case, epochs, repeats, args.steady)
        ratio = min(seconds["sklearn"], seconds["sklearn 1 BLAS thread"]) / seconds["fastnn"]
        flag = "" if ratio >= case.floor else "  BELOW FLOOR"
        torch_s = f"{seconds['torch']:>8.3f} {seconds['torch'] / seconds['fastnn']:>7.2f}x" if "torch" in seconds \
            else f"{'':>8} {'':>8}"
        X, y = dataset(case.data)
        n_outputs = len(np.unique(y)) if case.estimator == "MLPClassifier" and len(np.unique(y)) > 2 else 1
        sizes = (X.shape[1],) + tuple(case.params.get("hidden_layer_sizes", (100,))) + (n_outputs,)
        limit = n_iter * product_flops(sizes, X.shape[0]) / peaks[case.dtype]
        print(f"{case.name:<52} {epochs:>6} {seconds['sklearn']:>10.3f} {seconds['sklearn 1 BLAS thread']:>10.3f} "
              f"{seconds['fastnn']:>9.3f} {ratio:>6.2f}x {case.floor:>5.1f}x {difference:>21.1e} {final:>11.5g} "
              f"{torch_s} {limit:>8.3f} {seconds['fastnn'] / limit:>6.1f}x{flag}")
    print("(a warm-up fit of fastnn per case, which compiles the kernels or loads them from numba's cache, "
          "is not timed; the limit counts fastnn's n_iter_ passes, one output unit for binary)")
    header = f"{'case':<52} {'sklearn s':>10} {'fastnn s':>9} {'ratio':>7} {'floor':>6} {'max abs diff':>13}"
    print()
    print(header)
    print("-" * len(header))
    for case in PREDICT_CASES:
        if chosen is not None and case.name.split()[0] not in chosen:
            continue
        seconds, difference = compare_predict(case, max(repeats, PREDICT_REPEATS), args.steady)
        ratio = seconds["sklearn"] / seconds["fastnn"]
        flag = "" if ratio >= case.floor else "  BELOW FLOOR"
        print(f"{case.name:<52} {seconds['sklearn']:>10.4f} {seconds['fastnn']:>9.4f} {ratio:>6.2f}x "
              f"{case.floor:>5.1f}x {difference:>13.1e}{flag}")


if __name__ == "__main__":
    main()
