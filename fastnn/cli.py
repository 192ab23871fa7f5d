"""The ``fastnn`` command: ``train`` one network, ``sweep`` a grid of them (seed 004), ``demo`` the speed-up,
``compile`` every kernel into numba's cache ahead of time, ``cache`` shows where that cache is."""
import argparse
import os
import sys
import time

from . import datasets, functional, reference
from .errors import DivergenceError
from .init import INITS
from .kernels.activations import ACTIVATIONS
from .kernels.optimizers import OPTIMIZERS

#: ``fastnn sweep --quick``: a grid of a few seconds that still shows the trade-offs.
QUICK_GRID = dict(hidden_sizes=(1, 3, 5, 10), activations=("tanh", "relu"), learning_rates=(1.2, 0.6, 0.1),
                  iterations=(100, 1_000, 5_000))


def moons_split(args):
    """Seed 004's data: moons of ``args.samples`` points, the first ``1 - args.dev_fraction`` to train."""
    X, Y = datasets.moons(n_samples=args.samples, noise=args.noise, seed=args.seed)
    if not 0 < args.dev_fraction < 1:
        raise ValueError(f"--dev-fraction must be between 0 and 1, got {args.dev_fraction}")
    n_train = int(round((1 - args.dev_fraction) * X.shape[1]))
    if not 0 < n_train < X.shape[1]:
        raise ValueError(f"{args.samples} samples leave no training or no dev data at --dev-fraction {args.dev_fraction}")
    return X[:, :n_train], Y[:, :n_train], X[:, n_train:], Y[:, n_train:]


def hidden_size(values):
    """``--hidden 5`` is one layer of 5, ``--hidden 10 5`` two layers, ``--hidden 0`` none."""
    return values[0] if len(values) == 1 else tuple(values)


def train(args):
    """Train one network on moons (by full-batch gradient descent unless --optimizer or --batch-size
    say otherwise); print the cost as it goes, the final cost, train and dev accuracy and the time;
    optionally save the parameters and plot."""
    X_train, Y_train, X_dev, Y_dev = moons_split(args)
    hidden = hidden_size(args.hidden)
    optimizer = args.optimizer or ("gd" if args.batch_size is None else "sgd")
    batches = "full batch" if args.batch_size is None else f"batches of {args.batch_size}"
    print(f"fastnn train: hidden {hidden}, {args.activation}, {optimizer} ({batches}), lr {args.learning_rate}, "
          f"{args.iterations:,} iterations, init {args.init} (seed {args.seed}); "
          f"moons: {X_train.shape[1]} train, {X_dev.shape[1]} dev")
    every = max(1, args.iterations // 10)

    def report(i, cost):
        if args.progress and (i % every == 0 or i == args.iterations - 1):
            print(f"  iteration {i:>9,}: cost {cost:.6f}", flush=True)

    settings = dict(activation=args.activation, init=args.init, seed=args.seed, dtype=args.dtype, optimizer=optimizer,
                    batch_size=args.batch_size)
    warm_up(X_train, Y_train, learning_rate=args.learning_rate, hidden_size=hidden, **settings)
    began = time.perf_counter()
    params, costs = functional.fit(X_train, Y_train, args.learning_rate, hidden, args.iterations, callback=report,
                                   **settings)
    seconds = time.perf_counter() - began
    train_accuracy = functional.accuracy(Y_train, functional.predict(X_train, params, args.activation))
    dev_accuracy = functional.accuracy(Y_dev, functional.predict(X_dev, params, args.activation))
    final = f"{costs[-1]:.6f}" if len(costs) else "n/a (0 iterations)"
    print(f"final cost {final}; accuracy: train {train_accuracy:.2f} %, dev {dev_accuracy:.2f} %; "
          f"time {seconds:.3f} s")
    if args.save:
        from .io import save

        save(args.save, params, dict(activation=args.activation, hidden_size=args.hidden, learning_rate=args.learning_rate,
                                     iterations=args.iterations, init=args.init, seed=args.seed, optimizer=optimizer,
                                     batch_size=args.batch_size,
                                     train_accuracy=train_accuracy, dev_accuracy=dev_accuracy))
        print(f"saved the parameters to {args.save} (fastnn.load reads them)")
    if args.plot:
        from . import plot

        plot.decision_boundary(X_train, Y_train, params, args.activation, path=args.plot,
                               title=f"hidden {hidden}, {args.activation}, {args.iterations:,} iterations: "
                                     f"dev {dev_accuracy:.1f} %")
        print(f"wrote the decision boundary to {args.plot}")
    if args.plot_cost:
        from . import plot

        plot.cost_curve(costs, path=args.plot_cost)
        print(f"wrote the cost curve to {args.plot_cost}")


def sweep(args):
    """Seed 004's experiment: train a grid of configurations (the seed's grid unless --quick or the
    grid options say otherwise), write the table as CSV and a scatter plot as PNG, print the
    configuration seed 004's filter selects and its accuracy on fresh data."""
    from .sweep import SEED_GRID, select
    from .sweep import sweep as run_sweep

    X_train, Y_train, X_dev, Y_dev = moons_split(args)
    grid = dict(SEED_GRID, **(QUICK_GRID if args.quick else {}))
    for name in ("hidden_sizes", "activations", "learning_rates", "iterations", "seeds"):
        if getattr(args, name) is not None:
            grid[name] = getattr(args, name)
    runs = len(grid["hidden_sizes"]) * len(grid["activations"]) * len(grid["learning_rates"]) * len(grid["seeds"])
    print(f"fastnn sweep: {runs} runs to {max(grid['iterations']):,} iterations, {runs * len(grid['iterations'])} rows; "
          f"moons: {X_train.shape[1]} train, {X_dev.shape[1]} dev")
    began = time.perf_counter()
    table = run_sweep(X_train, Y_train, X_dev, Y_dev, n_jobs=args.jobs, progress=None if args.progress else False,
                      dtype=args.dtype,
                      **grid)
    print(f"trained in {time.perf_counter() - began:.1f} s; {sum(row['diverged'] for row in table)} rows diverged")
    table.to_csv(args.csv)
    print(f"wrote {len(table)} rows to {args.csv}")
    chosen = select(table, args.min_accuracy, args.max_gap)
    best = chosen[0] if len(chosen) else None
    if args.png:
        try:
            from . import plot
        except ImportError as error:
            print(f"no {args.png}: {error}")
        else:
            plot.sweep_scatter(table, selected=best, min_accuracy=args.min_accuracy, max_gap=args.max_gap,
                               path=args.png)
            print(f"wrote the accuracy/time scatter plot to {args.png}")
    if best is None:
        print(f"no configuration has a train accuracy > {args.min_accuracy} % and a dev accuracy within "
              f"{args.max_gap} points of it")
        return
    print(f"{len(chosen)} configurations pass seed 004's filter (train accuracy > {args.min_accuracy} %, "
          f"train-dev gap <= {args.max_gap}); the fastest: hidden {best['hidden_size']}, {best['activation']}, lr "
          f"{best['learning_rate']}, {best['iterations']:,} iterations: train {best['train_accuracy']:.2f} %, "
          f"dev {best['dev_accuracy']:.2f} %, {best['time']:.3f} s")
    X_new, Y_new = datasets.moons(n_samples=args.fresh_samples, noise=args.noise, seed=args.seed + 1)
    fresh = functional.accuracy(Y_new, functional.predict(X_new, best["params"], best["activation"]))
    print(f"accuracy on {args.fresh_samples} fresh samples: {fresh:.2f} %")
    if args.save:
        from .io import save

        save(args.save, best["params"], {key: best[key] for key in ("hidden_size", "activation", "learning_rate",
                                                                    "iterations", "init", "seed")})
        print(f"saved the selected parameters to {args.save}")


def warm_up(X, Y, **settings):
    """Compile (or load from numba's cache) every kernel a fit on ``X``, ``Y`` with ``settings`` runs,
    before it is timed: a two-iteration fit compiles the serial twin, and the parallel twin is
    compiled for the same signature (``fastnn.twins.FasterTwin`` would only compile it in the
    background, during the timed fit)."""
    from .precompile import compile_parallel_twins

    functional.fit(X, Y, iterations=2, **settings)
    compile_parallel_twins()


def compile_kernels(args):
    """Compile every kernel (both dtypes, both twins, the estimators' too) for every hidden
    activation, or those of --activations, into numba's on-disk cache, so that later processes
    start warm: for Docker images and CI."""
    from .kernels.cache import cache_info
    from .precompile import compile_all

    began = time.perf_counter()
    compile_all(progress=args.progress, jobs=args.jobs, activations=args.activations)
    info = cache_info()
    where = f"{info['path']} ({KINDS[info['kind']]})" if info["path"] else "no cache (not writable)"
    print(f"compiled in {time.perf_counter() - began:.1f} s into {where}")


#: What each kind of cache directory means, for ``fastnn compile`` and ``fastnn cache``.
KINDS = {"NUMBA_CACHE_DIR": "NUMBA_CACHE_DIR", "user": "per user, shared by every install of these kernels",
         "package": "the package's own", "temporary": "private temporary: the system may delete it", None: "none"}


def _size(path):
    """Files and bytes under ``path``."""
    sizes = [os.path.getsize(os.path.join(folder, name)) for folder, _, names in os.walk(path) for name in names]
    return len(sizes), sum(sizes)


def cache(args):
    """Where this process caches the compiled kernels (numba's on-disk cache) and why: the places
    tried in order, and the per-user directories of other kernel versions; --clear deletes the
    per-user directories (every version's), so the next process compiles again."""
    import shutil

    from .kernels.cache import cache_info

    info = cache_info()
    if args.clear:
        shutil.rmtree(info["user_root"], ignore_errors=True)
        print(f"deleted {info['user_root']}")
        return
    print(f"kernels cached in: {info['path'] or 'nowhere: every process compiles them'} ({KINDS[info['kind']]})")
    if info["path"] and os.path.isdir(info["path"]):
        files, size = _size(info["path"])
        print(f"  {files} files, {size / 1e6:.1f} MB")
    print("in order of preference:")
    for kind, path, writable in info["tried"]:
        print(f"  {kind:<16} {path}{'' if writable else ' (not writable)'}")
    others = sorted(set(os.listdir(info["user_root"])) - {info["version_key"]}) if os.path.isdir(info["user_root"]) else []
    if others:
        print(f"other versions in {info['user_root']}:")
        for name in others:
            files, size = _size(os.path.join(info["user_root"], name))
            print(f"  {name}: {files} files, {size / 1e6:.1f} MB")


def demo(args):
    """Seed 004's network (5 tanh units, lr 0.6) on moons; accuracy, time, speed-up over NumPy."""
    X, Y = datasets.moons(n_samples=args.samples, noise=0.25, seed=args.seed)
    n_train = int(0.8 * X.shape[1])
    X_train, Y_train, X_dev, Y_dev = X[:, :n_train], Y[:, :n_train], X[:, n_train:], Y[:, n_train:]
    settings = dict(learning_rate=0.6, hidden_size=5, activation="tanh", init="small", seed=args.seed)
    print(f"fastnn demo: one hidden layer of 5 tanh units on moons, {n_train} training and "
          f"{X.shape[1] - n_train} dev samples, {args.iterations:,} iterations of gradient descent, lr 0.6")

    began = time.perf_counter()
    warm_up(X_train, Y_train, **settings)
    print(f"  first call (compiles, or loads the compiled kernels from cache): {time.perf_counter() - began:.2f} s")

    began = time.perf_counter()
    params, costs = functional.fit(X_train, Y_train, iterations=args.iterations, **settings)
    fast = time.perf_counter() - began
    print(f"  fastnn:     {fast:8.3f} s  {fast / args.iterations * 1e6:8.1f} us/iteration   "
          f"cost {costs[0]:.4f} -> {costs[-1]:.4f}")

    sample = max(1, min(args.iterations, args.reference_iterations))
    began = time.perf_counter()
    reference.fit(X_train, Y_train, iterations=sample, **settings)
    slow = (time.perf_counter() - began) / sample
    print(f"  reference:  {slow * args.iterations:8.3f} s  {slow * 1e6:8.1f} us/iteration   "
          f"(NumPy, timed over {sample:,} iterations)")
    print(f"  speed-up:   {slow * args.iterations / fast:8.1f} x")
    train_accuracy = functional.accuracy(Y_train, functional.predict(X_train, params))
    dev_accuracy = functional.accuracy(Y_dev, functional.predict(X_dev, params))
    print(f"  accuracy:   train {train_accuracy:.1f} %, dev {dev_accuracy:.1f} %")


def add_data_options(parser):
    parser.add_argument("--samples", type=int, default=2000, help="moons samples (default 2000)")
    parser.add_argument("--noise", type=float, default=0.25, help="moons noise (default 0.25)")
    parser.add_argument("--dev-fraction", type=float, default=0.2,
                        help="share of the samples held out as dev data (default 0.2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the initial weights (default 0)")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="print no progress")


def build_parser():
    parser = argparse.ArgumentParser(prog="fastnn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("train", help="train one network on moons", description=train.__doc__)
    add_data_options(run)
    run.add_argument("--hidden", type=int, nargs="+", default=[5], metavar="N",
                     help="hidden layer sizes: 5 is one layer of 5, '10 5' two layers, 0 none (default 5)")
    run.add_argument("--activation", default="tanh", help=f"{', '.join(ACTIVATIONS)} (default tanh)")
    run.add_argument("--learning-rate", type=float, default=0.6, help="default 0.6")
    run.add_argument("--iterations", type=int, default=10_000, help="epochs (default 10000)")
    run.add_argument("--optimizer", help=f"{', '.join(OPTIMIZERS)}; gd is full-batch gradient descent "
                                         "(default gd, or sgd with --batch-size)")
    run.add_argument("--batch-size", type=int, metavar="N", help="samples per minibatch (default: the full batch)")
    run.add_argument("--init", default="small", help=f"{', '.join(INITS)} (default small: randn x 0.01)")
    run.add_argument("--save", metavar="PATH", help="save the parameters and settings (fastnn.save)")
    run.add_argument("--plot", metavar="PNG", help="draw the decision boundary on the training data")
    run.add_argument("--plot-cost", metavar="PNG", help="draw the cost curve")
    run.set_defaults(run=train)

    run = commands.add_parser("sweep", help="seed 004's hyper-parameter grid, filter and choice",
                              description=sweep.__doc__)
    add_data_options(run)
    run.add_argument("--quick", action="store_true",
                     help=f"a small grid of a few seconds: {', '.join(f'{k} {v}' for k, v in QUICK_GRID.items())}")
    run.add_argument("--hidden-sizes", type=int, nargs="+", metavar="N", help="hidden layer sizes (one layer each)")
    run.add_argument("--activations", nargs="+", metavar="NAME", help=", ".join(ACTIVATIONS))
    run.add_argument("--learning-rates", type=float, nargs="+", metavar="RATE")
    run.add_argument("--iterations", type=int, nargs="+", metavar="COUNT",
                     help="iteration counts, recorded along one run per configuration")
    run.add_argument("--seeds", type=int, nargs="+", metavar="SEED", help="seeds of the initial weights (default 0)")
    run.add_argument("--jobs", type=int, default=-1, help="runs trained at once (default -1: every core)")
    run.add_argument("--min-accuracy", type=float, default=95.0, help="the filter's accuracy, percent (default 95)")
    run.add_argument("--max-gap", type=float, default=1.0, help="the filter's largest train-dev gap (default 1)")
    run.add_argument("--fresh-samples", type=int, default=500,
                     help="fresh moons to test the selected configuration on (default 500)")
    run.add_argument("--csv", default="sweep.csv", help="where to write the table (default sweep.csv)")
    run.add_argument("--png", default="sweep.png",
                     help="where to draw accuracy and time (default sweep.png; '' for none)")
    run.add_argument("--save", metavar="PATH", help="save the selected configuration's parameters (fastnn.save)")
    run.set_defaults(run=sweep)

    run = commands.add_parser("demo", help=demo.__doc__, description=demo.__doc__)
    run.add_argument("--samples", type=int, default=2000, help="moons samples, 80%% train (default 2000)")
    run.add_argument("--iterations", type=int, default=10_000, help="gradient-descent iterations (default 10000)")
    run.add_argument("--reference-iterations", type=int, default=1000,
                     help="iterations to time the NumPy reference over (default 1000)")
    run.add_argument("--seed", type=int, default=0)
    run.set_defaults(run=demo)

    run = commands.add_parser("compile", help="compile every kernel into numba's cache (for Docker images, CI)",
                              description=compile_kernels.__doc__)
    run.add_argument("--no-progress", dest="progress", action="store_false", help="print no progress")
    run.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4),
                     help="worker processes (default: one a CPU, at most 4)")
    run.add_argument("--activations", nargs="+", metavar="NAME",
                     help="hidden activations to compile for (default: every one; each costs about as much)")
    run.set_defaults(run=compile_kernels)

    run = commands.add_parser("cache", help="where the compiled kernels are cached", description=cache.__doc__)
    run.add_argument("--clear", action="store_true", help="delete the per-user cache (every version's)")
    run.set_defaults(run=cache)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, ImportError) as error:
        print(f"fastnn: error: {error}", file=sys.stderr)
        return 2
    except DivergenceError as error:
        print(f"fastnn: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
