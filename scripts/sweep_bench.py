"""Time seed 004's grid with ``fastnn.sweep`` on 2 cores and on 1, and the NumPy reference loop.

The grid: 7 hidden sizes x 3 activations x 5 learning rates, 4 iteration counts, on moons
(N=2000, noise 0.25, 1,600 training samples): 420 rows from 105 runs of 100,000 iterations
(checkpoints share the work). The reference (``fastnn.reference.fit``, the seeds' NumPy loop) is
timed on one run per hidden size x activation for ``--reference-iterations`` iterations and
extrapolated to the 105 runs; its grid would take hours. ``--strategies`` also times the other way
to use two cores, the parallel kernel on one run at a time, on a shorter grid.

    python scripts/sweep_bench.py                  # the full grid at 2 and 1 cores: about 10 minutes
    python scripts/sweep_bench.py --iterations 100 1000 --strategies   # a short check

The machine may be shared: each timing prints the load average before and after, and how many
cores the sweep kept busy on average (its CPU time over its wall time: 2.00 is a free machine).
"""
import argparse
import os
import time

import numba
import numpy as np

import fastnn
from fastnn import reference
from fastnn.sweep import SEED_GRID


def load():
    """1-minute load average, the machine's business besides ours."""
    return os.getloadavg()[0]


def timed_sweep(data, n_jobs, **grid):
    before = load()
    began, cpu = time.perf_counter(), time.process_time()
    table = fastnn.sweep(*data, n_jobs=n_jobs, progress=False, **grid)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(f"  fastnn.sweep n_jobs={n_jobs}: {seconds:8.1f} s  ({len(table)} rows, "
          f"{sum(row['diverged'] for row in table)} diverged; CPU time {cpu:.1f} s = {cpu / seconds:.2f} cores busy "
          f"on average; load average {before:.2f} -> {load():.2f})", flush=True)
    return seconds, table


def reference_seconds(data, iterations, repeats, grid):
    """Estimated seconds of the reference loop over the grid: one timed run per hidden size x
    activation (learning rate 0.1, never diverges), times the grid's runs of that shape."""
    X_train, Y_train = data[0], data[1]
    total = 0.0
    n_runs = len(grid["learning_rates"]) * len(grid["inits"]) * len(grid["seeds"])
    for hidden in grid["hidden_sizes"]:
        for activation in grid["activations"]:
            samples = []
            for _ in range(repeats):
                began = time.perf_counter()
                reference.fit(X_train, Y_train, 0.1, hidden, iterations, activation=activation, seed=0)
                samples.append((time.perf_counter() - began) / iterations)
            per_iteration = float(np.median(samples))
            total += per_iteration * max(grid["iterations"]) * n_runs
            print(f"  reference hidden={hidden!s:>3} {activation:<8}: {per_iteration * 1e6:8.1f} us/iteration", flush=True)
    return total


def strategies(data, grid):
    """Two cores over the grid: one run per thread (what sweep does) vs the parallel kernel on
    one run at a time (``fastnn.fit`` at 2 numba threads), same runs, single iteration count."""
    count = max(grid["iterations"])
    runs = [(h, a, r) for h in grid["hidden_sizes"] for a in grid["activations"] for r in grid["learning_rates"]]
    began = time.perf_counter()
    for hidden, activation, rate in runs:
        try:
            fastnn.fit(data[0], data[1], rate, hidden, count, activation=activation, seed=0)
        except fastnn.DivergenceError:
            pass
    one_run_at_a_time = time.perf_counter() - began
    seconds, _ = timed_sweep(data, 2, **dict(grid, iterations=[count]))
    print(f"  parallel kernel, one run at a time: {one_run_at_a_time:8.1f} s;  one run per thread: {seconds:8.1f} s  "
          f"-> {one_run_at_a_time / seconds:.2f}x for one run per thread")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, nargs="+", default=list(SEED_GRID["iterations"]),
                        help="iteration counts of the grid (default the seed's, up to 100000)")
    parser.add_argument("--reference-iterations", type=int, default=200,
                        help="iterations per reference timing (default 200)")
    parser.add_argument("--reference-repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--one-core", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the grid on one core (default yes)")
    parser.add_argument("--strategies", action="store_true",
                        help="also compare one run per thread with the parallel kernel per run")
    args = parser.parse_args()

    X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
    data = (X[:, :1600], Y[:, :1600], X[:, 1600:], Y[:, 1600:])
    grid = dict(SEED_GRID, iterations=sorted(args.iterations))
    n_runs = np.prod([len(grid[key]) for key in ("hidden_sizes", "activations", "learning_rates", "inits", "seeds")])
    print(f"seed 004's grid: {n_runs} runs of {max(grid['iterations']):,} iterations, {n_runs * len(grid['iterations'])} "
          f"rows, 1,600 training samples, {args.dtype}; {os.cpu_count()} cores, numba {numba.__version__}")
    fastnn.sweep(*data, hidden_sizes=[2], activations=["tanh"], learning_rates=[0.1], iterations=[2],
                 progress=False, dtype=args.dtype)  # loads the compiled kernels

    two, table = timed_sweep(data, 2, dtype=args.dtype, **grid)
    one = timed_sweep(data, 1, dtype=args.dtype, **grid)[0] if args.one_core else None
    estimate = reference_seconds(data, args.reference_iterations, args.reference_repeats, grid)
    best = fastnn.select(table)
    print()
    print(f"fastnn, 2 cores:     {two:9.1f} s")
    if one is not None:
        print(f"fastnn, 1 core:      {one:9.1f} s   2 cores are {one / two:.2f}x faster")
    print(f"reference (NumPy):   {estimate:9.1f} s   estimated from {args.reference_iterations} iterations per shape; "
          f"fastnn on 2 cores is {estimate / two:.1f}x faster")
    print(f"  (the seed's loop, one run per row with no shared checkpoints, would take "
          f"{estimate * sum(grid['iterations']) / max(grid['iterations']):.0f} s)")
    if len(best):
        row = best[0]
        print(f"selected (train accuracy > 95 %, gap <= 1): hidden {row['hidden_size']}, {row['activation']}, lr "
              f"{row['learning_rate']}, {row['iterations']:,} iterations: train {row['train_accuracy']:.2f} %, "
              f"dev {row['dev_accuracy']:.2f} %, {row['time']:.2f} s")
    if args.strategies:
        strategies(data, dict(grid, iterations=[min(max(grid["iterations"]), 10_000)]))


if __name__ == "__main__":
    main()
