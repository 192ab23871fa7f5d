"""Speed of fastnn.fit against the NumPy reference (and JAX, when installed) on the seeds' loop.

Every implementation trains the same network (tanh hidden layers, sigmoid output, binary
cross-entropy, full-batch gradient descent, the cost recorded every iteration) on the same moons
data from the same initial weights, for the same number of iterations. Timings are interleaved
(one run of each implementation per round), compile time is excluded (a warm-up run first) and
printed separately, and the table shows medians: a ratio measured this way survives a noisy
machine far better than a wall-clock figure.

    python scripts/compare.py            # the full table, about two minutes
    python scripts/compare.py --quick    # two small cases, a few seconds
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

import fastnn
from fastnn import reference

LEARNING_RATE = 0.5


@dataclass(frozen=True)
class Case:
    n_samples: int
    hidden: tuple

    @property
    def label(self):
        return f"N={self.n_samples:<6d} hidden={'x'.join(map(str, self.hidden))}"


CASES = [Case(500, (5,)), Case(2000, (1,)), Case(2000, (3,)), Case(2000, (5,)), Case(2000, (10,)),
         Case(2000, (50,)), Case(20000, (50,)), Case(20000, (64, 64))]
QUICK_CASES = [Case(500, (5,)), Case(2000, (10,))]


def fastnn_runner(dtype):
    def run(X, Y, case, start, iterations):
        return fastnn.fit(X, Y, LEARNING_RATE, case.hidden, iterations, params=start, dtype=dtype)[1]
    return run


def reference_runner(X, Y, case, start, iterations):
    return reference.fit(X, Y, LEARNING_RATE, case.hidden, iterations, params=start)[1]


def jax_runner():
    """JAX: ``jit`` over a ``lax.scan`` of the whole training loop, float64; None without jax."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def cost(params, X, Y):
        A = X
        for W, b in params[:-1]:
            A = jnp.tanh(W @ A + b)
        W, b = params[-1]
        Z = W @ A + b
        return jnp.mean(jnp.maximum(Z, 0) - Y * Z + jnp.log1p(jnp.exp(-jnp.abs(Z))))

    cost_and_grad = jax.value_and_grad(cost)

    def train(params, X, Y, iterations):
        def step(params, _):
            value, grads = cost_and_grad(params, X, Y)
            return jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads), value
        return jax.lax.scan(step, params, None, length=iterations)

    compiled = {}

    def run(X, Y, case, start, iterations):
        key = (X.shape, case.hidden, iterations)
        if key not in compiled:
            compiled[key] = jax.jit(train, static_argnums=3)
        n_layers = len(start) // 2
        params = [(jnp.asarray(start[f"W{l}"]), jnp.asarray(start[f"b{l}"])) for l in range(1, n_layers + 1)]
        _, costs = compiled[key](params, jnp.asarray(X), jnp.asarray(Y), iterations)
        return np.asarray(costs)  # blocks until the result is ready

    return run


def timed(run, *args):
    began = time.perf_counter()
    costs = run(*args)
    return time.perf_counter() - began, costs


def compare(case, runners, repeats, seconds):
    """Median microseconds per iteration and final cost of each runner, interleaved rounds."""
    X, Y = fastnn.datasets.moons(n_samples=case.n_samples, noise=0.25, seed=0)
    start = reference.initialize_parameters((2,) + case.hidden + (1,), "he", seed=0)
    probe = max(2, int(2000 / case.n_samples))  # size the run so the reference takes ~`seconds`
    elapsed, _ = timed(reference_runner, X, Y, case, start, probe)
    iterations = int(max(probe, min(20000, seconds * probe / elapsed)))
    results = {}
    for name, run in runners.items():  # warm-up: compile, caches
        results[name] = {"compile": timed(run, X, Y, case, start, iterations)[0], "times": []}
    for _ in range(repeats):
        for name, run in runners.items():
            elapsed, costs = timed(run, X, Y, case, start, iterations)
            results[name]["times"].append(elapsed)
            results[name]["cost"] = float(costs[-1])
    for result in results.values():
        result["us"] = float(np.median(result["times"])) / iterations * 1e6
    return iterations, results


def start_up_times():
    """Seconds for a cold process (empty numba cache: compiles) and a warm one (loads the cache),
    each importing fastnn and running a first small fit."""
    code = ("import time; t = time.perf_counter(); import fastnn; "
            "X, Y = fastnn.datasets.moons(500, 0.25, seed=0); fastnn.fit(X, Y, 0.5, 5, 10); "
            "print(time.perf_counter() - t)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        return [float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                     check=True).stdout) for _ in ("cold", "warm")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two small cases, short runs")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds per case (default 5)")
    parser.add_argument("--seconds", type=float, default=0.3, help="target duration of one reference run")
    args = parser.parse_args(argv)
    cases = QUICK_CASES if args.quick else CASES
    repeats, seconds = (3, 0.05) if args.quick else (args.repeats, args.seconds)

    runners = {"reference": reference_runner, "fastnn": fastnn_runner(np.float64),
               "fastnn f32": fastnn_runner(np.float32)}
    jax_run = jax_runner()
    if jax_run is None:
        print("jax: skipped (not installed; pip install jax)")
    else:
        runners["jax"] = jax_run

    import numba
    print(f"fastnn {fastnn.__version__}, numba {numba.__version__} ({numba.get_num_threads()} threads), "
          f"numpy {np.__version__}; activation tanh, lr {LEARNING_RATE}, cost every iteration")
    header = f"{'case':28s} {'iters':>6s} {'reference':>10s} {'fastnn':>9s} {'ratio':>6s} {'f32':>9s} {'ratio':>6s}"
    if "jax" in runners:
        header += f" {'jax':>9s} {'jax/fastnn':>10s}"
    print("microseconds per iteration (medians), ratio = reference / fastnn")
    print(header)
    compile_times = {}
    for case in cases:
        iterations, r = compare(case, runners, repeats, seconds)
        ref, ours, ours32 = r["reference"]["us"], r["fastnn"]["us"], r["fastnn f32"]["us"]
        line = (f"{case.label:28s} {iterations:6d} {ref:10.1f} {ours:9.1f} {ref / ours:5.1f}x "
                f"{ours32:9.1f} {ref / ours32:5.1f}x")
        if "jax" in r:
            line += f" {r['jax']['us']:9.1f} {r['jax']['us'] / ours:9.2f}x"
        spread = max(abs(result["cost"] - r["reference"]["cost"]) for name, result in r.items() if "f32" not in name)
        print(line + f"   float64 final costs agree to {spread:.0e}")
        for name, result in r.items():
            compile_times.setdefault(name, []).append(result["compile"] - result["us"] * iterations / 1e6)
    print("first-run overhead (compile or cache load) beyond a timed run, max over cases: "
          + ", ".join(f"{name} {max(t):.2f} s" for name, t in compile_times.items()))
    cold, warm = start_up_times()
    print(f"start-up of a new process (import fastnn + first fit): cold (compiling) {cold:.1f} s, "
          f"warm (numba cache) {warm:.2f} s")


if __name__ == "__main__":
    main()
