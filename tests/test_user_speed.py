"""scripts/user_speed.py: that ``--avx2``'s environment leaves NumPy no AVX-512 code to dispatch to."""
import os
import subprocess
import sys

from .conftest import load_script

ACTIVE_TARGETS = """
try:
    from numpy._core._multiarray_umath import __cpu_features__ as features, __cpu_dispatch__ as targets
except ImportError:
    from numpy.core._multiarray_umath import __cpu_features__ as features, __cpu_dispatch__ as targets
print(" ".join(name for name in targets if features.get(name)))
"""


def test_avx2_environment_turns_off_numpys_avx512_dispatch():
    env = load_script("user_speed").avx2_environment()
    assert env["NUMBA_CPU_NAME"] == "haswell" and env["OPENBLAS_CORETYPE"] == "Haswell"
    assert "--xla_cpu_max_isa=AVX2" in env["XLA_FLAGS"]
    done = subprocess.run([sys.executable, "-c", ACTIVE_TARGETS], env=dict(os.environ, **env),
                          capture_output=True, text=True, check=True)
    active = done.stdout.split()
    assert not [name for name in active if name.startswith("AVX512") or name == "X86_V4"], active
