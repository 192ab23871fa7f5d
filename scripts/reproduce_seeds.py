"""Rerun the headline experiment of seeds 000, 001, 003 and 004 with fastnn; write a Markdown report.

Each section gives the seed's setting and figure (as the seed's text reports it: the seeds' images
are not in their text), ours beside it, by how much they differ and why. The seeds draw their data
without a fixed seed (and 000 and 003 do not give every setting), so our numbers cannot be theirs;
where that matters the report shows the spread over several draws.

    python scripts/reproduce_seeds.py                      # the full seed 004 grid: a few minutes
    python scripts/reproduce_seeds.py --quick --out /tmp/r   # seed 004's grid up to 10,000 iterations

Needs matplotlib (``pip install 'fastnn-numba[plot]'``).
"""
import argparse
import os
import time

import numpy as np

import fastnn
from fastnn import plot
from fastnn.sweep import SEED_GRID


def split(X, Y, n_train):
    return X[:, :n_train], Y[:, :n_train], X[:, n_train:], Y[:, n_train:]


def accuracy(X, Y, params, activation):
    return fastnn.accuracy(Y, fastnn.predict(X, params, activation))


def seed_000(out):
    """Decision boundaries of 1, 3 and 500 tanh units on noisy moons."""
    X, Y = fastnn.datasets.moons(n_samples=400, noise=0.3, seed=0)
    X_train, Y_train, X_dev, Y_dev = split(X, Y, 200)
    lines = ["## Seed 000: hidden layer size 1, 3 and 500 on noisy moons", "",
             "The seed (a two-layer network, tanh hidden layer, sigmoid output) shows three decision boundaries "
             "on two noisy moons: with 1 hidden unit the network is too simple and \"does not capture the true "
             "relationship\"; with 500 it \"clearly fits the noise, but not the moons\"; \"the right hidden layer "
             "size is about 3\". It gives no sample count, noise level, learning rate or iteration count.", "",
             "Ours: moons of 200 training and 200 dev samples, noise 0.3 (seed 0), He init, learning rate 1.0, "
             "20,000 full-batch iterations.", "",
             "| hidden units | final cost | train accuracy | dev accuracy | time | figure |",
             "| ---: | ---: | ---: | ---: | ---: | --- |"]
    for hidden in (1, 3, 500):
        began = time.perf_counter()
        params, costs = fastnn.fit(X_train, Y_train, 1.0, hidden, 20_000, activation="tanh", init="he", seed=0)
        seconds = time.perf_counter() - began
        train, dev = accuracy(X_train, Y_train, params, "tanh"), accuracy(X_dev, Y_dev, params, "tanh")
        name = f"seed000_hidden{hidden}.png"
        plot.decision_boundary(X_train, Y_train, params, "tanh", path=os.path.join(out, name),
                               title=f"{hidden} tanh units: train {train:.1f} %, dev {dev:.1f} %")
        lines.append(f"| {hidden} | {costs[-1]:.3f} | {train:.1f} % | {dev:.1f} % | {seconds:.1f} s | ![]({name}) |")
    lines += ["", "The same three regimes as the seed's figures: 1 unit gives an almost straight boundary, 3 units "
              "follow the moons and do best on the dev data, 500 units reach the highest training accuracy with a "
              "boundary that bends around single noisy points, and lose on the dev data (the gap between train and "
              "dev accuracy is the overfitting the seed describes). Exact figures depend on the draw of the data "
              "and on how long training runs, which the seed does not give.", ""]
    return lines


def seed_001(out):
    """make_moons(500, noise 0.2), 5 tanh units, He init, lr 0.3, 5,000 iterations: first and last cost."""
    runs = []
    for seed in range(10):
        X, Y = fastnn.datasets.moons(n_samples=500, noise=0.2, seed=seed)
        runs.append(fastnn.fit(X, Y, 0.3, 5, 5_000, activation="tanh", init="he", seed=seed)[1])
    costs = runs[0]
    plot.cost_curve(costs, title="seed 001: 5 tanh units, He init, lr 0.3", path=os.path.join(out, "seed001_cost.png"))
    firsts = np.array([c[0] for c in runs])
    lasts = np.array([c[-1] for c in runs])
    return ["## Seed 001: the cost of 5 tanh units over 5,000 iterations", "",
            "The seed trains 5 tanh units with He init (randn x sqrt(2 / fan_in)), learning rate 0.3, 5,000 "
            "iterations on `make_moons(n_samples=500, noise=.2)` (no random seed) and plots the cost: "
            "first cost 0.738, last cost 0.068.", "",
            "| | first cost | last cost |", "| --- | ---: | ---: |",
            "| seed 001 | 0.738 | 0.068 |",
            f"| fastnn, data and init seed 0 | {costs[0]:.3f} | {costs[-1]:.3f} |",
            f"| fastnn, seeds 0-9: mean (min - max) | {firsts.mean():.3f} ({firsts.min():.3f} - {firsts.max():.3f}) | "
            f"{lasts.mean():.3f} ({lasts.min():.3f} - {lasts.max():.3f}) |", "",
            "![cost curve](seed001_cost.png)", "",
            f"The first cost is that of random He weights: it varies with the draw, and the seed's 0.738 lies "
            f"{'inside' if firsts.min() <= 0.738 <= firsts.max() else 'outside'} the range of our ten draws. The last "
            f"cost depends on how separable the particular 500 noisy points are; the seed's 0.068 is "
            f"{'inside' if lasts.min() <= 0.068 <= lasts.max() else 'outside'} the range of ours. The curve has the "
            "seed's shape: a fast drop in the first few hundred iterations, then a slow decline.", ""]


def seed_003(out):
    """Logistic regression vs one sigmoid hidden layer: the lowest cost of each."""
    lines = ["## Seed 003: logistic regression against one sigmoid hidden layer", "",
             "The seed trains logistic regression and a network with one sigmoid hidden layer on moons-like data "
             "that no straight line separates, and compares the lowest loss: 0.28 for logistic regression, 0.18 "
             "for the network. It does not give the data's size and noise, the hidden size or the iterations.", "",
             "Ours: moons of 1,000 samples (seed 0), Glorot init, learning rate 1.0, 10,000 iterations, 4 sigmoid "
             "hidden units; three noise levels, since the loss depends most on it.", "",
             "| noise | logistic regression, min cost | 4 sigmoid units, min cost |", "| ---: | ---: | ---: |",
             "| seed 003 | 0.28 | 0.18 |"]
    for noise in (0.2, 0.25, 0.3):
        X, Y = fastnn.datasets.moons(n_samples=1000, noise=noise, seed=0)
        linear, linear_costs = fastnn.fit(X, Y, 1.0, 0, 10_000, init="glorot", seed=0)
        network, network_costs = fastnn.fit(X, Y, 1.0, 4, 10_000, activation="sigmoid", init="glorot", seed=0)
        lines.append(f"| {noise} | {linear_costs.min():.3f} | {network_costs.min():.3f} |")
        if noise == 0.25:
            plot.decision_boundary(X, Y, linear, path=os.path.join(out, "seed003_logistic.png"),
                                   title=f"logistic regression: accuracy {accuracy(X, Y, linear, 'tanh'):.1f} %")
            plot.decision_boundary(X, Y, network, "sigmoid", path=os.path.join(out, "seed003_hidden.png"),
                                   title=f"4 sigmoid units: accuracy {accuracy(X, Y, network, 'sigmoid'):.1f} %")
            plot.cost_curve({"logistic regression": linear_costs, "4 sigmoid hidden units": network_costs},
                            title="seed 003: cost per iteration (noise 0.25)", path=os.path.join(out, "seed003_cost.png"))
    lines += ["", "| logistic regression (noise 0.25) | one sigmoid hidden layer | costs |", "| --- | --- | --- |",
              "| ![](seed003_logistic.png) | ![](seed003_hidden.png) | ![](seed003_cost.png) |", "",
              "As in the seed, the hidden layer lowers the loss well below logistic regression's, whose straight "
              "boundary misclassifies the tips of both moons. Logistic regression's minimum, near 0.3, matches the "
              "seed's 0.28 within the effect of the noise level; the network goes lower than the seed's 0.18 "
              "because we train it longer (the seed stops earlier or uses noisier data).", ""]
    return lines


def seed_004(out, quick, n_jobs):
    """The grid, the filter, the choice and its accuracy on fresh data."""
    grid = dict(SEED_GRID, iterations=(100, 1_000, 10_000)) if quick else SEED_GRID
    X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
    data = split(X, Y, 1600)
    load_before, began = os.getloadavg()[0], time.perf_counter()
    table = fastnn.sweep(*data, n_jobs=n_jobs, progress=None, **grid)
    seconds = time.perf_counter() - began
    table.to_csv(os.path.join(out, "seed004_sweep.csv"))
    chosen = fastnn.select(table)
    best = chosen[0] if len(chosen) else None
    plot.sweep_scatter(table, selected=best, path=os.path.join(out, "seed004_sweep.png"))
    fresh = [fastnn.datasets.moons(n_samples=500, noise=0.25, seed=1000 + i) for i in range(20)]
    lines = ["## Seed 004: the hyper-parameter grid, the filter and fresh data", "",
             "The seed trains every combination of hidden size [1, 2, 3, 4, 5, 10, 50], activation [tanh, sigmoid, "
             "relu], learning rate [1.2, 0.6, 0.1, 0.01, 0.001] and iterations [100, 1,000, 10,000, 100,000] on "
             "moons (N = 2,000, noise 0.25) with weights randn x 0.01 after `np.random.seed(0)`, keeps the "
             "configurations with accuracy > 95 %, drops those whose train and dev accuracies differ by more than 1 %, then the fast ones (< 30 s), chooses "
             "the fastest (3 tanh units, learning rate 0.6, 10,000 iterations) and scores 93.6 % on 500 new samples.", "",
             f"Ours: the same grid{' up to 10,000 iterations (--quick)' if quick else ''} on 1,600 training and 400 "
             f"dev samples (seed 0): {len(table)} rows in {seconds:.0f} s on {os.cpu_count()} cores (1-minute load "
             f"average {load_before:.1f} before, the sweep's own threads included after: {os.getloadavg()[0]:.1f}), "
             f"{sum(row['diverged'] for row in table)} diverged. `fastnn.select` keeps {len(chosen)} rows.", "",
             "![accuracy and time](seed004_sweep.png)", "",
             "| configuration | train | dev | training time | fresh data, seed 1000 | fresh data, 20 draws: mean (min - max) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |",
             "| seed 004's choice, as the seed reports it | | | < 30 s | 93.6 % | |"]
    rows = [("fastnn's choice (`fastnn.select`, fastest)", best)]
    rows += [("seed 004's choice trained by fastnn", row) for row in table
             if (row["hidden_size"], row["activation"], row["learning_rate"], row["iterations"]) == (3, "tanh", 0.6, 10_000)]
    for label, row in rows:
        if row is None:
            lines.append(f"| {label}: none passes the filter | | | | | |")
            continue
        scores = np.array([accuracy(Xf, Yf, row["params"], row["activation"]) for Xf, Yf in fresh])
        lines.append(f"| {label}: hidden {row['hidden_size']}, {row['activation']}, lr {row['learning_rate']}, "
                     f"{row['iterations']:,} iterations | {row['train_accuracy']:.2f} % | {row['dev_accuracy']:.2f} % | "
                     f"{row['time']:.3f} s | {scores[0]:.1f} % | {scores.mean():.1f} % ({scores.min():.1f} - {scores.max():.1f}) |")
    lines += ["", "Accuracy on 500 fresh samples varies by about a point from draw to draw (a 500-sample estimate "
              "has a standard error near 1 %), and on moons with noise 0.25 the best configurations of the grid all "
              "reach about 95 % on their training data, so the seed's 93.6 % and ours differ by the draw, not by the "
              "model. Which configuration wins depends on "
              "the data draw (accuracies of many configurations lie within a point of each other) and on timing: "
              "every configuration trains in well under the seed's 30 s here, so ranking by time favours the fewest "
              "iterations that reach the filter.", ""]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="reports/seeds", help="directory of the report (default reports/seeds)")
    parser.add_argument("--quick", action="store_true", help="seed 004's grid up to 10,000 iterations only")
    parser.add_argument("--jobs", type=int, default=-1, help="runs trained at once in seed 004's grid (default all cores)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    began = time.perf_counter()
    lines = ["# The seeds' experiments, reproduced with fastnn", "",
             f"Written by `scripts/reproduce_seeds.py{' --quick' if args.quick else ''}` (fastnn {fastnn.__version__}). "
             "Each section puts the seed's reported figure beside ours.", ""]
    fastnn.fit(*fastnn.datasets.moons(n_samples=10, seed=0), 0.1, 2, 1)  # load the compiled kernels before timing
    for section in (seed_000, seed_001, seed_003):
        lines += section(args.out)
        print(f"{section.__name__} done", flush=True)
    lines += seed_004(args.out, args.quick, args.jobs)
    lines += [f"_All four took {time.perf_counter() - began:.0f} s._", ""]
    path = os.path.join(args.out, "README.md")
    with open(path, "w") as file:
        file.write("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
