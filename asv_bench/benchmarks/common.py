"""What the fastnn benchmarks share: the size profile, cached problems, and ratios timed in one process.

Profiles, as scikit-learn's asv_benchmarks have them: ``FASTNN_ASV_PROFILE=fast`` gives a few small
sizes, for CI's ``asv run --quick`` (every benchmark once, to prove it runs); ``regular`` (the
default) gives the sizes the dashboard tracks.

Everything a benchmark builds goes through a cache here: asv calls ``setup`` again before every
timed sample, so a setup must be cheap the second time, and the JIT must be warm before the
first sample (asv's warm-up is shorter than a compile).

These files import only what the installed fastnn provides. The dashboard runs today's benchmarks
against old commits, so a setup that needs something a commit lacks raises NotImplementedError,
which asv reports as skipped.
"""
import functools
import importlib
import os
import time
import warnings

import numpy as np

import fastnn
from fastnn import reference

PROFILE = os.environ.get("FASTNN_ASV_PROFILE", "regular")
if PROFILE not in ("fast", "regular"):
    raise ValueError(f"FASTNN_ASV_PROFILE must be 'fast' or 'regular', got {PROFILE!r}")

DTYPES = ["float64", "float32"]
LEARNING_RATE = 0.5


def by_profile(fast, regular):
    """``fast`` under the fast profile, else ``regular``."""
    return fast if PROFILE == "fast" else regular


def hidden_sizes(label):
    """``"64x64"`` -> ``(64, 64)``: hidden layers are parameters by label, so asv shows them plainly."""
    return tuple(int(n) for n in label.split("x"))


def feature(module, name):
    """``module.name`` from the installed fastnn, or NotImplementedError (asv: skipped) if it lacks it."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise NotImplementedError(f"{module}.{name} is not in this version of fastnn ({error})") from None


def optional(module):
    """An optional competitor's module, or NotImplementedError (asv: skipped) saying it is absent."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise NotImplementedError(f"{module} is not installed: skipped") from None


@functools.lru_cache(maxsize=None)
def moons(n_samples, dtype):
    """The seeds' data, ``X`` (2, n) and ``Y`` (1, n), noise 0.25, seed 0, as ``dtype`` arrays."""
    X, Y = fastnn.datasets.moons(n_samples=n_samples, noise=0.25, seed=0)
    return X.astype(dtype), Y.astype(dtype)


@functools.lru_cache(maxsize=None)
def start(sizes):
    """Initial parameters for layer ``sizes`` (He, seed 0, float64): every implementation starts here."""
    return reference.initialize_parameters(sizes, "he", seed=0)


def fastnn_fit(n_samples, hidden, activation, dtype):
    """``prepare(iterations)`` -> a call that runs fastnn.fit on moons from :func:`start`."""
    X, Y = moons(n_samples, dtype)
    params = start((2,) + hidden + (1,))

    def prepare(iterations):
        return functools.partial(fastnn.fit, X, Y, LEARNING_RATE, hidden, iterations, activation=activation,
                                 params=params, dtype=dtype)
    return prepare


def reference_fit(n_samples, hidden, activation, dtype):
    """``prepare(iterations)`` -> a call that runs fastnn.reference.fit (the seeds' NumPy loop) alike."""
    X, Y = moons(n_samples, dtype)
    params = start((2,) + hidden + (1,))

    def prepare(iterations):
        return functools.partial(reference.fit, X, Y, LEARNING_RATE, hidden, iterations, activation=activation,
                                 params=params, dtype=dtype)
    return prepare


def sklearn_fit(n_samples, hidden, activation, dtype):
    """``prepare(iterations)`` -> a call that makes scikit-learn's MLPClassifier do what fastnn.fit does.

    Full-batch SGD without momentum, L2 or early stopping is the seeds' gradient descent: the same
    network (``activation`` hidden layers, logistic output, mean binary cross-entropy), the same
    updates, from the same weights. Building the estimator at those weights is not timed; ``fit`` is.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    names = {"tanh": "tanh", "relu": "relu", "sigmoid": "logistic", "identity": "identity"}
    if activation not in names:
        raise NotImplementedError(f"scikit-learn's MLP has no {activation!r} activation")
    X, Y = moons(n_samples, dtype)
    X, y = np.ascontiguousarray(X.T), Y.ravel().astype(int)
    params = start((2,) + hidden + (1,))
    n_layers = len(hidden) + 1
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    def prepare(iterations):
        model = MLPClassifier(hidden, activation=names[activation], solver="sgd", alpha=0.0, batch_size=n_samples,
                              learning_rate="constant", learning_rate_init=LEARNING_RATE, momentum=0.0,
                              nesterovs_momentum=False, shuffle=False, tol=0.0, n_iter_no_change=iterations + 1,
                              max_iter=1, warm_start=True, random_state=0)
        model.fit(X, y)  # one epoch that allocates coefs_ and the rest; the weights are replaced next
        model.coefs_ = [params[f"W{l}"].T.astype(dtype) for l in range(1, n_layers + 1)]
        model.intercepts_ = [params[f"b{l}"].ravel().astype(dtype) for l in range(1, n_layers + 1)]
        model.loss_curve_, model.max_iter = [], iterations
        return functools.partial(model.fit, X, y)
    return prepare


def timed(prepare, iterations):
    """Seconds taken by the call ``prepare(iterations)`` returns."""
    call = prepare(iterations)
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def speedup(fast, slow, seconds, rounds):
    """How many times faster ``fast`` is than ``slow`` (both ``prepare`` functions): median times of
    ``rounds`` interleaved runs.

    Both run the same number of iterations, sized so that ``slow`` takes about ``seconds``; one run of
    each first warms caches and the JIT. Measured in one process, the ratio survives a loaded machine
    that moves every absolute time.
    """
    probe = 2
    iterations = int(max(probe, seconds * probe / timed(slow, probe)))
    timed(fast, iterations)
    times = {fast: [], slow: []}
    for _ in range(rounds):
        for prepare in (fast, slow):
            times[prepare].append(timed(prepare, iterations))
    return float(np.median(times[slow]) / np.median(times[fast]))
