"""Initial weights, drawn into the flat buffer.

Weights are drawn layer by layer, ``W1`` first, from ``numpy.random.RandomState(seed)`` in float64
and then cast, so a seed gives the same network in float64 and float32, and ``seed=0`` with
``init="small"`` gives exactly the weights of seed 004's ``np.random.seed(0)`` code. Biases start
at zero, as in the seeds.
"""
import contextlib
import numbers
import threading

import numpy as np

#: init name -> function (rng, n_out, n_in) -> float64 weights of shape (n_out, n_in)
INITS = {
    "small": lambda rng, n_out, n_in: rng.randn(n_out, n_in) * 0.01,  # seed 004
    "he": lambda rng, n_out, n_in: rng.randn(n_out, n_in) * np.sqrt(2.0 / n_in),  # seed 001
    "glorot": lambda rng, n_out, n_in: rng.uniform(-1.0, 1.0, (n_out, n_in)) * np.sqrt(6.0 / (n_in + n_out)),
}


def check_seed(seed):
    """``seed`` if it is None, an int or a ``RandomState``; else a ValueError."""
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)) \
            or isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"seed must be None, an int or a numpy.random.RandomState, got {seed!r}")


def check_random_state(seed):
    """A ``RandomState`` from None (fresh entropy), an int, or a ``RandomState`` (used as is)."""
    seed = check_seed(seed)
    return seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)


class _SpareStates(threading.local):
    """This thread's ``RandomState`` objects that no running fit holds."""

    def __init__(self):
        self.free = []


_spare_states = _SpareStates()


@contextlib.contextmanager
def random_state(seed):
    """``check_random_state(seed)`` for the length of a ``with`` block. For an int seed it re-seeds a
    spare ``RandomState`` of this thread (1 us, the same numbers) instead of making one: numpy makes
    a new one through a ``SeedSequence`` first, some 100 us, 5 % of the seeds' 300-iteration fit.
    A fit nested in another's callback takes another spare."""
    seed = check_seed(seed)
    if not isinstance(seed, numbers.Integral):
        yield check_random_state(seed)
        return
    free = _spare_states.free
    rng = free.pop() if free else np.random.RandomState()
    rng.seed(seed)
    try:
        yield rng
    finally:
        free.append(rng)


def initial_theta(layout, init, seed, dtype):
    """A flat buffer for ``layout`` with weights drawn by ``INITS[init]`` and zero biases."""
    rng = check_random_state(seed)
    draw = INITS[init]
    theta = np.zeros(layout.n_params, dtype)
    for layer in range(1, layout.n_layers + 1):
        weights = layout.weights(theta, layer)
        weights[...] = draw(rng, *weights.shape)
    return theta
