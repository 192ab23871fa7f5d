"""Running the training kernels from Python: workspaces, chunks of iterations, divergence.

A kernel call runs a chunk of iterations sized to take about ``CHUNK_SECONDS``, so Python gets
control back often enough for callbacks, progress reports and Ctrl-C (numba cannot interrupt a
compiled loop, numba #5551), and rarely enough that this costs nothing.
"""
import time

import numba
import numpy as np

from .kernels.network import Data, Net, Workspace
from .validation import diverged

#: Samples per block: a block's activations stay in cache.
BLOCK = 256
#: Most groups of blocks a gradient is split into (parallel tasks). Fixed, so results never
#: depend on the thread count.
MAX_GROUPS = 16
#: Target duration of one kernel call.
CHUNK_SECONDS = 0.1


def make_net(sizes, activation, leak, output, dtype):
    """The kernels' ``Net`` for layer ``sizes`` and activation/output codes."""
    return Net(np.asarray(sizes, dtype=np.int64), activation, dtype.type(leak), output)


def make_workspace(sizes, n_samples, dtype, block=BLOCK, max_groups=MAX_GROUPS):
    """Buffers for a gradient over up to ``n_samples`` samples at a time, allocated once per fit."""
    block = min(block, n_samples)
    groups = min(max_groups, -(-n_samples // block))
    rows = sum(sizes[1:])
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return Workspace(
        A=np.zeros((groups, rows, block), dtype),
        D=np.zeros((groups, rows, block), dtype),
        T=np.zeros((groups, 4, block), dtype),
        gpart=np.zeros((groups, n_params), dtype),
        lpart=np.zeros(groups, np.float64),
        grad=np.zeros(n_params, dtype),
    )


#: The twin that lost is tried again every this many calls (the machine's load changes), if it
#: was at most RETRY_SLOWDOWN times slower; else its time is halved and the re-try postponed.
RETRY_EVERY = 8
RETRY_SLOWDOWN = 2.0


def parallel_pays(workspace):
    """Whether the parallel twin of a kernel can help: more than one group and more than one thread."""
    return workspace.gpart.shape[0] > 1 and numba.get_num_threads() > 1


class FasterTwin:
    """A kernel that calls whichever of its serial and parallel twins has lately been faster.

    Both twins give the same bits (``fastnn.kernels.train``), so the choice only affects speed.
    On an idle machine the parallel twin wins; when other processes hold the cores, a parallel
    region waits at its barrier for a descheduled thread and can run 100x slower than the serial
    twin. Each call is timed per unit of work (``units(args)``, e.g. the chunk's iterations); the
    parallel twin goes first, the serial one second, then the faster one, with the other
    re-tried every ``RETRY_EVERY`` calls.
    """

    def __init__(self, serial, parallel, workspace, units, clock=time.perf_counter):
        self.twins = (parallel, serial) if parallel_pays(workspace) else (serial,)
        self.units = units
        self.clock = clock
        self.seconds_per_unit = [None] * len(self.twins)
        self.calls = 0

    def __call__(self, *args):
        choice = self._choose()
        began = self.clock()
        result = self.twins[choice](*args)
        self.seconds_per_unit[choice] = (self.clock() - began) / max(1, self.units(args))
        self.calls += 1
        return result

    def _choose(self):
        if len(self.twins) == 1:
            return 0
        if self.calls < 4:
            return self.calls % 2
        times = self.seconds_per_unit
        faster = int(times[1] < times[0])
        slower = 1 - faster
        if self.calls % RETRY_EVERY == 0:
            if times[slower] <= RETRY_SLOWDOWN * times[faster]:
                return slower
            times[slower] /= 2
        return faster


def chunks(total, seconds=CHUNK_SECONDS):
    """Yield ``(start, stop)`` ranges covering ``range(total)``, each sized from the previous one's
    duration to take about ``seconds``; the first is small so that it measures cheaply."""
    start, size = 0, 1
    while start < total:
        stop = min(total, start + size)
        began = time.perf_counter()
        yield start, stop
        elapsed = time.perf_counter() - began
        rate = (stop - start) / max(elapsed, 1e-6)
        size = int(min(max(1, rate * seconds), 4 * (stop - start)))
        start = stop


def full_batch(X, Y, sizes, activation, leak, output, dtype):
    """The kernels' ``(net, data, workspace)`` for full-batch training on checked ``X``, ``Y``
    (feature-major, of ``dtype``): every sample weighs ``1 / n_samples``, so the loss is a mean."""
    n_samples = X.shape[1]
    net = make_net(sizes, activation, leak, output, dtype)
    data = Data(X, Y, np.full(n_samples, 1.0 / n_samples, dtype))
    return net, data, make_workspace(sizes, n_samples, dtype)


def descend(run, theta, net, data, learning_rate, costs, workspace, start=0):
    """Gradient descent by the kernel ``run`` for iterations ``start .. len(costs) - 1``, in chunks.

    Updates ``theta`` in place and fills ``costs``. After each chunk, yields ``(first, stop)``: the
    iterations whose costs are now in ``costs``. At the first cost that is NaN or inf, yields the
    chunk up to and including it, then raises DivergenceError. Iterations are the same whatever
    the chunks, so a run stopped at ``k`` and continued from ``start=k`` gives the same bits.
    """
    rate = theta.dtype.type(learning_rate)
    for first, stop in chunks(len(costs) - start):
        first, stop = start + first, start + stop
        done = run(theta, net, data, rate, costs[first:stop], workspace)
        yield first, first + min(done + 1, stop - first)
        if done < stop - first:
            raise diverged(costs[first + done], first + done, learning_rate)
