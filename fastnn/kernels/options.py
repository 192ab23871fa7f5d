"""Numba options for every kernel, in one place, and the dispatcher that compiles them.

The flag sets never contain ``nnan`` or ``ninf``: the training loops test costs for NaN and inf
(a diverging run must be seen), and with those flags ``np.isfinite`` silently returns True
(numba #2919). ``tests/test_precision.py`` shows the chosen flags keep results within tolerance.
"""
import types

import numba
from numba.core import types as numba_types
from numba.core.compiler_lock import global_compiler_lock
from numba.core.registry import CPUDispatcher

from .cache import KernelCache, can_cache

#: Element-wise maths (exp, tanh, log, ...): FMA contraction only. No ``reassoc``: it would fold
#: the ``x + 1.5*2**52 - 1.5*2**52`` rounding trick of :func:`fastnn.kernels.vmath.exp` away.
EXACT = frozenset({"contract", "nsz"})

#: Functions that sum (gradients, costs): ``reassoc`` lets LLVM split a sum over a vector's
#: lanes; without it every reduction runs at one add per ~4 cycles. A callee keeps its own flags
#: after LLVM inlines it, so calling an EXACT function from a REDUCE one is safe.
REDUCE = EXACT | {"reassoc"}

#: error_model="numpy": the Python model puts a zero-division branch in every ``/``, which blocks
#: vectorisation. nogil: kernels may run in a thread pool.
_COMMON = dict(nopython=True, boundscheck=None, nogil=True, error_model="numpy")


class Kernel(CPUDispatcher):
    """numba's dispatcher, with two changes that make a first fit compile in seconds, not a minute.

    - A kernel called from another with an integer constant (``f(x, 0)``) compiles for the
      argument's plain type, not once per constant: numba types a constant argument as
      ``Literal[int](0)`` and compiles a specialisation for each, so a first fit compiled
      ``rows._weight`` 20 times and ``rows.weighted_row_sums`` 6 (22 s of 30 s; the constants
      still fold once LLVM inlines the callee).
    - It is cached (on disk, ``cache=True``) where :mod:`fastnn.kernels.cache` finds room, never
      failing on a read-only install, and recompiled when any kernels module changes.
    """

    def get_call_template(self, args, kws):
        plain = tuple(numba_types.unliteral(a) for a in args)
        return super().get_call_template(plain, {k: numba_types.unliteral(v) for k, v in kws.items()})

    def load_cached(self, types):
        """Load the machine code for argument ``types`` from the on-disk cache, if it holds it;
        True when it is in memory now. Never compiles: this is ``Dispatcher.compile``'s cache-hit
        branch alone, so that a parallel twin can be loaded at once and compiled only when due."""
        with global_compiler_lock:
            if types in self.overloads:
                return True
            compiled = self._cache.load_overload(types, self.targetctx)
            if compiled is None:
                return False
            self.targetctx.insert_user_function(compiled.entry_point, compiled.fndesc, [compiled.library])
            self.add_overload(compiled)
            return True

    def enable_caching(self):
        if can_cache():
            self._cache = KernelCache(self.py_func)


def _compile(py_func, fastmath, parallel=False):
    """``py_func`` as a cached :class:`Kernel` (or itself under ``NUMBA_DISABLE_JIT``)."""
    if numba.config.DISABLE_JIT:
        return py_func
    dispatcher = Kernel(py_func=py_func, locals={}, targetoptions=dict(_COMMON, fastmath=set(fastmath),
                                                                       parallel=parallel))
    dispatcher.enable_caching()
    return dispatcher


def kernel(fastmath=EXACT):
    """Decorator: a serial, cached, nogil njit kernel with the given fastmath flag set."""
    return lambda py_func: _compile(py_func, fastmath)


def parallel_kernel(fastmath=EXACT):
    """Decorator: like :func:`kernel`, with its ``prange`` loops run on numba's threads."""
    return lambda py_func: _compile(py_func, fastmath, parallel=True)


def serial_and_parallel(py_func, fastmath=EXACT):
    """Compile ``py_func`` twice: serial (its ``prange`` runs as ``range``) and parallel.

    Both run the same arithmetic in the same order, so they give identical results. The parallel
    twin is compiled from a renamed copy of the function because numba keys its on-disk cache by
    qualified name and not by ``parallel=`` (numba #6845): without the copy, one would load the
    other's machine code.
    """
    twin = types.FunctionType(py_func.__code__, py_func.__globals__, py_func.__name__ + "_parallel",
                              py_func.__defaults__, py_func.__closure__)
    twin.__qualname__ = py_func.__qualname__ + "_parallel"
    twin.__doc__ = py_func.__doc__
    return _compile(py_func, fastmath), _compile(twin, fastmath, parallel=True)
