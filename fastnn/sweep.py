"""Hyper-parameter sweeps, seed 004's experiment: ``sweep`` trains a grid of networks, ``select`` filters it.

A *run* is one (hidden size, activation, learning rate, init, seed, optimizer settings). It trains
once (``fastnn.engine``, as ``fastnn.fit`` does), to the largest iteration count, and records a
row at every count of the grid on the way: the iterations of a fit to ``k`` are the first ``k``
iterations of a fit to more, so the row for ``k`` holds exactly
the ``params`` and ``costs`` that ``fastnn.fit`` gives for ``k`` (the tests check it bitwise), and
seed 004's grid costs its 100,000-iteration runs only.

Runs go through joblib (a run is the unit of work): by default a pool of threads, one run per
thread, each run on the serial kernel, which releases the GIL; with joblib's dask backend the runs
spread over a ``dask.distributed`` cluster instead. A run is computed the same way wherever it
runs, so the table is the same at any number of threads or workers (only the ``time`` column, a
measurement, differs). Why one run per thread rather than the parallel kernel per run: at 1,600
samples an iteration takes 10-160 us, and splitting each one over two threads pays a
synchronisation every iteration, while independent runs scale with no synchronisation at all
(``scripts/sweep_bench.py`` measures both). Runs are handed out largest first, so the last ones
to finish are short and the threads finish together.
"""
import csv
import functools
import itertools
import numbers
import time
from collections import namedtuple

import numpy as np

from . import validation
from .engine import Trainer, plain_gradient_descent
from .errors import DivergenceError
from .functional import accuracy, predict
from .init import INITS, check_random_state, initial_theta
from .kernels.activations import ACTIVATIONS
from .kernels.optimizers import OPTIMIZERS
from .layout import Layout

#: Seed 004's grid: 7 hidden sizes x 3 activations x 5 learning rates = 105 runs, each recorded at
#: 4 iteration counts (420 rows); weights drawn as seed 004 draws them (randn x 0.01, seed 0).
SEED_GRID = dict(
    hidden_sizes=(1, 2, 3, 4, 5, 10, 50),
    activations=("tanh", "sigmoid", "relu"),
    learning_rates=(1.2, 0.6, 0.1, 0.01, 0.001),
    iterations=(100, 1_000, 10_000, 100_000),
    inits=("small",),
    seeds=(0,),
)

#: The optimizer's grid axes (``fastnn.fit``'s optimizer arguments, one list each) -> argument.
OPTIMIZER_AXES = dict(optimizers="optimizer", batch_sizes="batch_size", shuffles="shuffle", alphas="alpha",
                      momentums="momentum", beta_1s="beta_1", beta_2s="beta_2", epsilons="epsilon",
                      learning_rate_schedules="learning_rate_schedule", power_ts="power_t")

#: The table's columns that are plain values (what ``SweepTable.to_csv`` writes). ``time`` is the
#: training time in seconds to reach ``iterations`` (the shared run's time at that checkpoint);
#: accuracies are percentages; ``cost`` is ``costs[-1]``, the last epoch's cost (for ``gd``, the
#: cost before the last update).
COLUMNS = ("hidden_size", "activation", "learning_rate", "init", "seed", *OPTIMIZER_AXES.values(), "iterations",
           "train_accuracy", "dev_accuracy", "cost", "time", "diverged")

#: Columns holding arrays: the trained ``params`` (the seeds' dict) and the ``costs`` of every
#: iteration (a view into the run's costs); None in a diverged row.
ARRAY_COLUMNS = ("params", "costs")

#: One run of a sweep (every hyper-parameter but the iteration count); ``settings`` are its
#: ``validation.OptimizerSettings``.
Run = namedtuple("Run", "hidden_size activation learning_rate init seed settings")


class SweepTable:
    """The rows of a sweep, one per configuration and iteration count, in grid order.

    Each row is a dict with the keys ``COLUMNS`` and ``ARRAY_COLUMNS``. ``to_pandas()`` gives a
    DataFrame (pandas is optional), ``to_csv(path)`` writes the plain columns without it, and
    ``column(name)`` gives one column as an array.
    """

    columns = COLUMNS + ARRAY_COLUMNS

    def __init__(self, rows):
        self.rows = list(rows)

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def __repr__(self):
        diverged = sum(row["diverged"] for row in self.rows)
        return f"<SweepTable: {len(self.rows)} rows, {diverged} diverged>"

    def column(self, name):
        """The column ``name`` as an array (an object array for hidden sizes, params and costs)."""
        if name not in self.columns:
            raise ValueError(f"unknown column {name!r}; the columns are {list(self.columns)}")
        values = [row[name] for row in self.rows]
        if name in ("hidden_size",) + ARRAY_COLUMNS:
            array = np.empty(len(values), object)
            array[:] = values
            return array
        return np.array(values)

    def to_pandas(self):
        """A pandas DataFrame of every column (params and costs as objects)."""
        try:
            import pandas
        except ImportError as error:
            raise ImportError("SweepTable.to_pandas needs pandas: pip install 'fastnn-numba[sweep]' "
                              "(or write the table with to_csv)") from error
        return pandas.DataFrame(self.rows, columns=list(self.columns))

    def to_csv(self, path):
        """Write the plain columns (``COLUMNS``) to ``path`` as CSV; floats round-trip exactly."""
        with open(path, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(COLUMNS)
            for row in self.rows:
                writer.writerow([_csv_value(row[name]) for name in COLUMNS])
        return path


def _csv_value(value):
    """A cell: hidden sizes of a deeper network as ``10x5``, floats by ``repr`` (exact)."""
    if isinstance(value, tuple):
        return "x".join(map(str, value)) if value else "0"
    if isinstance(value, float):
        return repr(value)
    return value


def sweep(X_train, Y_train, X_dev, Y_dev, *, hidden_sizes=SEED_GRID["hidden_sizes"],
          activations=SEED_GRID["activations"], learning_rates=SEED_GRID["learning_rates"],
          iterations=SEED_GRID["iterations"], inits=SEED_GRID["inits"], seeds=SEED_GRID["seeds"],
          optimizers=("gd",), batch_sizes=(None,), shuffles=(True,), alphas=(0.0,), momentums=(0.9,),
          beta_1s=(0.9,), beta_2s=(0.999,), epsilons=(1e-8,), learning_rate_schedules=("constant",),
          power_ts=(0.5,), leak=0.01, dtype=None, n_jobs=-1, progress=None):
    """Train every configuration of a grid; return a ``SweepTable``, one row per configuration and
    iteration count.

    Parameters
    ----------
    X_train, Y_train, X_dev, Y_dev : arrays in the seeds' layout, ``(n_features, n)`` and ``(1, n)``.
    hidden_sizes, activations, learning_rates, iterations, inits, seeds : non-empty sequences
        without repeats; the grid is their product (seed 004's grid by default). A hidden size is
        an int, a tuple (deeper network) or 0 (logistic regression); an iteration count is >= 1;
        seeds are ints, so that every run is reproducible.
    optimizers, batch_sizes, shuffles, alphas, momentums, beta_1s, beta_2s, epsilons,
        learning_rate_schedules, power_ts : grid axes of ``fastnn.fit``'s optimizer arguments
        (one value each by default, ``fit``'s default). ``gd`` takes no batch size: a grid that
        pairs them is refused.
    leak, dtype : as in ``fastnn.fit``.
    n_jobs : int, runs trained at once (joblib's meaning: -1 is every core, or every worker of a
        dask backend set with ``joblib.parallel_config(backend="dask")``).
    progress : None (a tqdm bar over runs when tqdm is installed), True (a bar; needs tqdm) or False.

    A run that diverges (``fastnn.fit`` would raise DivergenceError) gives rows with
    ``diverged=True``, NaN accuracies and cost, and no params, from the first iteration count it
    fails to reach; the other runs are unaffected. Raises ValueError on bad input.

    Examples
    --------
    >>> import fastnn
    >>> X, Y = fastnn.datasets.moons(n_samples=500, noise=0.25, seed=0)
    >>> table = fastnn.sweep(X[:, :400], Y[:, :400], X[:, 400:], Y[:, 400:], hidden_sizes=(3, 5),
    ...                      activations=("tanh",), learning_rates=(0.6,), iterations=(100, 1000),
    ...                      n_jobs=1, progress=False)
    >>> len(table), table.column("hidden_size").tolist(), table.column("iterations").tolist()
    (4, [3, 3, 5, 5], [100, 1000, 100, 1000])
    >>> best = fastnn.select(table, min_accuracy=80, max_gap=5)  # seed 004's rule, looser: fastest first
    >>> all(row["train_accuracy"] > 80 for row in best), list(best.column("time")) == sorted(best.column("time"))
    (True, True)
    """
    dtype = validation.float_dtype(dtype)
    X_train = validation.as_matrix(X_train, "X_train", dtype)
    Y_train = validation.binary_labels(Y_train, X_train.shape[1], dtype)
    X_dev = validation.as_matrix(X_dev, "X_dev", dtype)
    Y_dev = validation.binary_labels(Y_dev, X_dev.shape[1], dtype)
    if X_dev.shape[0] != X_train.shape[0]:
        raise ValueError(f"X_train has {X_train.shape[0]} features (rows) but X_dev has {X_dev.shape[0]}")
    grid = [
        _grid(hidden_sizes, "hidden_sizes", _hidden_size),
        _grid(activations, "activations", lambda a: _name(a, "activation", ACTIVATIONS)),
        _grid(learning_rates, "learning_rates", lambda r: validation.positive_number(r, "learning rate")),
        _grid(inits, "inits", lambda i: _name(i, "init", INITS)),
        _grid(seeds, "seeds", _seed),
    ]
    axes = dict(optimizers=optimizers, batch_sizes=batch_sizes, shuffles=shuffles, alphas=alphas, momentums=momentums,
                beta_1s=beta_1s, beta_2s=beta_2s, epsilons=epsilons, learning_rate_schedules=learning_rate_schedules,
                power_ts=power_ts)
    settings = [validation.optimizer_settings(OPTIMIZERS, **dict(zip(OPTIMIZER_AXES.values(), values)))
                for values in itertools.product(*(_grid(axes[axis], axis, _setting(name))
                                                  for axis, name in OPTIMIZER_AXES.items()))]
    checkpoints = sorted(_grid(iterations, "iterations", _iteration_count))
    leak = validation.non_negative_number(leak, "leak")
    if not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int (-1 for every core), got {n_jobs!r}")
    if progress not in (None, True, False):
        raise ValueError(f"progress must be None, True or False, got {progress!r}")

    from joblib import Parallel, delayed  # imported here: keeps ``import fastnn`` fast

    runs = [Run(*values) for values in itertools.product(*grid, settings)]  # the first list varies slowest
    sizes = [Layout((X_train.shape[0],) + validation.hidden_sizes(run.hidden_size) + (1,)).n_params for run in runs]
    largest_first = sorted(range(len(runs)), key=lambda i: -sizes[i])
    tasks = (delayed(_indexed_run)(i, runs[i], X_train, Y_train, X_dev, Y_dev, checkpoints, leak)
             for i in largest_first)
    rows = [None] * len(runs)
    with _progress_bar(progress, len(runs)) as bar:
        # Threads unless an enclosing joblib.parallel_config says otherwise; results as they finish.
        for index, run_rows in Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator_unordered")(tasks):
            rows[index] = run_rows
            bar.update(1)
    return SweepTable(row for run_rows in rows for row in run_rows)


def train_run(run, X_train, Y_train, X_dev, Y_dev, checkpoints, leak):
    """Rows for one ``Run`` at each of the increasing iteration counts ``checkpoints``, from one
    training (checked arrays of one dtype). The unit of work of ``sweep``."""
    dtype = X_train.dtype
    _warm_up(dtype.str, plain_gradient_descent(run.settings))
    sizes = (X_train.shape[0],) + validation.hidden_sizes(run.hidden_size) + (1,)
    layout = Layout(sizes)
    rng = check_random_state(run.seed)
    theta = initial_theta(layout, run.init, rng, dtype)
    trainer = Trainer(X_train, Y_train, theta, sizes, ACTIVATIONS[run.activation], leak, run.learning_rate,
                      run.settings, rng, twins=False)
    costs = np.empty(checkpoints[-1])
    rows = []
    elapsed = 0.0
    done = 0
    for count in checkpoints:
        began = time.perf_counter()
        try:
            for _ in trainer.epochs(costs[:count], done):
                pass
            validation.check_finite_parameters([theta])
        except DivergenceError:
            elapsed += time.perf_counter() - began
            nan = float("nan")
            return rows + [_row(run, later, nan, nan, nan, elapsed, True, None, None)
                           for later in checkpoints[len(rows):]]
        elapsed += time.perf_counter() - began
        params = layout.to_dict(theta)
        train_accuracy = accuracy(Y_train, predict(X_train, params, run.activation, leak))
        dev_accuracy = accuracy(Y_dev, predict(X_dev, params, run.activation, leak))
        rows.append(_row(run, count, train_accuracy, dev_accuracy, float(costs[count - 1]), elapsed, False,
                         params, costs[:count]))
        done = count
    return rows


@functools.lru_cache(maxsize=None)
def _warm_up(dtype, gradient_descent):
    """Load (or compile) the kernels a run calls (the dedicated gradient-descent loop, or the
    epoch of minibatches), once per process, dtype and engine, so that the first run's ``time``
    is training time only."""
    X = np.zeros((1, 2), dtype)
    settings = validation.OptimizerSettings("gd" if gradient_descent else "sgd")
    trainer = Trainer(X, X, np.zeros(4, dtype), (1, 1, 1), ACTIVATIONS["tanh"], 0.0, 0.1, settings,
                      np.random.RandomState(0), twins=False)
    for _ in trainer.epochs(np.empty(1)):
        pass
    predict(X, {"W1": np.zeros((1, 1), dtype), "b1": np.zeros((1, 1), dtype)})


def select(table, min_accuracy=95, max_gap=1):
    """Seed 004's choice: rows whose train accuracy exceeds ``min_accuracy`` (percent) and whose dev
    accuracy differs from it by at most ``max_gap`` points (the seed keeps accuracies above 95 %,
    then drops those that do worse on the dev data by more than 1 %), fastest first, as a
    ``SweepTable``; diverged rows never qualify. ``table`` is a ``SweepTable`` or a DataFrame
    from ``SweepTable.to_pandas()``."""
    min_accuracy = validation.non_negative_number(min_accuracy, "min_accuracy")
    max_gap = validation.non_negative_number(max_gap, "max_gap")
    if min_accuracy > 100:
        raise ValueError(f"min_accuracy is a percentage, at most 100, got {min_accuracy!r}")
    rows = table.to_dict("records") if hasattr(table, "to_dict") else list(table)
    kept = [row for row in rows
            if not row["diverged"] and row["train_accuracy"] > min_accuracy
            and abs(row["train_accuracy"] - row["dev_accuracy"]) <= max_gap]
    return SweepTable(sorted(kept, key=lambda row: row["time"]))


def _row(run, count, train_accuracy, dev_accuracy, cost, elapsed, diverged, params, costs):
    return dict(hidden_size=run.hidden_size, activation=run.activation, learning_rate=run.learning_rate,
                init=run.init, seed=run.seed, **run.settings._asdict(), iterations=count,
                train_accuracy=train_accuracy, dev_accuracy=dev_accuracy, cost=cost, time=elapsed, diverged=diverged,
                params=params, costs=costs)


def _indexed_run(index, *args):
    """``(index, train_run(*args))``: the task joblib runs, tagged so results may come in any order."""
    return index, train_run(*args)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _progress_bar(progress, total):
    """A tqdm bar over ``total`` runs, or a stand-in that shows nothing."""
    if progress is False:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError as error:
        if progress:
            raise ImportError("progress=True needs tqdm: pip install 'fastnn-numba[sweep]', "
                              "or pass progress=False") from error
        return _NoBar()
    return tqdm(total=total, unit="run", desc="sweep")


def _grid(values, name, check):
    """``values`` as a list of checked entries: a non-empty sequence without repeats."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(f"{name} must be a list or tuple of values, got {values!r}")
    if len(values) == 0:
        raise ValueError(f"{name} is empty: the grid needs at least one value of each")
    checked = [check(value) for value in values]
    if len(set(checked)) != len(checked):
        raise ValueError(f"{name} repeats a value: {list(values)!r}")
    return checked


def _name(value, name, table):
    validation.choice(value, name, table)
    return value


def _setting(name):
    """The check of one optimizer argument, as ``fastnn.fit`` checks it (a batch size as for ``sgd``)."""
    return lambda value: getattr(validation.optimizer_settings(OPTIMIZERS, **{"optimizer": "sgd", name: value}), name)


def _hidden_size(value):
    """An int stays an int (the seeds' one hidden layer), anything else a tuple of ints."""
    sizes = validation.hidden_sizes(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return sizes


def _iteration_count(value):
    count = validation.count(value, "iteration count")
    if count < 1:
        raise ValueError(f"iteration counts must be >= 1, got {value!r}")
    return count


def _seed(value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 0 <= value < 2 ** 32:
        raise ValueError(f"seeds must be ints in [0, 2**32), got {value!r}")
    return int(value)
