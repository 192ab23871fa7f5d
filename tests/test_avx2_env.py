"""scripts/avx2_env.py: that its environment leaves numba and NumPy no AVX-512 code."""
import os
import subprocess
import sys

from .conftest import load_script

NUMPY_TARGETS = """
try:
    from numpy._core._multiarray_umath import __cpu_features__ as features, __cpu_dispatch__ as targets
except ImportError:
    from numpy.core._multiarray_umath import __cpu_features__ as features, __cpu_dispatch__ as targets
print(" ".join(name for name in targets if features.get(name)))
"""

NUMBA_REGISTERS = """
import numpy as np
from numba import njit

@njit(fastmath=True)
def axpy(a, x, y):
    for i in range(x.size):
        y[i] += a * x[i]

x = np.ones(1000)
axpy(2.0, x, x.copy())
print(axpy.inspect_asm(axpy.signatures[0]).count("zmm"))
"""


def run_with(env, code):
    return subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env), capture_output=True, text=True,
                          check=True).stdout.split()


def test_the_environment_leaves_no_avx512_to_numba_or_numpy():
    env = load_script("avx2_env").environment()
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and "--xla_cpu_max_isa=AVX2" in env["XLA_FLAGS"]
    assert run_with(env, NUMBA_REGISTERS) == ["0"]  # with NUMBA_CPU_NAME=haswell alone, an AVX-512 host's count > 0
    active = run_with(env, NUMPY_TARGETS)
    assert not [name for name in active if name.startswith("AVX512") or name == "X86_V4"], active
