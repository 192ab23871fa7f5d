"""The ``fastnn`` command: ``fastnn demo`` trains the seeds' network on moons and times it."""
import argparse
import sys
import time


from . import datasets, functional, reference


def demo(args):
    """Seed 004's network (5 tanh units, lr 0.6) on moons; accuracy, time, speed-up over NumPy."""
    X, Y = datasets.moons(n_samples=args.samples, noise=0.25, seed=args.seed)
    n_train = int(0.8 * X.shape[1])
    X_train, Y_train, X_dev, Y_dev = X[:, :n_train], Y[:, :n_train], X[:, n_train:], Y[:, n_train:]
    settings = dict(learning_rate=0.6, hidden_size=5, activation="tanh", init="small", seed=args.seed)
    print(f"fastnn demo: one hidden layer of 5 tanh units on moons, {n_train} training and "
          f"{X.shape[1] - n_train} dev samples, {args.iterations:,} iterations of gradient descent, lr 0.6")

    began = time.perf_counter()
    functional.fit(X_train, Y_train, iterations=1, **settings)
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


def build_parser():
    parser = argparse.ArgumentParser(prog="fastnn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help=demo.__doc__, description=demo.__doc__)
    run.add_argument("--samples", type=int, default=2000, help="moons samples, 80%% train (default 2000)")
    run.add_argument("--iterations", type=int, default=10_000, help="gradient-descent iterations (default 10000)")
    run.add_argument("--reference-iterations", type=int, default=1000,
                     help="iterations to time the NumPy reference over (default 1000)")
    run.add_argument("--seed", type=int, default=0)
    run.set_defaults(run=demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except ValueError as error:
        print(f"fastnn: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
