"""Speed as a user's process gets it: a fresh process, a warm numba cache, nothing compiled by
hand, fastnn's calls interleaved with a peer's, medians and the slowest call.

Cases (issue 19's floors):

- ``fit5`` / ``fit50``: ``fastnn.fit`` on make_moons (N=2000, noise 0.25), tanh, lr 0.6, 300
  iterations, hidden 5 / 50, against the seeds' NumPy loop (``fastnn.reference.fit``) and JAX
  (``jit`` over a ``lax.scan``, skipped when JAX is not installed);
- ``mlp``: ``MLPClassifier`` on the seeds' case (hidden (5,), tanh, sgd, batch 2000, momentum 0,
  lr 0.6, 500 epochs, tol 0) against scikit-learn's.

Each case runs in its own new process: one untimed call of each library (the first call loads
fastnn's kernels from the cache and compiles JAX's loop; it is printed as ``first``), then
``--pairs`` rounds, each one call of every library in turn. A process prints its times as JSON; this
script starts ``--processes`` of them per tree (after one that only warms the cache) and prints, per
case and tree, the median ratio peer / fastnn and fastnn's slowest call over its median.

    python scripts/user_speed.py                              # this tree
    python scripts/user_speed.py --trees /old/tree .          # trees side by side, processes alternating
    python scripts/user_speed.py --busy                       # a busy loop on another core meanwhile
    python scripts/user_speed.py --between numpy              # a NumPy matmul before every fastnn call
    python scripts/user_speed.py --avx2                       # every library on AVX2 code (scripts/avx2_env.py)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import avx2_env  # noqa: E402
CASES = ("fit5", "fit50", "mlp")
LEARNING_RATE = 0.6
ITERATIONS = 300
EPOCHS = 500


def _fit_calls(hidden):
    """``{name: call}`` for the fit cases: fastnn, the NumPy loop and (if installed) JAX."""
    import fastnn
    from fastnn import reference

    X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
    start = reference.initialize_parameters((2, hidden, 1), "small", seed=0)
    calls = {
        "fastnn": lambda: fastnn.fit(X, Y, LEARNING_RATE, hidden, ITERATIONS, params=start)[1],
        "numpy": lambda: reference.fit(X, Y, LEARNING_RATE, hidden, ITERATIONS, params=start)[1],
    }
    try:
        calls["jax"] = _jax_call(X, Y, start)
    except ImportError:
        pass
    return calls


def _jax_call(X, Y, start):
    import jax
    import jax.numpy as jnp
    import numpy as np

    jax.config.update("jax_enable_x64", True)

    def cost(layers, X, Y):
        (W1, b1), (W2, b2) = layers
        Z = W2 @ jnp.tanh(W1 @ X + b1) + b2
        return jnp.mean(jnp.maximum(Z, 0) - Y * Z + jnp.log1p(jnp.exp(-jnp.abs(Z))))

    cost_and_grad = jax.value_and_grad(cost)

    @jax.jit
    def train(layers, X, Y):
        def step(layers, _):
            value, grads = cost_and_grad(layers, X, Y)
            return jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, layers, grads), value
        return jax.lax.scan(step, layers, None, length=ITERATIONS)[1]

    layers = ((jnp.asarray(start["W1"]), jnp.asarray(start["b1"])), (jnp.asarray(start["W2"]), jnp.asarray(start["b2"])))
    X, Y = jnp.asarray(X), jnp.asarray(np.asarray(Y, np.float64))
    return lambda: np.asarray(train(layers, X, Y))


def _mlp_calls():
    """``{name: call}`` for the estimators' seeds' case: fastnn's MLPClassifier and scikit-learn's."""
    import sklearn.neural_network

    import fastnn

    X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
    X, y = X.T.copy(), Y.ravel()
    params = dict(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", batch_size=2000, momentum=0.0,
                  learning_rate_init=LEARNING_RATE, max_iter=EPOCHS, tol=0.0, random_state=0)
    return {"fastnn": lambda: fastnn.MLPClassifier(**params).fit(X, y),
            "sklearn": lambda: sklearn.neural_network.MLPClassifier(**params).fit(X, y)}


def child(case, pairs, between, warm):
    """Time one case in this (new) process; print ``{name: [seconds...], "first": {...}}`` as JSON.
    With ``warm`` > 0, only run fastnn's call for that many seconds: what a user's earlier process
    leaves in numba's cache (fastnn compiles a parallel twin after a second of serial training)."""
    warnings.simplefilter("ignore")
    calls = _mlp_calls() if case == "mlp" else _fit_calls(int(case[3:]))
    if warm:
        began = time.perf_counter()
        while time.perf_counter() - began < warm:
            calls["fastnn"]()
        print("{}")
        return
    before = _between(between)
    times = {name: [] for name in calls}
    first = {}
    for name, call in calls.items():
        began = time.perf_counter()
        call()
        first[name] = time.perf_counter() - began
    for round_ in range(pairs):
        names = list(calls) if round_ % 2 == 0 else list(calls)[::-1]
        for name in names:
            if name == "fastnn":
                before()
            began = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - began)
    print(json.dumps(dict(times, first=first)))


def _between(kind):
    """What runs right before each timed fastnn call: nothing, or another library's threaded work."""
    if kind == "numpy":
        import numpy as np
        a = np.random.default_rng(0).normal(size=(300, 300))
        return lambda: a @ a
    return lambda: None


def run_process(tree, case, pairs=0, between="none", warm=0, avx2=False):
    env = dict(os.environ, PYTHONPATH=str(tree), **(avx2_env.environment() if avx2 else {}))
    done = subprocess.run([sys.executable, __file__, "--child", case, "--pairs", str(pairs), "--between", between,
                           "--warm", str(warm)], env=env, capture_output=True, text=True, cwd=tree)
    if done.returncode:
        raise RuntimeError(f"{tree} {case}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", nargs="+", default=[str(ROOT)], help="fastnn source trees (default: this one)")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--processes", type=int, default=3, help="timed processes per case and tree (default 3)")
    parser.add_argument("--pairs", type=int, default=7, help="interleaved rounds per process (default 7)")
    parser.add_argument("--between", choices=["none", "numpy"], default="none")
    parser.add_argument("--busy", action="store_true", help="keep one core busy with another process meanwhile")
    parser.add_argument("--avx2", action="store_true", help="run every library on AVX2 code (scripts/avx2_env.py)")
    parser.add_argument("--warm", type=float, default=2.0,
                        help="seconds of fastnn calls in the process that warms the cache first (default 2)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.pairs, args.between, args.warm)
    trees = [Path(t).resolve() for t in args.trees]
    cases = args.cases.split(",")
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        for tree in trees:  # fills each tree's numba cache as a user's earlier process would; not timed
            for case in cases:
                run_process(tree, case, warm=args.warm, avx2=args.avx2)
        for case in cases:
            results = {tree: [] for tree in trees}
            for _ in range(args.processes):
                for tree in trees:
                    results[tree].append(run_process(tree, case, args.pairs, args.between, avx2=args.avx2))
            for tree in trees:
                report(case, tree, results[tree])
    finally:
        if busy is not None:
            busy.kill()


def report(case, tree, runs):
    """Per peer: the median over processes of (median peer time / median fastnn time); fastnn's
    median, its slowest call over its median, and its first call."""
    fastnn = [t for run in runs for t in run["fastnn"]]
    median = statistics.median(fastnn)
    peers = [name for name in runs[0] if name not in ("fastnn", "first")]
    ratios = {p: statistics.median(statistics.median(r[p]) / statistics.median(r["fastnn"]) for r in runs)
              for p in peers}
    first = statistics.median(r["first"]["fastnn"] for r in runs)
    text = ", ".join(f"{p} {statistics.median(t for r in runs for t in r[p]) * 1e3:.1f} ms = {ratios[p]:.2f}x"
                     for p in peers)
    print(f"{case:6s} {tree.name:10s} fastnn {median * 1e3:7.2f} ms (slowest {max(fastnn) / median:.2f}x, "
          f"first {first * 1e3:.0f} ms); {text}", flush=True)


if __name__ == "__main__":
    main()
