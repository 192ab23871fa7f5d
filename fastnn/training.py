"""Running the training kernels from Python: workspaces, chunks of iterations, divergence.

A kernel call runs a chunk of iterations sized to take about ``CHUNK_SECONDS``, so Python gets
control back often enough for callbacks, progress reports and Ctrl-C (numba cannot interrupt a
compiled loop, numba #5551), and rarely enough that this costs nothing.
"""
import collections
import contextlib
import functools
import threading
import time

import numba
import numba.np.ufunc.parallel
import numpy as np
import threadpoolctl

from .kernels.network import Data, Net, Workspace
from .kernels.products import uses_blas, wide_layers
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


#: Least work of a minibatch (samples x parameters, about its multiply-adds per pass) for which it
#: is cut into two blocks that the parallel twin trains on two cores. Below it the barrier at the
#: end of every batch costs more than the second core saves (the seeds' and other small networks;
#: 20 -> (64, 64) -> 1, at 1.1e6, was measured once cut: +7 % on two idle cores, -20 % serial).
SPLIT_WORK = 2_000_000


def minibatch_block(sizes, batch_size):
    """Samples per block of a minibatch: ``BLOCK`` (a batch of up to ``BLOCK`` samples is then one
    block), or at most half the batch when its work passes ``SPLIT_WORK`` (784 -> 100 -> 10 in
    batches of 200: 1.35x faster on two idle cores). It depends on the shapes only, never on the
    thread count, so every thread count gives the same bits."""
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return min(BLOCK, -(-batch_size // 2)) if batch_size * n_params >= SPLIT_WORK else BLOCK


def make_workspace(sizes, n_samples, dtype, block=BLOCK, max_groups=MAX_GROUPS):
    """Buffers for a gradient over up to ``n_samples`` samples at a time, allocated once per fit."""
    block = min(block, n_samples)
    groups = min(max_groups, -(-n_samples // block))
    rows = sum(sizes[1:])
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return Workspace(
        A=np.zeros((groups, rows, block), dtype),
        D=np.zeros((groups, rows, block), dtype),
        T=np.zeros((groups, max([4, *sizes[1:-1]]), block), dtype),  # W^T delta of a layer (products.input_deltas)
        gpart=np.zeros((groups, n_params), dtype),
        lpart=np.zeros(groups, np.float64),
        grad=np.zeros(n_params, dtype),
    )


def make_batch(sizes, batch_size, dtype):
    """Buffers for one minibatch of the epoch kernel (``kernels.train.minibatch_epoch``): ``X``
    sample-major (batch_size, n_features) when the first layer is wide (``kernels.products``:
    BLAS reads its rows in place), else feature-major; ``Y`` feature-major; the sample weights."""
    shape = (batch_size, sizes[0]) if wide_layers(sizes)[0] else (sizes[0], batch_size)
    return Data(np.empty(shape, dtype), np.empty((sizes[-1], batch_size), dtype), np.empty(batch_size, dtype))


#: The twin that lost is tried again every this many calls (the machine's load changes), if it
#: was at most RETRY_SLOWDOWN times slower; else its time is halved and the re-try postponed.
RETRY_EVERY = 8
RETRY_SLOWDOWN = 2.0
#: Seconds of serial training (in this process, on one kernel) after which its parallel twin, if
#: not yet in memory, starts compiling (or loading from numba's cache) in a background thread:
#: a short fit never compiles it, many short ones do.
PARALLEL_AFTER = 1.0
_serial_seconds = collections.Counter()  # parallel twin -> seconds its serial twin has trained


def parallel_pays(workspace):
    """Whether the parallel twin of a kernel can help: more than one group and more than one thread."""
    return workspace.gpart.shape[0] > 1 and numba.get_num_threads() > 1


#: FasterTwin's per-unit seconds of (parallel, serial) twin, by (serial, parallel, workspace shape).
_learned = {}

_compiling = {}
_compiling_lock = threading.Lock()


def compiled(dispatcher, args):
    """Whether ``dispatcher`` has machine code for ``args`` in memory (a plain function always has)."""
    if not hasattr(dispatcher, "overloads"):
        return True
    return tuple(dispatcher.typeof_pyval(a) for a in args) in dispatcher.overloads


def compile_in_background(dispatcher, args):
    """Start compiling ``dispatcher`` for ``args``' types in a thread (once per process and
    signature); ``compiled`` says when it is done. numba's compiler lock serialises it with other
    compilations; the thread is not a daemon, so a process that exits meanwhile waits for it
    rather than tearing LLVM down under it, and the machine code lands in the cache."""
    signature = tuple(dispatcher.typeof_pyval(a) for a in args)
    with _compiling_lock:
        if (dispatcher, signature) not in _compiling:
            thread = threading.Thread(target=_compile_quietly, args=(dispatcher, signature),
                                      name=f"fastnn compiles {dispatcher.__name__}")
            _compiling[dispatcher, signature] = thread
            thread.start()


def _compile_quietly(dispatcher, signature):
    try:
        dispatcher.compile(signature)
    except Exception:  # the serial twin carries on alone; the same error would show on a direct call
        pass


@functools.lru_cache(maxsize=None)
def _workqueue():
    """Whether numba runs parallel regions on its workqueue layer, which aborts the process when
    two Python threads enter parallel regions at once (OpenMP and TBB do not)."""
    if numba.config.THREADING_LAYER == "workqueue":
        return True
    try:
        numba.np.ufunc.parallel._launch_threads()
        return numba.threading_layer() == "workqueue"
    except (AttributeError, ValueError):
        return True


#: Held while a parallel twin runs under the workqueue layer; a thread that finds it taken runs
#: the serial twin instead (the same bits).
_parallel_region = threading.Lock()


class FasterTwin:
    """A kernel that calls whichever of its serial and parallel twins has lately been faster.

    Both twins give the same bits (``fastnn.kernels.train``), so the choice only affects speed.
    On an idle machine the parallel twin wins; when other processes hold the cores, a parallel
    region waits at its barrier for a descheduled thread and can run 100x slower than the serial
    twin. Each call is timed per unit of work (``units(args)``, e.g. the chunk's iterations), and
    runs under ``blas_threads(net)``.

    The serial twin runs first. A parallel twin already compiled joins at once; otherwise it
    compiles in a background thread once the serial one has trained for ``PARALLEL_AFTER``
    seconds in this process (not counting first calls, which may compile), and joins when ready.
    From then on: the parallel twin, the serial one, again both, then the faster one, with the
    other re-tried every ``RETRY_EVERY`` calls. What a run learned is kept for the next one on the
    same twins and workspace shapes, which starts on the faster twin: without it, a short fit (an
    epoch per call, three epochs) would run a third of its calls on the slower twin, every time.
    Under numba's workqueue threading layer one thread at a time runs a parallel twin; the others
    run the serial one meanwhile.
    """

    def __init__(self, serial, parallel, workspace, units, net=None, clock=time.perf_counter):
        self.key = (serial, parallel, workspace.A.shape)
        self.blas_threads = contextlib.nullcontext() if net is None else blas_threads(net)
        self.twins = (serial,)
        self.waiting = parallel if parallel_pays(workspace) else None
        self.units = units
        self.clock = clock
        self.seconds_per_unit = [None]
        self.calls = 0
        self.serial_calls = 0
        self.parallel_calls = 0

    def __call__(self, *args):
        if self.waiting is not None:
            self._admit(args)
        choice = self._choose()
        twin = self.twins[choice]
        exclusive = choice == 0 and len(self.twins) == 2 and _workqueue()
        if exclusive and not _parallel_region.acquire(blocking=False):
            choice, exclusive, twin = 1, False, self.twins[1]
        began = self.clock()
        try:
            with self.blas_threads:
                result = twin(*args)
        finally:
            if exclusive:
                _parallel_region.release()
        seconds = self.clock() - began
        self.seconds_per_unit[choice] = seconds / max(1, self.units(args))
        if len(self.twins) == 1:
            if self.waiting is not None and self.serial_calls:  # the first call may have compiled
                _serial_seconds[self.waiting] += seconds
            self.serial_calls += 1
        else:
            self.parallel_calls += choice == 0
            self.calls += 1
            _learned[self.key] = tuple(self.seconds_per_unit)
        return result

    def _admit(self, args):
        """Make the parallel twin a candidate once it is compiled; start its compilation when due."""
        if compiled(self.waiting, args):
            self.twins = (self.waiting, self.twins[0])
            self.seconds_per_unit = [None, self.seconds_per_unit[0]]
            self.waiting = None
            if None not in _learned.get(self.key, (None,)):
                self.seconds_per_unit = list(_learned[self.key])
                self.calls = 4  # past the alternation
        elif _serial_seconds[self.waiting] >= PARALLEL_AFTER:
            compile_in_background(self.waiting, args)

    def _choose(self):
        if len(self.twins) == 1:
            return 0
        times = self.seconds_per_unit
        if self.calls < 4 or None in times:  # None: every parallel turn so far found the region taken
            return self.calls % 2
        faster = int(times[1] < times[0])
        slower = 1 - faster
        if self.calls % RETRY_EVERY == 0:
            if times[slower] <= RETRY_SLOWDOWN * times[faster]:
                return slower
            times[slower] /= 2
        return faster


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
    return one_blas_thread if x_rows or uses_blas(net.sizes) else contextlib.nullcontext()


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
        with blas_threads(net):
            done = run(theta, net, data, rate, costs[first:stop], workspace)
        yield first, first + min(done + 1, stop - first)
        if done < stop - first:
            raise diverged(costs[first + done], first + done, learning_rate)
