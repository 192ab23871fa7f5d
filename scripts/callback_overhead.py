"""What scikit-learn's callbacks cost a fastnn fit: the fit time with a callback over the fit
time without, interleaved repeats in one process, medians.

Two callbacks: one that only counts tasks (the hooks' own cost: a task context per epoch) and
``ScoringMonitor(scoring="accuracy")``, whose cost is its scoring (a prediction over the training
set per epoch), not fastnn's. Fit times on a loaded machine move with fastnn's serial/parallel
choice (``fastnn.twins.FasterTwin``), so the hooks' cost per epoch is also timed alone.

    python scripts/callback_overhead.py      # adam and lbfgs, 15 repeats each, about a minute
"""
import statistics
import time
import warnings

from sklearn.callback import ScoringMonitor
from sklearn.datasets import make_classification

import fastnn


class Count:
    """A callback that counts the tasks it sees end (no fitted copy asked for)."""

    def __init__(self):
        self.n = 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        self.n += 1


def fit_seconds(X, y, solver, callback):
    model = fastnn.MLPClassifier((64,), solver=solver, max_iter=30, n_iter_no_change=30, tol=0.0, random_state=0)
    if callback is not None:
        model.set_callbacks(callback())
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return time.perf_counter() - began


def hook_seconds(X, y, n_calls=2000):
    """Seconds per epoch end (end one task, begin the next) with the counting callback."""
    from fastnn.estimators.callbacks import FitCallbacks

    model = fastnn.MLPClassifier((64,), max_iter=n_calls).set_callbacks(Count())
    tasks = FitCallbacks(model, X, y, None, n_calls + 1)
    tasks.begin_epoch(None)
    began = time.perf_counter()
    for _ in range(n_calls):
        tasks.end_epoch(dict, more=True)
    seconds = (time.perf_counter() - began) / n_calls
    tasks.close()
    return seconds


def main(repeats=15):
    X, y = make_classification(10_000, 20, n_informative=10, n_classes=3, random_state=0)
    cases = {"none": None, "count": Count, "ScoringMonitor": lambda: ScoringMonitor(scoring="accuracy")}
    for solver in ("adam", "lbfgs"):
        fit_seconds(X[:500], y[:500], solver, Count)  # compile before timing
        times = {name: [] for name in cases}
        for _ in range(repeats):
            for name, callback in cases.items():
                times[name].append(fit_seconds(X, y, solver, callback))
        base = statistics.median(times["none"])
        ratios = ", ".join(f"{name} {statistics.median(t) / base:.3f}x" for name, t in times.items() if name != "none")
        print(f"{solver}: 30 epochs/iterations of 10000 x 20 -> 64 -> 3, no callback {base:.3f} s; {ratios}")
    print(f"the hooks alone: {hook_seconds(X, y) * 1e6:.1f} us per epoch")


if __name__ == "__main__":
    main()
