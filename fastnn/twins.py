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

#: The twin that lost is tried again every this many calls (the machine's load changes), if it
#: was at most RETRY_SLOWDOWN times slower; else its time is halved and the re-try postponed.
RETRY_EVERY = 8
RETRY_SLOWDOWN = 2.0
#: Seconds of serial training (in this process, on one kernel) after which its parallel twin starts
#: loading from numba's cache in a background thread (some 50 ms of the other core, which a process
#: that exits meanwhile waits for: a first 50-iteration fit's process took 0.1 s longer when every
#: fit loaded it), and after which one the cache does not hold starts compiling.
LOAD_AFTER = 0.05
PARALLEL_AFTER = 1.0
#: Least seconds of a serial call per unit of work (an iteration's parallel region, an epoch) for
#: which the parallel twin is made ready at all: waking numba's sleeping threads costs 20-80 us on
#: the 2-vCPU VMs measured, so splitting less work than this cannot pay (the seeds' 2 -> 5 -> 1
#: iteration, 14 us serial: 50 us on two threads). Above it, which twin is faster is measured.
MIN_UNIT_SECONDS = 50e-6
_serial_seconds = collections.Counter()  # parallel dispatcher -> seconds its serial twin has trained

#: FasterTwin's per-unit seconds of (parallel, serial) twin, by (serial, parallel, workspace shape).
_learned = {}


def parallel_pays(workspace):
    """Whether the parallel twin of a kernel can help: more than one group and more than one thread."""
    return workspace.gpart.shape[0] > 1 and thread_count() > 1


#: How numba's OpenMP threads wait between parallel regions, unless ``OMP_WAIT_POLICY`` is set.
#: OpenMP's default lets them spin for a while; on a 2-vCPU VM a spinning thread that shares its
#: core with another process (OpenBLAS's workers spinning after a NumPy or scikit-learn call, or
#: another job) makes every barrier wait for the scheduler: a 10-iteration seeds' fit took 80 ms
#: instead of 0.1 ms. Sleeping threads cost some 30 us to wake, every time, and never more.
WAIT_POLICY = "PASSIVE"
_launch_lock = threading.Lock()


def launch_threads():
    """Start numba's thread pool (once per process, some 15 ms), with ``WAIT_POLICY``. The
    variable is set only while numba loads its OpenMP runtime, which reads it then, so that other
    OpenMP runtimes the process loads later (scikit-learn's, PyTorch's) keep their own default."""
    with _launch_lock:
        if "OMP_WAIT_POLICY" in os.environ:
            return numba.np.ufunc.parallel._launch_threads()
        os.environ["OMP_WAIT_POLICY"] = WAIT_POLICY
        try:
            numba.np.ufunc.parallel._launch_threads()
        finally:
            del os.environ["OMP_WAIT_POLICY"]


def thread_count():
    """numba's thread count (its first query starts the thread pool: :func:`launch_threads`)."""
    launch_threads()
    return numba.get_num_threads()


def signature(dispatcher, args):
    """numba's argument types of ``args`` for ``dispatcher`` (some 0.1-0.3 ms: once per fit, not per
    call); None for a plain function (``NUMBA_DISABLE_JIT``)."""
    if not hasattr(dispatcher, "typeof_pyval"):
        return None
    return tuple(dispatcher.typeof_pyval(a) for a in args)


def entry_point(dispatcher, types):
    """What to call for arguments of ``types``: the compiled function's entry point, which only
    unboxes them, compiled or loaded first if need be; the dispatcher itself for a plain function
    (``types`` None). numba's own dispatch types every call's arguments, and namedtuples in Python:
    1-2 us each, some 10 us of an epoch call's five; the entry point takes a few hundred ns. A caller
    must pass arguments of exactly ``types`` (a fit's calls do: the same buffers every time)."""
    if types is None:
        return dispatcher
    dispatcher.compile(types)
    return dispatcher.overloads[types].entry_point


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
            self.ready = self.dispatcher.load_cached(self.types)
            if self.ready:
                launch_threads()  # here rather than in the first call (~15 ms)
        except Exception:  # the serial twin carries on alone
            self.ready = False
        self.on_disk = self.ready

    def _compile(self):
        try:
            self.dispatcher.compile(self.types)
            launch_threads()
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

    On an idle machine the parallel twin wins; when other processes hold the cores, a parallel
    region waits at its barrier for a descheduled thread and can run 100x slower than the serial
    twin. Each call is timed per unit of work (``units(args)``, e.g. the chunk's iterations), and
    runs under ``blas_threads`` (a context manager, or None).

    The serial twin runs first, while the parallel one is made ready (:class:`ParallelTwin`). From
    then on: the parallel twin, the serial one, again both, then the faster one, with the other
    re-tried every ``RETRY_EVERY`` calls. What a run learned is kept for the next one on the same
    twins and workspace shapes, which starts on the faster twin: without it, a short fit (an epoch
    per call, three epochs) would run a third of its calls on the slower twin, every time. Under
    numba's workqueue threading layer one thread at a time runs a parallel twin; the others run
    the serial one meanwhile.
    """

    def __init__(self, serial, parallel, workspace, units, blas_threads=None, clock=time.perf_counter):
        self.key = (serial, parallel, workspace.A.shape)
        self.blas_threads = blas_threads or contextlib.nullcontext()
        self.serial = serial
        self.types = None  # the arguments' types, from the first call
        self.twins = ()  # entry points: (serial,), then (parallel, serial)
        self.waiting = parallel if parallel_pays(workspace) else None
        self.parallel = None  # its ParallelTwin
        self.units = units
        self.clock = clock
        self.seconds_per_unit = [None]
        self.calls = 0
        self.parallel_calls = 0

    def __call__(self, *args):
        if not self.twins:
            self.types = signature(self.serial, args)  # once per fit; both twins take the same types
            self.twins = (entry_point(self.serial, self.types),)
        if self.waiting is not None:
            self._admit()
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
            if self.waiting is not None:  # compiling or loading happened in entry_point, untimed
                _serial_seconds[self.waiting] += seconds
        else:
            self.parallel_calls += choice == 0
            self.calls += 1
            _learned[self.key] = tuple(self.seconds_per_unit)
        return result

    def exploring(self):
        """Whether the next call may try a twin whose speed is unknown or old: a caller that can
        (``training.chunks``) makes that call short, since a parallel twin can run 100x slower
        than the serial one on a busy machine."""
        if self.waiting is not None:
            return self.parallel is not None and self.parallel.ready  # joins at the next call
        return len(self.twins) == 2 and (self.calls < 4 or None in self.seconds_per_unit
                                         or self.calls % RETRY_EVERY == 0)

    def _admit(self):
        """Make the parallel twin a candidate once it is ready; start its compilation when due."""
        if self.parallel is None:
            if _serial_seconds[self.waiting] < LOAD_AFTER or (self.seconds_per_unit[0] or 0.0) < MIN_UNIT_SECONDS:
                return
            self.parallel = ParallelTwin.of(self.waiting, self.types)
        if self.parallel.ready:
            self.twins = (entry_point(self.waiting, self.types), self.twins[0])
            self.seconds_per_unit = [None, self.seconds_per_unit[0]]
            self.waiting = None
            if None not in _learned.get(self.key, (None,)):
                self.seconds_per_unit = list(_learned[self.key])
                self.calls = 4  # past the alternation
        elif _serial_seconds[self.waiting] >= PARALLEL_AFTER:
            self.parallel.due()

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
