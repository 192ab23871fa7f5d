"""Threads inside one parallel region (fastnn.kernels.threads) and the kernel that uses them,
gradient_descent_parallel: the serial twin's bits whatever runs its workers, never a deadlock."""
import os
import sys

import numba
import numpy as np
import pytest
from numba import njit, prange

import fastnn
from fastnn.kernels import threads, train
from fastnn.kernels.network import Data
from fastnn.training import make_net, make_workspace

from .conftest import moons


@njit(parallel=True)
def _count(sync, n):
    for _ in prange(n):
        threads.atomic_add(sync, 0, 1)
    return sync[0]


def test_atomic_add_loses_no_count_across_threads():
    assert _count(np.zeros(8, np.int64), 200_000) == 200_000


@njit
def _sequence(sync):
    before = threads.atomic_add(sync, 3, 5)
    threads.atomic_store(sync, 4, 7)
    threads.wait_until(sync, 4, 7)  # already there: returns at once
    return before, threads.atomic_load(sync, 3), threads.atomic_load(sync, 4)


def test_atomics_read_and_write_the_element_they_name():
    sync = np.zeros(8, np.int64)
    sync[3] = 2
    assert _sequence(sync) == (2, 7, 7)
    assert list(sync) == [0, 0, 0, 7, 7, 0, 0, 0]


@njit(parallel=True)
def _pinned_cpus(n, main_cpu, masks, where):
    main_thread = threads.thread_self()
    sync = np.zeros(8, np.int64)
    for w in prange(n):
        pinned = threads.pin(masks[w, 0], masks[w, 1], main_thread, main_cpu, sync, 0)
        where[w] = threads.current_cpu() if pinned else -1
        threads.unpin(masks[w, 0], pinned)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pinning is Linux's")
def test_pinning_gives_each_thread_a_cpu_and_gives_the_mask_back():
    before = os.sched_getaffinity(0)
    masks = np.zeros((2, 2, threads.MASK_WORDS), np.uint64)
    where = np.full(2, -2)
    main_cpu = sorted(before)[0]
    _pinned_cpus(2, main_cpu, masks, where)
    assert os.sched_getaffinity(0) == before
    pinned = where[where >= 0]
    assert len(set(pinned)) == len(pinned) and set(pinned) <= before
    if numba.get_num_threads() >= 2 and len(before) >= 2:  # both workers ran, on a CPU each
        assert len(pinned) >= 1 and main_cpu in pinned


def _problem(n_samples, sizes):
    X, Y = moons(n_samples=n_samples)
    dtype = np.dtype(np.float64)
    net = make_net(sizes, fastnn.functional.ACTIVATIONS["tanh"], 0.01, 0, dtype)
    data = Data(X, Y.astype(float), np.full(n_samples, 1.0 / n_samples))
    start = np.random.RandomState(0).randn(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))
    return net, data, start, make_workspace(sizes, n_samples, dtype, block=256)


def _descend(kernel, net, data, start, ws, learning_rate, iterations):
    theta, costs = start.copy(), np.full(iterations, -1.0)
    done = kernel(theta, net, data, learning_rate, costs, ws)
    return done, theta, costs


@pytest.mark.parametrize("threads_used, chunksize", [(1, 0), (2, 0), (2, 3), (2, 16)])
def test_parallel_descent_gives_the_serial_bits_however_workers_are_run(threads_used, chunksize):
    """1 thread runs every worker in turn; a chunk size puts several on one thread: the later ones
    find the tickets gone. Each way, the serial twin's bits (and no deadlock)."""
    net, data, start, ws = _problem(2100, (2, 9, 1))  # 9 blocks of 256 (about 240 each) in 9 groups
    assert ws.gpart.shape[0] == 9
    expected = _descend(train.gradient_descent, net, data, start, ws, 0.5, 40)
    numba.set_num_threads(threads_used)
    previous = numba.get_parallel_chunksize()
    numba.set_parallel_chunksize(chunksize)
    try:
        got = _descend(train.gradient_descent_parallel, net, data, start, ws, 0.5, 40)
    finally:
        numba.set_parallel_chunksize(previous)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert got[0] == expected[0] == 40
    assert np.array_equal(got[1], expected[1]) and np.array_equal(got[2], expected[2])


def test_parallel_descent_stops_where_the_serial_one_does():
    """A learning rate that overflows theta: both stop at the same iteration, with its NaN or inf cost
    recorded and theta as it was before that iteration's update."""
    net, data, start, ws = _problem(1000, (2, 6, 1))
    serial = _descend(train.gradient_descent, net, data, start, ws, np.inf, 50)
    parallel = _descend(train.gradient_descent_parallel, net, data, start, ws, np.inf, 50)
    assert 0 < serial[0] < 50 and not np.isfinite(serial[2][serial[0]])
    assert parallel[0] == serial[0]
    assert np.array_equal(parallel[1], serial[1])
    assert np.array_equal(parallel[2], serial[2], equal_nan=True)


def test_a_cached_parallel_descent_loads_before_numbas_threads_start():
    """A new process that loads the cached parallel twin before anything started numba's threads
    (the background loader does) runs it; with numba.get_thread_id in the kernel, LLVM aborted the
    process ('Symbol not found: get_thread_id')."""
    from .test_startup import run_python
    code = """
        import sys, numpy as np
        import fastnn
        from fastnn import training, twins
        from fastnn.kernels.train import gradient_descent_parallel
        X, Y = fastnn.datasets.moons(2000, 0.25, seed=0)
        net, data, ws = training.full_batch(X, Y.astype(float), (2, 6, 1), 2, 0.0, 0, np.dtype(np.float64))
        args = (np.random.RandomState(0).randn(25) * 0.5, net, data, 0.5, np.empty(10), ws)
        if STEP == "fill":
            gradient_descent_parallel(*args)
        else:
            types = twins.signature(gradient_descent_parallel, args)
            assert gradient_descent_parallel.load_cached(types)
            print(twins.entry_point(gradient_descent_parallel, types)(*args))
    """
    run_python(code.replace("STEP", repr("fill")))
    assert run_python(code.replace("STEP", repr("use"))).strip() == "10"


def test_more_threads_than_cpus_give_the_serial_bits():
    """NUMBA_NUM_THREADS above the CPU count: threads left without a CPU of their own sit out."""
    from .test_startup import run_python
    code = """
        import numpy as np
        import fastnn
        from fastnn import training
        from fastnn.kernels.train import gradient_descent, gradient_descent_parallel
        X, Y = fastnn.datasets.moons(3000, 0.25, seed=0)
        net, data, ws = training.full_batch(X, Y.astype(float), (2, 7, 1), 2, 0.0, 0, np.dtype(np.float64))
        start = np.random.RandomState(0).randn(29) * 0.5
        runs = [(start.copy(), np.empty(30)) for _ in range(2)]
        gradient_descent(runs[0][0], net, data, 0.5, runs[0][1], ws)
        assert gradient_descent_parallel(runs[1][0], net, data, 0.5, runs[1][1], ws) == 30
        print(np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1]))
    """
    threads = 2 * (os.cpu_count() or 1) + 1
    assert run_python(code, dict(os.environ, NUMBA_NUM_THREADS=str(threads))).strip() == "True"
