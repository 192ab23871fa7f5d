"""Where the speed of a fit or a prediction is decided: the plan of every kernel call, from shapes.

- Samples in blocks sized to the network (``block_size``: a block's activations stay in cache),
  blocks in at most ``MAX_GROUPS`` groups, the parallel tasks: from the shapes alone, so results
  never depend on the thread count (``make_workspace``); a minibatch cut in two blocks past
  ``SPLIT_WORK`` (``minibatch_block``).
- A network with wide layers calls BLAS, held to one thread meanwhile (``blas_threads``).
- Gradient descent runs chunks of iterations sized to take about ``CHUNK_SECONDS``, so Python gets
  control back often enough for callbacks, progress reports and Ctrl-C (numba cannot interrupt a
  compiled loop, numba #5551), and rarely enough that this costs nothing (``chunks``).
- A prediction runs on every thread past ``PARALLEL_WORK`` and reads scikit-learn's rows in place
  from ``ROWS_INPUT`` features (``prediction_groups``, ``reads_rows``).

Which twin of a kernel, serial or parallel, runs each call is measured in the process:
``fastnn.twins``. The Python loop over epochs is ``fastnn.engine.Epochs.train``.
"""
import contextlib
import functools
import threading
import time

import numpy as np
import threadpoolctl

from .kernels.network import Data, Net, Workspace
from .kernels.products import uses_blas, wide_layers
from .twins import thread_count
from .validation import diverged

#: Least and most samples per block, and the most bytes a block's activations and derivatives
#: (``A`` and ``D``, two rows of a block per unit) take (``block_size``): they stay in a core's L2
#: cache, while a narrow network gets long rows, whose many short loops then pay their fixed cost
#: less often (the seeds' 2 -> 5 -> 1, serial: 19.1 us an iteration in blocks of 256, 14.0 in
#: blocks of 1,000; 2 -> 50 -> 1: 117 and 102 us; on the Zen 5 EPYC, as with AVX2 code).
BLOCK = 256
MAX_BLOCK = 1024
BLOCK_BYTES = 512 * 1024
#: Most groups of blocks a gradient is split into (parallel tasks). Fixed, so results never
#: depend on the thread count.
MAX_GROUPS = 16
#: Bytes of a cache line.
CACHE_LINE = 64
#: Target duration of one kernel call.
CHUNK_SECONDS = 0.1


def make_net(sizes, activation, leak, output, dtype):
    """The kernels' ``Net`` for layer ``sizes`` and activation/output codes."""
    return Net(np.asarray(sizes, dtype=np.int64), activation, dtype.type(leak), output)


#: Least work of a minibatch (samples x parameters, about its multiply-adds per pass) for which it
#: is cut into two blocks that the parallel twin trains on two cores. Below it the barrier at the
#: end of every batch costs more than the second core saves (the seeds' and other small networks;
#: 20 -> (64, 64) -> 1, at 1.1e6, was measured once cut: +7 % on two idle cores, -20 % serial).
SPLIT_WORK = 2_000_000


def block_size(sizes, dtype):
    """Samples per block for layer ``sizes`` in ``dtype``: as many as ``BLOCK_BYTES`` hold, a
    multiple of 64 between ``BLOCK`` and ``MAX_BLOCK``. It depends on the shapes only, never on the
    thread count, so every thread count gives the same bits."""
    fits = BLOCK_BYTES // (2 * sum(sizes[1:]) * np.dtype(dtype).itemsize)
    return int(min(MAX_BLOCK, max(BLOCK, fits // 64 * 64)))


def minibatch_block(sizes, batch_size, dtype):
    """Samples per block of a minibatch: ``block_size`` (a batch of up to that many samples is then
    one block), or at most half the batch when its work passes ``SPLIT_WORK`` (784 -> 100 -> 10 in
    batches of 200: 1.35x faster on two idle cores)."""
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    block = block_size(sizes, dtype)
    return min(block, -(-batch_size // 2)) if batch_size * n_params >= SPLIT_WORK else block


def make_workspace(sizes, n_samples, dtype, block=None, max_groups=MAX_GROUPS):
    """Buffers for a gradient over up to ``n_samples`` samples at a time, allocated once per fit,
    in blocks of ``block`` samples (default ``block_size``)."""
    block = min(block or block_size(sizes, dtype), n_samples)
    groups = min(max_groups, -(-n_samples // block))
    rows = sum(sizes[1:])
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    # Each group's gradient row padded by at least a cache line: two threads that accumulate into
    # rows sharing a line pass it back and forth at every write (the seeds' 21 parameters: the
    # parallel twin ran slower than the serial one).
    line = CACHE_LINE // np.dtype(dtype).itemsize
    padded = -(-n_params // line) * line + line
    return Workspace(
        A=np.zeros((groups, rows, block), dtype),
        D=np.zeros((groups, rows, block), dtype),
        T=np.zeros((groups, max([4, *sizes[1:-1]]), block), dtype),  # W^T delta of a layer (products.input_deltas)
        gpart=np.zeros((groups, padded), dtype),
        lpart=np.zeros(groups, np.float64),
        grad=np.zeros(n_params, dtype),
    )


#: Least work (samples x parameters, about the multiply-adds) for which a prediction runs on all
#: threads: below it (some 0.3 ms at one core's speed), waking them costs more than it saves.
PARALLEL_WORK = 10_000_000

#: Fewest input features for which a prediction reads sample-major rows in place (by BLAS); with
#: fewer, X is transposed once for the row kernels, which a BLAS call's fixed cost would not beat.
ROWS_INPUT = 8


def prediction_groups(n_samples, n_params):
    """Groups of a prediction: numba's thread count past ``PARALLEL_WORK``, else 1 (numba's thread
    count is asked only then: the first query starts its thread pool, some 15 ms of a short process)."""
    return thread_count() if n_samples * n_params >= PARALLEL_WORK else 1


def reads_rows(n_features):
    """Whether a prediction's first layer reads the rows of X as scikit-learn passes them."""
    return n_features >= ROWS_INPUT


def make_batch(sizes, batch_size, dtype):
    """Buffers for one minibatch of the epoch kernel (``kernels.train.minibatch_epoch``): ``X``
    sample-major (batch_size, n_features) when the first layer is wide (``kernels.products``:
    BLAS reads its rows in place), else feature-major; ``Y`` feature-major; the sample weights."""
    shape = (batch_size, sizes[0]) if wide_layers(sizes, dtype)[0] else (sizes[0], batch_size)
    return Data(np.empty(shape, dtype), np.empty((sizes[-1], batch_size), dtype), np.empty(batch_size, dtype))


class _OneBlasThread:
    """Context: BLAS runs on one thread while fastnn's kernels call it (``kernels.blas``).

    fastnn splits a minibatch over numba's threads itself, in a fixed order; a threaded BLAS
    under each of them would oversubscribe the cores and make the bits depend on BLAS's thread
    count. Nested and concurrent uses (fits in several Python threads) share one limit, lifted when
    the last of them leaves. ``threadpoolctl`` finds the BLAS libraries loaded when first used;
    scipy's, the one the kernels call, is loaded first.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._limiter = None

    @functools.cached_property
    def _controller(self):
        import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS the kernels call)
        return threadpoolctl.ThreadpoolController()

    def __enter__(self):
        with self._lock:
            if self._users == 0:
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._users += 1

    def __exit__(self, *exc_info):
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._limiter.restore_original_limits()


one_blas_thread = _OneBlasThread()


def blas_threads(net, x_rows=False):
    """``one_blas_thread`` for a network whose products call BLAS (a wide layer, or a first layer
    that reads sample-major rows: ``x_rows``), else nothing (the seeds' networks never do, and
    setting BLAS's threads costs some 0.1 ms a call)."""
    return one_blas_thread if x_rows or uses_blas(net.sizes, net.leak.dtype) else contextlib.nullcontext()


def chunks(total, seconds=CHUNK_SECONDS, first=None):
    """Yield ``(start, stop)`` ranges covering ``range(total)``, each sized from the previous one's
    duration to take about ``seconds``. The first has ``first`` units (the kernel's expected
    ``seconds`` worth, when a run already measured it), else one, so that it measures cheaply."""
    start, size = 0, first or 1
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
    expected = run.units_in(CHUNK_SECONDS) if hasattr(run, "units_in") else None
    for first, stop in chunks(len(costs) - start, first=expected):
        first, stop = start + first, start + stop
        with blas_threads(net):
            done = run(theta, net, data, rate, costs[first:stop], workspace)
        yield first, first + min(done + 1, stop - first)
        if done < stop - first:
            raise diverged(costs[first + done], first + done, learning_rate)
