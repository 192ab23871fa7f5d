"""Same seed, same bits: run twice, at 1 and 2 threads, serial and parallel kernels."""
import numba
import numpy as np
import pytest

import fastnn
from fastnn.kernels import train
from fastnn.kernels.network import Data
from fastnn.training import make_net, make_workspace

from .conftest import moons


def bitwise_equal(a, b):
    return sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", [5, (16, 8)])
def test_same_seed_same_bits_at_any_thread_count(hidden, dtype):
    X, Y = moons(n_samples=3000)  # several blocks, so the parallel kernel really splits the work
    results = []
    for threads in (1, 2, 1, 2):
        numba.set_num_threads(threads)
        try:
            results.append(fastnn.fit(X, Y, 0.5, hidden, 200, activation="tanh", init="he", seed=42, dtype=dtype))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    for params, costs in results[1:]:
        assert bitwise_equal(params, results[0][0])
        assert np.array_equal(costs, results[0][1])


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_serial_and_parallel_kernels_agree_bitwise(activation):
    X, Y = moons(n_samples=2500)
    sizes = (2, 7, 3, 1)
    dtype = np.dtype(np.float64)
    net = make_net(sizes, fastnn.functional.ACTIVATIONS[activation], 0.01, 0, dtype)
    data = Data(X, Y.astype(float), np.full(X.shape[1], 1.0 / X.shape[1]))
    start = np.random.RandomState(0).randn(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))
    outcomes = []
    for kernel in (train.gradient_descent, train.gradient_descent_parallel):
        theta = start.copy()
        costs = np.empty(50)
        assert kernel(theta, net, data, 0.3, costs, make_workspace(sizes, X.shape[1], dtype)) == 50
        outcomes.append((theta, costs))
    assert np.array_equal(outcomes[0][0], outcomes[1][0])
    assert np.array_equal(outcomes[0][1], outcomes[1][1])


def test_different_seeds_differ():
    X, Y = moons()
    a, _ = fastnn.fit(X, Y, 0.5, 5, 10, seed=1)
    b, _ = fastnn.fit(X, Y, 0.5, 5, 10, seed=2)
    assert not bitwise_equal(a, b)


def test_an_int_seed_draws_what_its_random_state_draws_even_with_a_fit_in_a_callback():
    """``seed=7`` trains exactly as ``seed=RandomState(7)`` (fit re-seeds a spare RandomState of
    its thread), also when a callback runs another seeded fit between the outer fit's shuffles."""
    X, Y = moons(n_samples=300)
    minibatches = dict(optimizer="sgd", batch_size=32, init="he")
    expected = fastnn.fit(X, Y, 0.5, 4, 6, seed=np.random.RandomState(7), **minibatches)
    plain = fastnn.fit(X, Y, 0.5, 4, 6, seed=7, **minibatches)
    nested = fastnn.fit(X, Y, 0.5, 4, 6, seed=7, **minibatches,
                        callback=lambda i, cost: fastnn.fit(X, Y, 0.5, 3, 2, seed=i, **minibatches))
    for params, costs in (plain, nested):
        assert bitwise_equal(params, expected[0]) and np.array_equal(costs, expected[1])


def test_faster_twin_tries_both_and_keeps_the_faster(monkeypatch):
    """FasterTwin times each twin, then runs the faster, re-trying the other (a fake clock)."""
    from fastnn import twins

    monkeypatch.setattr(twins, "LOAD_AFTER", 0.0)  # the parallel twin joins at the first call
    monkeypatch.setattr(twins, "MIN_REGION_SECONDS", 0.0)
    monkeypatch.setattr(twins, "MIN_TRIAL_SECONDS", 0.0)
    monkeypatch.setattr(twins, "_parallel_started", True)  # else the process's first parallel call is not timed
    from fastnn.training import make_workspace
    from fastnn.twins import RETRY_EVERY, RETRY_LOADED, FasterTwin

    now = [0.0]
    calls = []

    def twin(name, seconds):
        """A twin whose calls take ``seconds`` each (an iterator: one value per call)."""
        def run(*args):
            calls.append(name)
            now[0] += seconds if isinstance(seconds, float) else next(seconds)
        return run

    def run_twins(serial_seconds, parallel_seconds, n_calls, workspace):
        calls.clear()
        run = FasterTwin(twin("serial", serial_seconds), twin("parallel", parallel_seconds), workspace,
                         units=lambda args: 1, clock=lambda: now[0])
        for _ in range(n_calls):
            run()
        return [i for i, name in enumerate(calls) if name == "parallel"]

    workspace = make_workspace((2, 3, 1), 5000, np.dtype(np.float64))  # many groups: both twins in play
    numba.set_num_threads(2)
    try:
        parallel_calls = run_twins(1.0, 1.5, 2 * RETRY_EVERY + 1, workspace)
        assert calls[:4] == ["serial", "parallel", "serial", "serial"]  # each timed, then the faster
        assert parallel_calls == [1, RETRY_EVERY, 2 * RETRY_EVERY]  # 1.5x slower: re-tried every RETRY_EVERY
        parallel_calls = run_twins(1.0, 20.0, 6 * RETRY_EVERY + 1, workspace)
        assert parallel_calls == [1, 5 * RETRY_EVERY]  # 20x slower: skipped at 20x, 10x, 5x, 2.5x; then 1.25x
        # faster in parallel: the serial twin is not re-tried while the parallel one keeps its speed...
        assert run_twins(1.0, 0.5, 3 * RETRY_EVERY, workspace) == list(range(1, 3 * RETRY_EVERY))
        # ...and is, every RETRY_EVERY calls, once it runs RETRY_LOADED times slower than its fastest
        slowing = iter([0.5] * RETRY_EVERY + [0.5 * RETRY_LOADED * 1.1] * (3 * RETRY_EVERY))
        expected = [i for i in range(1, 3 * RETRY_EVERY) if i % RETRY_EVERY or i == RETRY_EVERY]
        assert run_twins(1.0, slowing, 3 * RETRY_EVERY, workspace) == expected
        assert run_twins(0.0, 0.0, 3, make_workspace((2, 3, 1), 100, np.dtype(np.float64))) == []  # one group
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def test_what_a_run_learned_is_kept_per_shapes_and_dtype():
    """A fit starts from what the last one of the same twins, workspace shapes and dtype learned;
    a float32 fit never from a float64 one's timings (784 -> (100,) -> 10, adam, after the float64
    fit in one process: 1.15x scikit-learn with them, 1.78x without)."""
    from fastnn.training import make_workspace
    from fastnn.twins import FasterTwin

    now = [0.0]

    def serial(*args):
        now[0] += 1.0

    def parallel(*args):
        now[0] += 0.5

    def twin(dtype):
        workspace = make_workspace((2, 3, 1), 5000, np.dtype(dtype))
        return FasterTwin(serial, parallel, workspace, units=lambda args: 1, clock=lambda: now[0])

    run = twin(np.float64)
    for _ in range(4):
        run()
    assert twin(np.float64).seconds_per_unit == run.seconds_per_unit != [None, None]
    assert twin(np.float32).seconds_per_unit == [None, None]
