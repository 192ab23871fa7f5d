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

import numpy as np

import fastnn
from fastnn import reference

from . import peers

PROFILE = os.environ.get("FASTNN_ASV_PROFILE", "regular")
if PROFILE not in ("fast", "regular"):
    raise ValueError(f"FASTNN_ASV_PROFILE must be 'fast' or 'regular', got {PROFILE!r}")

DTYPES = ["float64", "float32"]
LEARNING_RATE = peers.LEARNING_RATE


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


@functools.lru_cache(maxsize=None)
def moons(n_samples, dtype):
    """The seeds' data, ``X`` (2, n) and ``Y`` (1, n), noise 0.25, seed 0, as ``dtype`` arrays."""
    X, Y = fastnn.datasets.moons(n_samples=n_samples, noise=0.25, seed=0)
    return X.astype(dtype), Y.astype(dtype)


@functools.lru_cache(maxsize=None)
def start(sizes):
    """Initial parameters for layer ``sizes`` (He, seed 0, float64): every implementation starts here."""
    return reference.initialize_parameters(sizes, "he", seed=0)


def prepared(peer, n_samples, hidden, activation, dtype):
    """``prepare(iterations)`` of ``peers.<peer>`` on moons from :func:`start` (see ``peers``)."""
    X, Y = moons(n_samples, dtype)
    return getattr(peers, peer)(X, Y, start((2,) + hidden + (1,)), hidden, dtype, activation=activation)


def timed(prepare, iterations):
    """Seconds taken by the call ``prepare(iterations)`` returns."""
    call = prepare(iterations)
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


class NewProcess:
    """Settings of a benchmark whose sample is one new interpreter (``timeraw_``): one run a
    sample, a few samples, no asv warm-up runs."""
    repeat = by_profile(1, 3)
    rounds = 1
    number = 1
    min_run_count = 1
    warmup_time = 0


def speedup(fast, slow, seconds, rounds):
    """How many times faster ``fast`` is than ``slow`` (both ``prepare`` functions): median times of
    ``rounds`` interleaved runs.

    Both run the same number of iterations, sized so that ``slow`` takes about ``seconds``; one run of
    each first warms caches and the JIT (jax compiles once per loop length). Measured in one process,
    the ratio survives a loaded machine that moves every absolute time.
    """
    probe = 2
    iterations = int(max(probe, seconds * probe / timed(slow, probe)))
    timed(fast, iterations)
    timed(slow, iterations)
    times = {fast: [], slow: []}
    for _ in range(rounds):
        for prepare in (fast, slow):
            times[prepare].append(timed(prepare, iterations))
    return float(np.median(times[slow]) / np.median(times[fast]))
