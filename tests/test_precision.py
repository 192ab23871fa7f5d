"""The fastmath choice: no nnan/ninf anywhere, and the hot loops really vectorise.

That the flags keep results within tolerance is shown by test_against_reference.py (1e-10 after
1,000 iterations) and test_vmath.py (a few ulp); here, that NaN survives the flags and that the
machine code uses vector instructions.
"""
import os
import platform
import re

import numba
import numpy as np
import pytest

import fastnn
from fastnn.kernels import activations, losses, options, rows

jit_disabled = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="no machine code")
x86_only = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64", "i686", "x86"),
                              reason="reads x86 assembly (ymm/zmm registers)")


def test_flag_sets_exclude_nnan_and_ninf():
    for flags in (options.EXACT, options.REDUCE):
        assert not {"nnan", "ninf", "fast"} & set(flags)
    assert "reassoc" in options.REDUCE and "reassoc" not in options.EXACT


def test_no_kernel_uses_fastmath_true():
    """Flags come from fastnn.kernels.options only (a check in the spirit of STUMPY's)."""
    root = os.path.dirname(options.__file__)
    for name in os.listdir(root):
        if name.endswith(".py") and name != "options.py":
            source = open(os.path.join(root, name)).read()
            assert "fastmath=True" not in source and "fastmath={" not in source, name


def test_nan_in_the_weights_reaches_the_cost():
    """With nnan the isfinite check inside the kernel would be folded away: a NaN must be seen."""
    X, Y = fastnn.datasets.moons(100, 0.2, seed=0)
    params = {"W1": np.zeros((3, 2)), "b1": np.zeros((3, 1)), "W2": np.zeros((1, 3)), "b2": np.zeros((1, 1))}
    cost, _ = fastnn.cost_and_gradients(X, Y, params, "relu")
    assert np.isfinite(cost)
    params["b1"][0, 0] = 1e10
    params["W2"][0, 0] = 1e300  # the output logit overflows to inf, and inf - inf is NaN
    cost, _ = fastnn.cost_and_gradients(X, Y, params, "relu")
    assert np.isnan(cost)


def uncached(dispatcher):
    """A fresh compile of a kernel with its own options: numba cannot show cached machine code."""
    options = {k: v for k, v in dispatcher.targetoptions.items() if k not in ("cache", "nopython")}
    return numba.njit(**options)(dispatcher.py_func)


def vector_instructions(dispatcher):
    """Number of packed double/single arithmetic instructions on 256- or 512-bit registers."""
    asm = "\n".join(dispatcher.inspect_asm(sig) for sig in dispatcher.signatures)
    return len(re.findall(r"\bv(?:fmadd|fmsub|fnmadd|add|mul|div|sub)\w*p[sd]\s[^\n]*[yz]mm", asm))


@jit_disabled
@x86_only
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hot_loops_vectorise(dtype):
    theta = np.zeros(40, dtype)
    A = np.zeros((10, 64), dtype)
    calls = [
        (rows.weighted_row_sums, (theta, 0, 2, 1, 0, A, 0, 0, 2, A, 2, 5, 64)),
        (rows.add_row_dots, (A, 0, 5, A, 5, 0, 2, theta, 0, 2, 64)),
        (rows.one_output_backward, (theta, A, 0, A, A, 2, 5, theta, 64)),
        (activations.activate_row, (activations.TANH, dtype(0.01), A, 0, A, 1, 64)),
        (losses.output_loss_delta, (losses.LOGISTIC, A, 0, 1, A, A[0], 0, A, 64)),
    ]
    for dispatcher, args in calls:
        fresh = uncached(dispatcher)
        fresh(*args)
        assert vector_instructions(fresh) >= 16, dispatcher.__name__  # ~50-150 today; 0 if not vectorised
