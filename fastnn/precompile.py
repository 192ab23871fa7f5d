"""Ahead-of-time compilation: every kernel fastnn calls, in both dtypes and both twins, for every
hidden activation (or those asked for), into numba's on-disk cache (``fastnn compile``), so that a
Docker image or a CI cache starts warm.

A first use compiles only what it needs (one dtype; one activation, output kind and backward
pass, ``fastnn.kernels.network.Net``; the serial twin, and the parallel twin only after a second of
training, ``fastnn.twins.FasterTwin``). Here each task is a small real call (so that the kernels
compile for exactly the types the package passes them), then each parallel twin compiles for
every signature its serial twin got; the tasks run in worker processes, one a core, since numba
compiles one function at a time in a process.
"""
import concurrent.futures
import itertools
import multiprocessing
import warnings

import numpy as np

from .kernels import train
from .kernels.activations import ACTIVATIONS, SKLEARN_NAMES

#: The hidden activations of ``fastnn.fit``, and scikit-learn's four for the estimators (a leaky ReLU
#: or arctan estimator compiles at its first fit).
FUNCTIONAL_ACTIVATIONS = tuple(ACTIVATIONS)
SKLEARN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")

#: (serial, parallel) twins of the training drivers and of prediction.
TWINS = ((train.gradient_descent, train.gradient_descent_parallel), (train.loss_grad, train.loss_grad_parallel),
         (train.minibatch_epoch, train.minibatch_epoch_parallel), (train.predict, train.predict_parallel))


def _functional(dtype, activation):
    """The seeds' API: ``fit``, ``predict_proba``, ``cost_and_gradients``, for one hidden layer and
    for two (each its own backward pass, ``kernels.network.Net``)."""
    import fastnn

    X, Y = fastnn.datasets.moons(n_samples=40, noise=0.25, seed=0)
    X = X.astype(dtype)
    for hidden in (3, (3, 2)):
        params, _ = fastnn.fit(X, Y, 0.5, hidden, 2, dtype=dtype, activation=activation)
        fastnn.predict_proba(X, params, activation)
        fastnn.cost_and_gradients(X, Y, params, activation)


def _estimators(dtype, activation):
    """``MLPClassifier`` (binary and multi-class) and ``MLPRegressor``, every solver, with and
    without early stopping and sample weights; 3 features and 6 (a one-output network of at most
    ``FUSED_INPUTS`` inputs has a backward pass of its own, ``kernels.network.Net``)."""
    from .estimators import MLPClassifier, MLPRegressor

    rng = np.random.RandomState(0)
    weights = rng.uniform(0.5, 1.5, size=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for solver, n_features in itertools.product(("sgd", "adam", "lbfgs"), (3, 6)):
            X = rng.normal(size=(60, n_features)).astype(dtype)
            labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
            for estimator, y in ((MLPClassifier, labels > 0), (MLPClassifier, labels), (MLPRegressor, X[:, 2])):
                for options in ({}, {"early_stopping": True} if solver != "lbfgs" else {"alpha": 0.1}):
                    model = estimator(hidden_layer_sizes=(4,), activation=activation, solver=solver, max_iter=2,
                                      random_state=0, **options)
                    model.fit(X, y, sample_weight=weights if options else None).predict(X)


def compile_parallel_twins(twins=TWINS):
    """Each parallel twin for every signature its serial twin has been compiled for: after a
    warm-up fit, so that a timed fit does not compile them in the background meanwhile."""
    for serial, parallel in twins:
        for signature in serial.signatures:
            parallel.compile(signature)


def tasks(activations=None):
    """The independent parts of ``fastnn compile``: (dtype, what to call, hidden activation), each
    then followed by the parallel twins of what it compiled. The kernels compile once per
    (activation, output kind) (``fastnn.kernels.network.Net``), so each activation is a task of its
    own; ``activations`` (names of ``fastnn.fit``'s or scikit-learn's) keeps those only."""
    fastnn_name = {sklearn: name for name, sklearn in SKLEARN_NAMES.items()}.get
    wanted = None if activations is None else {fastnn_name(name, name) for name in activations}
    unknown = sorted(wanted - set(ACTIVATIONS)) if wanted else []
    if unknown:
        raise ValueError(f"unknown activation {unknown[0]!r}; expected one of {sorted(ACTIVATIONS)}")
    return [(dtype, kind, activation) for dtype in ("float64", "float32")
            for kind, names in (("functional", FUNCTIONAL_ACTIVATIONS), ("estimators", SKLEARN_ACTIVATIONS))
            for activation in names if wanted is None or fastnn_name(activation, activation) in wanted]


def compile_task(dtype, kind, activation):
    """One of :func:`tasks`: the kernels ``kind`` calls in ``dtype`` for ``activation``, then
    the parallel twins of every signature compiled so far in this process. Returns its label."""
    (_functional if kind == "functional" else _estimators)(np.dtype(dtype).type, activation)
    compile_parallel_twins()
    return f"{kind}, {activation} and parallel twins ({dtype})"


def compile_all(progress=True, jobs=1, activations=None):
    """Run every task of :func:`tasks` (for ``activations``, default all), in ``jobs`` worker
    processes (numba's compiler runs one function at a time in a process; the cache's saves are
    locked, ``kernels.cache``), with a tqdm bar if tqdm is installed (else a line per task)."""
    todo = tasks(activations)
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        bar = tqdm(total=len(todo), unit="task", desc="fastnn compile") if tqdm else None
    if jobs > 1:
        pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        done = concurrent.futures.as_completed([pool.submit(compile_task, *task) for task in todo])
        labels = (future.result() for future in done)
    else:
        pool = None
        labels = (compile_task(*task) for task in todo)
    try:
        for number, label in enumerate(labels, 1):
            if bar is not None:
                bar.set_postfix_str(label)
                bar.update()
            elif progress:
                print(f"[{number}/{len(todo)}] {label}", flush=True)
    finally:
        if pool is not None:
            pool.shutdown()
        if bar is not None:
            bar.close()
