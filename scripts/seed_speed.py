"""The seeds' network (moons, N=2000, 5 tanh units): microseconds per iteration of ``fastnn.fit``
by each engine path, and of the NumPy reference, medians of interleaved repeats in one process.

    python scripts/seed_speed.py                         # this tree: gd, sgd / adam (full batch), sgd in 200s
    python scripts/seed_speed.py --against /path/to/old  # gd here and in another fastnn tree, in
                                                         # interleaved fresh processes, and their ratio

Before timing, each case is warmed up as ``fastnn demo`` does (both twins compiled).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = dict(learning_rate=0.6, hidden_size=5, activation="tanh", init="small", seed=0)
CASES = {"gd": {}, "sgd, full batch": dict(optimizer="sgd"), "adam, full batch": dict(optimizer="adam", learning_rate=0.01),
         "sgd, batches of 200": dict(optimizer="sgd", batch_size=200)}


def measure(cases, iterations, repeat, reference_iterations=300):
    """Medians of ``repeat`` interleaved runs: microseconds per iteration of each case and of the reference."""
    import fastnn
    from fastnn.cli import warm_up

    X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
    for extra in cases.values():
        warm_up(X, Y, **dict(SEEDS, **extra))
    times = {name: [] for name in [*cases, "reference"]}
    for _ in range(repeat):
        for name, extra in cases.items():
            began = time.perf_counter()
            fastnn.fit(X, Y, iterations=iterations, **dict(SEEDS, **extra))
            times[name].append((time.perf_counter() - began) / iterations * 1e6)
        began = time.perf_counter()
        fastnn.reference.fit(X, Y, iterations=reference_iterations, **SEEDS)
        times["reference"].append((time.perf_counter() - began) / reference_iterations * 1e6)
    return {name: statistics.median(values) for name, values in times.items()}


def against(old, processes, iterations, repeat):
    """gd in fresh processes alternating between the tree ``old`` and this one; prints each and the ratios."""
    figures = {"old": [], "new": []}
    for _ in range(processes):
        for label, tree in (("old", old), ("new", ROOT)):
            env = dict(os.environ, PYTHONPATH=str(tree))
            done = subprocess.run([sys.executable, __file__, "--gd-only", "--json", "--iterations", str(iterations),
                                   "--repeat", str(repeat)], env=env, capture_output=True, text=True, check=True)
            figures[label].append(json.loads(done.stdout))
            print(label, figures[label][-1], flush=True)
    old_gd = statistics.median(f["gd"] for f in figures["old"])
    new_gd = statistics.median(f["gd"] for f in figures["new"])
    print(f"gd, us/iteration (median over processes): old {old_gd:.1f}, new {new_gd:.1f}, new/old {new_gd / old_gd:.3f}")
    for label in figures:
        ratios = [f["reference"] / f["gd"] for f in figures[label]]
        print(f"reference/fastnn ({label}): median {statistics.median(ratios):.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="TREE", help="another fastnn source tree to compare gd with")
    parser.add_argument("--processes", type=int, default=5, help="fresh processes per tree with --against (default 5)")
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--gd-only", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.against:
        return against(args.against, args.processes, args.iterations, args.repeat)
    figures = measure({"gd": {}} if args.gd_only else CASES, args.iterations, args.repeat)
    if args.json:
        print(json.dumps(figures))
        return
    for name, micros in figures.items():
        print(f"{name:>22}: {micros:7.1f} us/iteration ({micros / figures['gd']:.2f}x gd)")


if __name__ == "__main__":
    main()
