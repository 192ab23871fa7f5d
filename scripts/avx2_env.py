"""The environment that runs every library of a process on AVX2 code, as on an AVX2-only CPU
(the EPYC Zen 1-3 machines), on a machine with AVX-512: printed as shell ``export`` lines.

- numba: ``NUMBA_CPU_NAME=haswell`` alone is not enough. numba passes the host's features to LLVM
  beside the name, AVX-512 included, so the kernels still use zmm registers. ``NUMBA_CPU_FEATURES``
  lists the host's features with every AVX-512 one turned off.
- OpenBLAS: ``OPENBLAS_CORETYPE=Haswell``. Both NumPy's and SciPy's builds read it.
- NumPy: its run-time dispatch, whose AVX-512 targets ``NPY_DISABLE_CPU_FEATURES`` disables. This
  matters to the seeds' NumPy loop. NumPy's own tanh is AVX-512 SIMD where the CPU has it (0.74 ns
  an element on a Zen 5) and libm's elsewhere (4.2 ns), which halves the loop's time at n_h=50.
- JAX: ``XLA_FLAGS=--xla_cpu_max_isa=AVX2``.

    eval "$(python scripts/avx2_env.py)"; python scripts/compare.py --quick
    python scripts/user_speed.py --avx2      # the same, for the processes it starts
"""
import os
import shlex


def _avx512(name):
    return name.lower().startswith(("avx512", "avx10", "amx", "x86_v4"))


def environment():
    """``{variable: value}`` of the AVX2 environment for this machine (see the module's docstring)."""
    import llvmlite.binding

    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_features__

    features = llvmlite.binding.get_host_cpu_features()
    env = {"NUMBA_CPU_NAME": "haswell",
           "NUMBA_CPU_FEATURES": ",".join(("+" if on and not _avx512(name) else "-") + name
                                          for name, on in features.items()),
           "OPENBLAS_CORETYPE": "Haswell",
           "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_max_isa=AVX2".strip()}
    disabled = [name for name, on in __cpu_features__.items() if on and _avx512(name)]
    if disabled:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disabled)
    return env


if __name__ == "__main__":
    for name, value in environment().items():
        print(f"export {name}={shlex.quote(value)}")
