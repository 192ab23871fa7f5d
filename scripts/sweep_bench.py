"""Time seed 004's grid with ``fastnn.sweep`` on 2 cores and on 1, against the NumPy reference loop.

The grid: 7 hidden sizes x 3 activations x 5 learning rates, 4 iteration counts, on moons
(N=2000, noise 0.25, 1,600 training samples): 420 rows from 105 runs of 100,000 iterations
(checkpoints share the work). Three measurements:

1. the full grid with ``n_jobs=2``: the headline wall-clock figure (``--full-one-core`` adds
   ``n_jobs=1``);
2. the 2-core speed-up: the grid cut to ``--scaling-iterations`` iterations, timed alternately at
   ``n_jobs=2`` and ``n_jobs=1``, ``--repeats`` times, medians;
3. the speed-up over the reference (``fastnn.reference.fit``, the seeds' NumPy loop): for each
   hidden size x activation, the reference and one fastnn run (one core) timed alternately, per
   iteration, medians; both extrapolated to the grid's 105 runs x 100,000 iterations, and the
   fastnn figure divided by the 2-core speed-up of (2).

The machine may be shared: each grid timing prints the load average and how many cores the sweep
kept busy (CPU time over wall time: 2.00 on a free machine). Ratios from interleaved timings (2, 3)
hold up on a busy machine far better than wall-clock seconds (1).

    python scripts/sweep_bench.py                 # about 5 minutes on a free machine
    python scripts/sweep_bench.py --quick         # a short check: no full grid, small samples
"""
import argparse
import os
import time

import numba
import numpy as np

import fastnn
from fastnn import reference
from fastnn.sweep import SEED_GRID

FULL = max(SEED_GRID["iterations"])
RUNS_PER_SHAPE = len(SEED_GRID["learning_rates"]) * len(SEED_GRID["inits"]) * len(SEED_GRID["seeds"])


def load():
    """1-minute load average: the machine's business besides ours."""
    return os.getloadavg()[0]


def timed_sweep(data, n_jobs, quiet=False, **grid):
    before = load()
    began, cpu = time.perf_counter(), time.process_time()
    table = fastnn.sweep(*data, n_jobs=n_jobs, progress=False, **grid)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    if not quiet:
        print(f"  fastnn.sweep n_jobs={n_jobs}: {seconds:8.1f} s  ({len(table)} rows, "
              f"{sum(row['diverged'] for row in table)} diverged; {cpu / seconds:.2f} cores busy; "
              f"load average {before:.2f} -> {load():.2f})", flush=True)
    return seconds, table, cpu / seconds


def scaling(data, iterations, repeats):
    """Median wall time of the grid (cut to ``iterations``) at n_jobs=1 over that at n_jobs=2."""
    grid = dict(SEED_GRID, iterations=[iterations])
    times = {1: [], 2: []}
    busy = {1: [], 2: []}
    for _ in range(repeats):
        for n_jobs in (2, 1):
            seconds, _, cores = timed_sweep(data, n_jobs, quiet=True, **grid)
            times[n_jobs].append(seconds)
            busy[n_jobs].append(cores)
    one, two = np.median(times[1]), np.median(times[2])
    print(f"  grid to {iterations:,} iterations, medians of {repeats}: n_jobs=1 {one:.1f} s "
          f"({np.median(busy[1]):.2f} cores busy), n_jobs=2 {two:.1f} s ({np.median(busy[2]):.2f} cores busy) "
          f"-> 2 cores are {one / two:.2f}x faster", flush=True)
    return one / two


def per_iteration(data, reference_iterations, fastnn_iterations, repeats):
    """Seconds per iteration of the reference and of one fastnn run (one core), for each shape."""
    X_train, Y_train = data[0], data[1]
    shapes = {}
    for hidden in SEED_GRID["hidden_sizes"]:
        for activation in SEED_GRID["activations"]:
            slow, fast = [], []
            for _ in range(repeats):
                began = time.perf_counter()
                reference.fit(X_train, Y_train, 0.1, hidden, reference_iterations, activation=activation, seed=0)
                slow.append((time.perf_counter() - began) / reference_iterations)
                row = fastnn.sweep(*data, hidden_sizes=[hidden], activations=[activation], learning_rates=[0.1],
                                   iterations=[fastnn_iterations], n_jobs=1, progress=False)[0]
                fast.append(row["time"] / fastnn_iterations)
            shapes[hidden, activation] = (np.median(slow), np.median(fast))
            print(f"  hidden={hidden!s:>3} {activation:<8}: reference {shapes[hidden, activation][0] * 1e6:8.1f}, "
                  f"fastnn {shapes[hidden, activation][1] * 1e6:7.1f} us/iteration  "
                  f"({shapes[hidden, activation][0] / shapes[hidden, activation][1]:5.1f}x)", flush=True)
    return shapes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the full grid; small samples")
    parser.add_argument("--full-one-core", action="store_true", help="also time the full grid at n_jobs=1")
    parser.add_argument("--scaling-iterations", type=int, default=10_000,
                        help="iterations of the grid timed at 1 and 2 cores (default 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    parser.add_argument("--reference-iterations", type=int, default=200,
                        help="iterations per reference timing (default 200)")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()

    X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
    data = (X[:, :1600], Y[:, :1600], X[:, 1600:], Y[:, 1600:])
    print(f"seed 004's grid: {RUNS_PER_SHAPE * len(SEED_GRID['hidden_sizes']) * len(SEED_GRID['activations'])} "
          f"runs of {FULL:,} iterations, 420 rows, 1,600 training samples, {args.dtype}; {os.cpu_count()} cores, "
          f"numba {numba.__version__}; load average {load():.2f}")
    fastnn.sweep(*data, hidden_sizes=[2], activations=["tanh"], learning_rates=[0.1], iterations=[2],
                 progress=False, dtype=args.dtype)  # loads the compiled kernels

    two = one = None
    if not args.quick:
        print("1. the full grid")
        two, table, _ = timed_sweep(data, 2, dtype=args.dtype, **SEED_GRID)
        if args.full_one_core:
            one = timed_sweep(data, 1, dtype=args.dtype, **SEED_GRID)[0]
        best = fastnn.select(table)
        if len(best):
            row = best[0]
            print(f"  selected (train accuracy > 95 %, gap <= 1): hidden {row['hidden_size']}, {row['activation']}, "
                  f"lr {row['learning_rate']}, {row['iterations']:,} iterations: train {row['train_accuracy']:.2f} %, "
                  f"dev {row['dev_accuracy']:.2f} %")
    print("2. two cores against one")
    speedup = scaling(data, 1_000 if args.quick else args.scaling_iterations, args.repeats)
    print("3. the reference against one fastnn run, per iteration, interleaved")
    shapes = per_iteration(data, 20 if args.quick else args.reference_iterations, 500 if args.quick else 5_000,
                           args.repeats)
    slow = sum(s for s, _ in shapes.values()) * RUNS_PER_SHAPE * FULL
    fast = sum(f for _, f in shapes.values()) * RUNS_PER_SHAPE * FULL
    print()
    print(f"grid of 105 runs x {FULL:,} iterations, estimated from 3.: reference {slow:.0f} s, fastnn on 1 core "
          f"{fast:.0f} s ({slow / fast:.1f}x), fastnn on 2 cores {fast / speedup:.0f} s "
          f"({slow / fast * speedup:.1f}x the reference)")
    print(f"  (the seed's loop, one run per row with no shared checkpoints, would take "
          f"{slow * sum(SEED_GRID['iterations']) / FULL:.0f} s)")
    if two is not None:
        print(f"full grid measured: fastnn on 2 cores {two:.1f} s ({slow / two:.1f}x the reference estimate)"
              + (f", on 1 core {one:.1f} s ({one / two:.2f}x)" if one is not None else ""))


if __name__ == "__main__":
    main()
