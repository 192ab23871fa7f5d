"""Which twin of a training kernel runs a call: the serial one, or the parallel one on every core.

Each driver in ``fastnn.kernels.train`` is compiled twice (``kernels.options.serial_and_parallel``)
and both twins give the same bits, so the choice only affects speed. It is made per call by
:class:`FasterTwin`, from what the calls of this process measured, at a cost of microseconds:
the arguments are typed once per fit, never per call, and each call goes straight to the compiled
entry point for those types (:func:`entry_point`).

The parallel twin of a signature becomes available (:class:`ParallelTwin`) in a background thread:

- once the serial twin has trained for ``LOAD_AFTER`` seconds in this process (50 ms), if numba's
  on-disk cache holds it (loading it takes some 50 ms, compiling it seconds): a process whose
  cache is warm trains on every core from its first fit that lasts;
- else compiled, once the serial twin has trained for ``PARALLEL_AFTER`` seconds in this process
  (a short fit never compiles it; many short ones, or a long one, do).

The serial twin runs meanwhile; nothing waits for the parallel one.
"""
import collections
import contextlib
import functools
import os
import threading
import time

import numba
import numba.np.ufunc.parallel
import numpy as np

from .kernels.network import Net

#: The twin that lost is tried again every this many calls (the machine's load changes), if it
#: was at most RETRY_SLOWDOWN times slower; else its time is halved and the re-try postponed.
#: A serial twin that lost is re-tried only while the parallel one runs more than RETRY_LOADED
#: times slower than its fastest (the machine got busier): on an unchanged machine the re-try
#: would only cost a slow call (every eighth epoch of an estimator's fit ran at serial speed).
RETRY_EVERY = 8
RETRY_SLOWDOWN = 2.0
RETRY_LOADED = 1.25
#: Timed calls of a newly ready parallel twin before FasterTwin compares it with the serial one.
TRIALS = 2
#: Seconds of serial training (in this process, on one kernel) after which its parallel twin starts
#: loading from numba's cache in a background thread (15-50 ms of the other core once the serial
#: twin is loaded, which a process that exits meanwhile waits for: the start-up case's 50-iteration
#: seeds' fit trains 0.7 ms and never loads it; a one-fit process of 300 iterations, which does,
#: took 0.61-0.80 s against 0.63-0.82 s with 10 ms), and after which one the cache does not hold
#: starts compiling.
LOAD_AFTER = 0.002
PARALLEL_AFTER = 1.0
#: Least seconds of serial work per parallel region the twin would open (an epoch's minibatch; a
#: whole call of ``gradient_descent_parallel``) for which the parallel twin is made ready at all:
#: waking numba's sleeping threads costs 20-80 us on the 2-vCPU VMs measured, so splitting less
#: work than this cannot pay (the seeds' 2 -> 5 -> 1 iteration, 14 us serial, took 50 us on two
#: threads with a region per iteration). Above it, which twin is faster is measured.
MIN_REGION_SECONDS = 50e-6
#: Least seconds of a call (at the serial twin's speed) for which a twin is chosen and timed: a
#: shorter one measures the parallel twin's fixed costs (some 5-30 us: waking threads, waiting for
#: the last one), not its speed, and runs the serial twin.
MIN_TRIAL_SECONDS = 0.5e-3
_serial_seconds = collections.Counter()  # parallel dispatcher -> seconds its serial twin has trained

#: FasterTwin's per-unit seconds of (parallel, serial) twin, and the parallel twin's fastest, by
#: (serial, parallel, workspace shape); None for one not timed yet.
_learned = {}


def parallel_pays(workspace):
    """Whether the parallel twin of a kernel can help: more than one group and more than one thread."""
    return workspace.gpart.shape[0] > 1 and thread_count() > 1


#: How numba's OpenMP threads wait between parallel regions, unless the user set either variable.
#: OpenMP's default lets them spin for a while; on a 2-vCPU VM a spinning thread that shares its
#: core with another process (OpenBLAS's workers spinning after a NumPy or scikit-learn call, or
#: another job) makes every barrier wait for the scheduler: a 10-iteration seeds' fit took 80 ms
#: instead of 0.1 ms. Threads that sleep at once cost some 40 us to wake, at the start of a region
#: and again at its end (the thread that waits there has gone to sleep): 100 us of a chunk of
#: ``gradient_descent_parallel``. GNU OpenMP's threads spin ``GOMP_SPINCOUNT`` times (some 20-50
#: us) before they sleep, which catches a region's end and back-to-back regions; other runtimes
#: sleep at once (``OMP_WAIT_POLICY``).
WAIT_ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "1000"}
_launch_lock = threading.Lock()
_launched = False


def launch_threads():
    """Start numba's thread pool (once per process, some 15 ms), with ``WAIT_ENVIRONMENT``. The
    variables are set only while numba loads its OpenMP runtime, which reads them then, so that
    other OpenMP runtimes the process loads later (scikit-learn's, PyTorch's) keep their own
    defaults."""
    global _launched
    if _launched:
        return
    with _launch_lock:
        if any(name in os.environ for name in WAIT_ENVIRONMENT):
            numba.np.ufunc.parallel._launch_threads()
        else:
            os.environ.update(WAIT_ENVIRONMENT)
            try:
                numba.np.ufunc.parallel._launch_threads()
            finally:
                for name in WAIT_ENVIRONMENT:
                    del os.environ[name]
        _launched = True


def thread_count():
    """numba's thread count (its first query starts the thread pool: :func:`launch_threads`)."""
    launch_threads()
    return numba.get_num_threads()


def _argument_key(value):
    """What numba's type of ``value`` depends on, found in a microsecond: an array's dtype, ndim,
    layout, writability and alignment; a ``Net``'s codes too (numba types them as constants); a
    tuple's class and items; else the Python type."""
    if isinstance(value, np.ndarray):
        return value.dtype, value.ndim, value.flags.num & _TYPED_FLAGS
    if isinstance(value, Net):
        return Net, _argument_key(value.sizes), value.activation, type(value.leak), value.output, value.backward
    if isinstance(value, tuple):
        return (type(value),) + tuple(_argument_key(item) for item in value)
    return type(value)


#: The bits of an array's ``flags.num`` that its numba type depends on: C_CONTIGUOUS, F_CONTIGUOUS,
#: ALIGNED and WRITEABLE (one integer, where reading the four flags took 1 us an array).
_TYPED_FLAGS = 0x1 | 0x2 | 0x100 | 0x400

_signatures = {}  # (dispatcher, argument keys) -> numba's argument types


def signature(dispatcher, args):
    """numba's argument types of ``args`` for ``dispatcher``; None for a plain function
    (``NUMBA_DISABLE_JIT``). numba types them in 0.1-0.3 ms (the namedtuples in Python): done once
    per process for each kind of arguments (:func:`_argument_key`), not once per fit."""
    if not hasattr(dispatcher, "typeof_pyval"):
        return None
    key = (dispatcher, tuple(_argument_key(a) for a in args))
    types = _signatures.get(key)
    if types is None:
        types = _signatures[key] = tuple(dispatcher.typeof_pyval(a) for a in args)
    return types


_entry_points = {}  # (dispatcher, id of the argument types) -> (types, entry point)


def entry_point(dispatcher, types):
    """What to call for arguments of ``types``: the compiled function's entry point, which only
    unboxes them, compiled or loaded first if need be; the dispatcher itself for a plain function
    (``types`` None). numba's own dispatch types every call's arguments, and namedtuples in Python:
    1-2 us each, some 10 us of an epoch call's five; the entry point takes a few hundred ns. A caller
    must pass arguments of exactly ``types`` (a fit's calls do: the same buffers every time).
    Found once per process (numba's lookup hashes the types: some 0.1 ms)."""
    if types is None:
        return dispatcher
    found = _entry_points.get((dispatcher, id(types)))
    if found is None or found[0] is not types:
        dispatcher.compile(types)
        found = _entry_points[(dispatcher, id(types))] = (types, dispatcher.overloads[types].entry_point)
    return found[1]


class Direct:
    """A kernel called through its entry point (:func:`entry_point`) for the types of its first
    call's arguments: a fit's kernel that has no parallel twin to choose."""

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher
        self.call = None

    def __call__(self, *args):
        if self.call is None:
            self.call = entry_point(self.dispatcher, signature(self.dispatcher, args))
        return self.call(*args)


class ParallelTwin:
    """The machine code of a parallel twin for one signature, made ready in a background thread:
    loaded from numba's on-disk cache at once, else compiled when :meth:`due` says so.

    ``ready`` turns True when it is in memory. One instance per (dispatcher, signature) and process
    (:meth:`of`). The threads are not daemons: a process that exits meanwhile waits for them rather
    than tearing LLVM down under them, and compiled code lands in the cache."""

    _instances = {}
    _lock = threading.Lock()

    def __init__(self, dispatcher, types):
        self.dispatcher, self.types = dispatcher, types
        self.ready = not hasattr(dispatcher, "overloads") or types in dispatcher.overloads  # plain function: ready
        self.on_disk = None  # unknown until the loader has looked
        self.thread = None
        if not self.ready:
            self._start(self._load, "loads")

    @classmethod
    def of(cls, dispatcher, types):
        """The one instance for ``dispatcher`` and argument ``types`` in this process."""
        key = (dispatcher, types)
        with cls._lock:
            twin = cls._instances.get(key)
            if twin is None:
                twin = cls._instances[key] = cls(dispatcher, types)
            return twin

    def due(self):
        """Start compiling, if the cache did not hold the code and no compilation has started."""
        with self._lock:
            if self.on_disk is False:
                self.on_disk = None  # compiling
                self._start(self._compile, "compiles")

    def _start(self, target, verb):
        self.thread = threading.Thread(target=target, name=f"fastnn {verb} {self.dispatcher.__name__}")
        self.thread.start()

    def _load(self):
        try:
            launch_threads()  # first: machine code that calls numba's threads links to their symbols
            self.ready = self.dispatcher.load_cached(self.types)
        except Exception:  # the serial twin carries on alone
            self.ready = False
        self.on_disk = self.ready

    def _compile(self):
        try:
            launch_threads()
            self.dispatcher.compile(self.types)
            self.ready = True
        except Exception:  # the serial twin carries on alone; the same error would show on a direct call
            pass

    def join(self):
        """Wait for the thread at work, if any (tests, ``fastnn compile``)."""
        if self.thread is not None:
            self.thread.join()


@functools.lru_cache(maxsize=None)
def _workqueue():
    """Whether numba runs parallel regions on its workqueue layer, which aborts the process when
    two Python threads enter parallel regions at once (OpenMP and TBB do not)."""
    if numba.config.THREADING_LAYER == "workqueue":
        return True
    try:
        launch_threads()
        return numba.threading_layer() == "workqueue"
    except (AttributeError, ValueError):
        return True


#: Held while a parallel twin runs under the workqueue layer; a thread that finds it taken runs
#: the serial twin instead (the same bits).
_parallel_region = threading.Lock()


class FasterTwin:
    """A kernel that calls whichever of its serial and parallel twins has lately been faster.

    On an idle machine the parallel twin wins; when other processes hold the cores, its threads
    wait for descheduled ones and it can run slower than the serial twin. Each call is timed per
    unit of work (``units(args)``, e.g. the chunk's iterations), and runs under ``blas_threads``
    (a context manager, or None). ``regions(args)`` is the number of parallel regions the parallel
    twin opens for a call (default: one per unit).

    The serial twin runs first, while the parallel one is made ready (:class:`ParallelTwin`). From
    then on, on calls long enough to time (``MIN_TRIAL_SECONDS``) and to split
    (``MIN_REGION_SECONDS``): the parallel twin until both have been timed twice in all, then the faster one,
    with the other re-tried every ``RETRY_EVERY`` calls (the serial one only once the parallel one
    has slowed: ``RETRY_LOADED``). What a run learned is kept for the next one
    on the same twins, workspace shapes and dtype, which starts on the faster twin: without it, a short fit
    (an epoch per call, three epochs) would run a third of its calls on the slower twin, every time.
    The first call of a parallel twin in a process starts OpenMP's threads (milliseconds) and is
    not timed. Under numba's workqueue threading layer one thread at a time runs a parallel twin;
    the others run the serial one meanwhile.
    """

    PARALLEL, SERIAL = 0, 1

    def __init__(self, serial, parallel, workspace, units, regions=None, blas_threads=None, clock=time.perf_counter):
        self.key = (serial, parallel, workspace.A.shape, workspace.A.dtype)
        self.blas_threads = blas_threads or contextlib.nullcontext()
        self.serial = serial
        self.types = None  # the arguments' types, from the first call
        self.twins = [None, None]  # entry points of (parallel, serial), once known
        self.waiting = parallel if parallel_pays(workspace) else None
        self.parallel = None  # its ParallelTwin
        self.units = units
        self.regions = regions or units
        self.clock = clock
        *self.seconds_per_unit, self.fastest_parallel = _learned.get(self.key, (None, None, float("inf")))
        self.calls = TRIALS if None not in self.seconds_per_unit else 0  # past the trials if learned
        self.parallel_calls = 0

    def __call__(self, *args):
        if self.twins[self.SERIAL] is None:
            self.types = signature(self.serial, args)  # once per fit; both twins take the same types
            self.twins[self.SERIAL] = entry_point(self.serial, self.types)
        if self.waiting is not None:
            self._admit(args)
        choice = self._choose(args)
        trial = choice is not None
        choice = self.SERIAL if choice is None else choice
        exclusive = choice == self.PARALLEL and _workqueue()
        if exclusive and not _parallel_region.acquire(blocking=False):
            choice, exclusive, trial = self.SERIAL, False, False
        first_parallel = choice == self.PARALLEL and not _parallel_started
        began = self.clock()
        try:
            with self.blas_threads:
                result = self.twins[choice](*args)
        finally:
            if exclusive:
                _parallel_region.release()
        seconds = self.clock() - began
        if first_parallel:
            _start_parallel()
            return result
        self.seconds_per_unit[choice] = seconds / max(1, self.units(args))
        if choice == self.PARALLEL:
            self.fastest_parallel = min(self.fastest_parallel, self.seconds_per_unit[choice])
        if self.waiting is not None:  # compiling or loading happened in entry_point, untimed
            _serial_seconds[self.waiting] += seconds
        if trial:
            self.parallel_calls += choice == self.PARALLEL
            self.calls += 1
        _learned[self.key] = (*self.seconds_per_unit, self.fastest_parallel)
        return result

    def units_in(self, seconds):
        """About how many units of work the next call can do in ``seconds``, at the speed of the
        faster twin measured so far (in this process); None before any call."""
        known = [t for t in self.seconds_per_unit if t is not None]
        return max(1, int(seconds / min(known))) if known else None

    def _seconds_at_serial_speed(self, args):
        """Seconds the serial twin would take for ``args`` (0 before it ran)."""
        return (self.seconds_per_unit[self.SERIAL] or 0.0) * self.units(args)

    def _admit(self, args):
        """Make the parallel twin a candidate once it is ready; start loading it once the serial
        twin has trained ``LOAD_AFTER`` seconds in the process, counting the call about to run (so
        that it loads meanwhile), on calls with enough work per region; compile it when due."""
        if self.parallel is None:
            serial_seconds = self._seconds_at_serial_speed(args)
            if (_serial_seconds[self.waiting] + serial_seconds < LOAD_AFTER
                    or serial_seconds / max(1, self.regions(args)) < MIN_REGION_SECONDS):
                return
            self.parallel = ParallelTwin.of(self.waiting, self.types)
        if self.parallel.ready:
            self.twins[self.PARALLEL] = entry_point(self.waiting, self.types)
            self.waiting = None
        elif _serial_seconds[self.waiting] >= PARALLEL_AFTER:
            self.parallel.due()

    def _choose(self, args):
        """Index of the twin to run; None for the serial one on a call too short to time (under
        ``MIN_TRIAL_SECONDS``) or to split (under ``MIN_REGION_SECONDS`` a parallel region), which
        is not a trial of either."""
        if self.twins[self.PARALLEL] is None:
            return None
        serial_seconds = self._seconds_at_serial_speed(args)
        if serial_seconds < MIN_TRIAL_SECONDS or serial_seconds / max(1, self.regions(args)) < MIN_REGION_SECONDS:
            return None
        times = self.seconds_per_unit
        if times[self.SERIAL] is None:
            return self.SERIAL
        if self.calls < TRIALS or times[self.PARALLEL] is None:  # None: every turn so far found the region taken
            return self.PARALLEL
        faster = int(times[1] < times[0])
        slower = 1 - faster
        unchanged = faster == self.PARALLEL and times[faster] <= RETRY_LOADED * self.fastest_parallel
        if self.calls % RETRY_EVERY == 0 and not unchanged:
            if times[slower] <= RETRY_SLOWDOWN * times[faster]:
                return slower
            times[slower] /= 2
        return faster


_parallel_started = False


def _start_parallel():
    """Note that a parallel twin ran in this process (OpenMP's threads exist)."""
    global _parallel_started
    _parallel_started = True
