"""Numba options for every kernel, in one place.

The flag sets never contain ``nnan`` or ``ninf``: the training loops test costs for NaN and inf
(a diverging run must be seen), and with those flags ``np.isfinite`` silently returns True
(numba #2919). ``tests/test_precision.py`` shows the chosen flags keep results within tolerance.
"""
import types

import numba

#: Element-wise maths (exp, tanh, log, ...): FMA contraction only. No ``reassoc``: it would fold
#: the ``x + 1.5*2**52 - 1.5*2**52`` rounding trick of :func:`fastnn.kernels.vmath.exp` away.
EXACT = frozenset({"contract", "nsz"})

#: Functions that sum (gradients, costs): ``reassoc`` lets LLVM split a sum over a vector's
#: lanes; without it every reduction runs at one add per ~4 cycles. A callee keeps its own flags
#: after LLVM inlines it, so calling an EXACT function from a REDUCE one is safe.
REDUCE = EXACT | {"reassoc"}

#: error_model="numpy": the Python model puts a zero-division branch in every ``/``, which blocks
#: vectorisation. nogil: kernels may run in a thread pool. cache: warm start under a second.
_COMMON = dict(nogil=True, cache=True, error_model="numpy")


def kernel(fastmath=EXACT):
    """Decorator: a serial, cached, nogil njit kernel with the given fastmath flag set."""
    return numba.njit(fastmath=set(fastmath), **_COMMON)


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
    serial = numba.njit(fastmath=set(fastmath), **_COMMON)(py_func)
    parallel = numba.njit(fastmath=set(fastmath), parallel=True, **_COMMON)(twin)
    return serial, parallel
