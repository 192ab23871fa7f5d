"""The perf gate's set (``scripts/perf_gate.py`` runs ``-b '^gate\\.'`` by default): one case per regime,
each timed as a user's process gets it.

Nothing is compiled by hand: a benchmark's first ``setup`` makes one plain untimed call, which
loads the kernels from numba's on-disk cache (or compiles them), and waits for any kernel that
call set loading in the background (fastnn's own choice, e.g. a prediction's parallel twin); the
timed calls then run whatever fastnn chooses in a fresh process (asv starts one per case). The
cases use only the API every commit has (``fastnn.fit``, ``fastnn.datasets.moons``,
``fastnn.MLPClassifier`` and its ``predict_proba``), so the gate can compare any two commits. A
timed call takes some 7 (fit at n_h=5: three per sample) to 130 ms on a 2-vCPU machine. The
sizes are fixed (no profile): changing a case here changes the gate for every commit alike, but
resets its asv history, so keep them stable.

``FASTNN_GATE_WARMUP=1`` (perf_gate.py's untimed warm-up pass, ``asv run --quick``) makes the first
``setup`` repeat its call for ``WARMUP_SECONDS``: long enough that a kernel fastnn compiles in the
background after a second of serial training does so there, and lands in numba's cache, rather
than during a timed round.
"""
import functools
import os
import threading
import time
import warnings

import numpy as np

import fastnn

WARMUP_SECONDS = 1.5  # of training, past twins.PARALLEL_AFTER (1 s): the parallel twins compile then


@functools.lru_cache(maxsize=None)
def _moons():
    """The seeds' data, fastnn's layout: X (2, 2000), Y (1, 2000)."""
    return fastnn.datasets.moons(2000, noise=0.25, seed=0)


@functools.lru_cache(maxsize=None)
def _classification(n_samples, n_features, n_classes):
    from sklearn.datasets import make_classification

    informative = 2 if n_classes == 2 else 40
    return make_classification(n_samples=n_samples, n_features=n_features, n_informative=informative,
                               n_classes=n_classes, random_state=0)


def _classifier(**kwargs):
    """A fresh fastnn.MLPClassifier that runs all its ``max_iter`` epochs (no convergence stop)."""
    return fastnn.MLPClassifier(**kwargs, tol=0.0, n_iter_no_change=1_000_000, random_state=0)


def _fit(hidden):
    X, Y = _moons()
    return functools.partial(fastnn.fit, X, Y, 0.6, hidden, 300, activation="tanh")


def _estimator_fit(data, **kwargs):
    X, y = data

    def call():
        _classifier(**kwargs).fit(X, y)
    return call


def _seeds():
    X, Y = _moons()
    return _estimator_fit((X.T, Y.ravel()), hidden_layer_sizes=(5,), activation="tanh", solver="sgd",
                          batch_size=2000, momentum=0.0, learning_rate_init=0.6, alpha=0.0, shuffle=False,
                          max_iter=500)


@functools.lru_cache(maxsize=None)
def _fitted_784():
    """A (100,) network for 784 features and 10 classes, fitted briefly on 1,000 samples."""
    X, y = _classification(1000, 784, 10)
    return _classifier(hidden_layer_sizes=(100,), max_iter=1).fit(X, y)


@functools.lru_cache(maxsize=None)
def _rows_784():
    return np.random.default_rng(0).standard_normal((20000, 784))


def _predict_proba():
    return functools.partial(_fitted_784().predict_proba, _rows_784())


#: case -> () -> the call to time
CASES = {
    "fit_h5": lambda: _fit(5),
    "fit_h50": lambda: _fit(50),
    "seeds_estimator": _seeds,
    "sklearn_defaults": lambda: _estimator_fit(_classification(5000, 20, 2), max_iter=20),
    "estimator_64x64": lambda: _estimator_fit(_classification(5000, 20, 2), hidden_layer_sizes=(64, 64),
                                              max_iter=20),
    "epoch_784_100": lambda: _estimator_fit(_classification(4000, 784, 10), max_iter=2),
    "predict_proba_20000x784": _predict_proba,
}

#: calls per sample where one takes under ~20 ms (asv times each and keeps their mean)
NUMBER = {"fit_h5": 3}

_calls = {}  # case -> its call, once the first setup has made the untimed call


def _prepared(case):
    """The call to time for ``case``; the first time in a process, after one untimed call (repeated
    for ``WARMUP_SECONDS`` under FASTNN_GATE_WARMUP=1)."""
    if case not in _calls:
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epochs are set, not converged
        call = CASES[case]()
        call()  # compiles what the cache lacks; the repeats below are training, as the twins count it
        began = time.perf_counter()
        while os.environ.get("FASTNN_GATE_WARMUP") == "1" and time.perf_counter() - began < WARMUP_SECONDS:
            call()
        # a kernel fastnn began to compile or load in the background (a parallel twin) is ready
        # before the timed calls, rather than ready after some of them, a race the timing would show
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join(timeout=180)
        _calls[case] = call
    return _calls[case]


class Gate:
    """The gate's cases, ``number = 1`` call per sample (``NUMBER`` for the shortest), ``repeat``
    samples per asv process. Few samples per process keep the seeds' case, with its untimed call,
    under a second of training in a process (``training.PARALLEL_AFTER`` at 40aa085: past it, a
    parallel twin starts loading during the timed calls); perf_gate.py's rounds give the rest."""
    params = [list(CASES)]
    param_names = ["case"]
    number = 1
    repeat = 5
    rounds = 1
    warmup_time = 0
    min_run_count = 1
    timeout = 240

    def setup(self, case):
        self.call = _prepared(case)
        self.number = NUMBER.get(case, 1)

    def time_call(self, case):
        self.call()
