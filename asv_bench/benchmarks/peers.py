"""fastnn.fit's training loop as fastnn and its peers run it, for the speed-up benchmarks and for
scripts/compare.py (which imports this module, so both time the same code).

The loop is the seeds': dense layers with one hidden activation, a sigmoid output, mean binary
cross-entropy, full-batch gradient descent at ``LEARNING_RATE``, the cost recorded every iteration.
Each function takes a problem (``X`` (n_features, n) and ``Y`` (1, n), the seeds' layout; ``start``,
the initial weights as the seeds' dict; the hidden sizes; the dtype) and returns
``prepare(iterations)``, which sets a run up and returns the call to time; the call returns the
costs. Every peer starts from ``start``, so all of them train the same model. A peer that cannot
run here (not installed, or no such activation) raises NotImplementedError, which asv reports as
skipped and compare.py as "skipped".
"""
import functools
import importlib
import warnings

import numpy as np

import fastnn
from fastnn import reference

LEARNING_RATE = 0.5


def optional(module):
    """An optional peer's module, or NotImplementedError saying it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise NotImplementedError(f"{module} is not installed") from None


def _layers(start, dtype):
    """``[(W1, b1), (W2, b2), ...]`` from the seeds' dict, as ``dtype`` arrays."""
    return [(np.asarray(start[f"W{l}"], dtype), np.asarray(start[f"b{l}"], dtype))
            for l in range(1, len(start) // 2 + 1)]


def fastnn_fit(X, Y, start, hidden, dtype, activation="tanh", threads=None, steady=False):
    """``fastnn.fit``, on numba's ``threads`` (default: all; one runs the serial kernels).

    The set-up makes one two-iteration fit, as a user's first call, which loads the kernels from
    numba's cache (or compiles them); the timed fits then get what a user's process gets.
    ``steady``: compile both twins by hand first (``fastnn.cli.warm_up``), the state of a process
    that has trained for a while."""
    import numba

    X, Y = np.asarray(X, dtype), np.asarray(Y, dtype)
    launch_threads = getattr(importlib.import_module("fastnn"), "twins", None)  # older commits: none
    if launch_threads is not None:
        launch_threads.launch_threads()  # with fastnn's settings, before set_num_threads below starts them
    warm_up = getattr(importlib.import_module("fastnn.cli"), "warm_up", None) if steady else None
    if warm_up is not None:
        warm_up(X, Y, learning_rate=LEARNING_RATE, hidden_size=hidden, activation=activation, dtype=dtype)
    else:
        fastnn.fit(X, Y, LEARNING_RATE, hidden, 2, activation=activation, params=start, dtype=dtype)

    def prepare(iterations):
        def run():
            before = numba.get_num_threads()
            numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
            try:
                return fastnn.fit(X, Y, LEARNING_RATE, hidden, iterations, activation=activation, params=start,
                                  dtype=dtype)[1]
            finally:
                numba.set_num_threads(before)
        return run
    return prepare


def reference_fit(X, Y, start, hidden, dtype, activation="tanh"):
    """``fastnn.reference.fit``: the seeds' NumPy loop."""
    X, Y = np.asarray(X, dtype), np.asarray(Y, dtype)

    def prepare(iterations):
        return lambda: reference.fit(X, Y, LEARNING_RATE, hidden, iterations, activation=activation, params=start,
                                     dtype=dtype)[1]
    return prepare


def sklearn_fit(X, Y, start, hidden, dtype, activation="tanh"):
    """scikit-learn's MLPClassifier on full-batch SGD without momentum, L2 or early stopping: the
    seeds' updates. Building the estimator at ``start`` (one untimed epoch) is in ``prepare``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    names = {"tanh": "tanh", "relu": "relu", "sigmoid": "logistic", "identity": "identity"}
    if activation not in names:
        raise NotImplementedError(f"scikit-learn's MLP has no {activation!r} activation")
    X, y = np.ascontiguousarray(np.asarray(X).T, dtype), np.asarray(Y).ravel().astype(int)
    layers = _layers(start, dtype)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # the epochs are set, not converged

    def prepare(iterations):
        model = MLPClassifier(hidden, activation=names[activation], solver="sgd", alpha=0.0, batch_size=X.shape[0],
                              learning_rate_init=LEARNING_RATE, momentum=0.0, nesterovs_momentum=False,
                              shuffle=False, tol=0.0, n_iter_no_change=iterations + 1, max_iter=1,
                              warm_start=True, random_state=0)
        model.fit(X, y)  # allocates coefs_ and the rest; the weights are replaced next
        model.coefs_ = [W.T.copy() for W, b in layers]
        model.intercepts_ = [b.ravel().copy() for W, b in layers]
        model.loss_curve_, model.max_iter = [], iterations

        def run():
            model.fit(X, y)
            return np.asarray(model.loss_curve_)
        return run
    return prepare


def torch_eager(X, Y, start, hidden, dtype, activation="tanh", threads=None):
    """PyTorch eager mode with autograd, on ``threads`` threads (default: all cores), tanh only."""
    import os

    torch = optional("torch")
    if activation != "tanh":
        raise NotImplementedError("the torch peer is written for tanh")
    import torch.nn.functional as F

    tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    X, Y = torch.tensor(np.asarray(X), dtype=tdtype), torch.tensor(np.asarray(Y), dtype=tdtype)
    layers = _layers(start, dtype)
    threads = threads or os.cpu_count()

    def prepare(iterations):
        params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in layers]
        flat = [p for layer in params for p in layer]

        def run():
            torch.set_num_threads(threads)
            costs = []
            for _ in range(iterations):
                A = X
                for W, b in params[:-1]:
                    A = torch.tanh(W @ A + b)
                W, b = params[-1]
                loss = F.binary_cross_entropy_with_logits(W @ A + b, Y)
                for p in flat:
                    p.grad = None
                loss.backward()
                with torch.no_grad():
                    for p in flat:
                        p.sub_(LEARNING_RATE * p.grad)
                costs.append(loss.detach())
            return torch.stack(costs).numpy()
        return run
    return prepare


@functools.lru_cache(maxsize=None)
def _jax_train():
    """The whole training loop as one ``jit`` over a ``lax.scan`` (compiled once per shape and length)."""
    jax = optional("jax")
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def cost(layers, X, Y):
        A = X
        for W, b in layers[:-1]:
            A = jnp.tanh(W @ A + b)
        W, b = layers[-1]
        Z = W @ A + b
        return jnp.mean(jnp.maximum(Z, 0) - Y * Z + jnp.log1p(jnp.exp(-jnp.abs(Z))))

    cost_and_grad = jax.value_and_grad(cost)

    def train(layers, X, Y, iterations):
        def step(layers, _):
            value, grads = cost_and_grad(layers, X, Y)
            return jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, layers, grads), value
        return jax.lax.scan(step, layers, None, length=iterations)

    return jax.jit(train, static_argnums=3)


def jax_scan(X, Y, start, hidden, dtype, activation="tanh"):
    """JAX: ``jit`` over a ``lax.scan`` of the whole training loop (XLA picks its threads), tanh only."""
    if activation != "tanh":
        raise NotImplementedError("the jax peer is written for tanh")
    train = _jax_train()
    import jax.numpy as jnp

    X, Y = jnp.asarray(np.asarray(X, dtype)), jnp.asarray(np.asarray(Y, dtype))
    layers = [(jnp.asarray(W), jnp.asarray(b)) for W, b in _layers(start, dtype)]

    def prepare(iterations):
        return lambda: np.asarray(train(layers, X, Y, iterations)[1])  # np.asarray waits for the result
    return prepare
