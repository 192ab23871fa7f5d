"""Sweeps: rows equal fastnn.fit, the same table at any parallelism (threads, dask workers),
divergence kept to its own rows, bad input refused, seed 004's filter, CSV and pandas."""
import csv
import os
import sys

import numpy as np
import pytest

import fastnn
from fastnn.sweep import COLUMNS, OPTIMIZER_AXES, SEED_GRID, SweepTable
from fastnn.validation import OptimizerSettings

from .conftest import moons

X, Y = moons(n_samples=240, seed=3)
X_TRAIN, Y_TRAIN, X_DEV, Y_DEV = X[:, :180], Y[:, :180], X[:, 180:], Y[:, 180:]
DATA = (X_TRAIN, Y_TRAIN, X_DEV, Y_DEV)
GRID = dict(hidden_sizes=[2, (4, 3)], activations=["tanh", "relu"], learning_rates=[0.9, 0.05],
            iterations=[300, 7, 60], inits=["he"], seeds=[1])
DIVERGING = 1e150  # ReLU overflows to inf, then NaN, within a few iterations


@pytest.fixture(scope="module")
def table():
    return fastnn.sweep(*DATA, n_jobs=2, progress=False, **GRID)


def same_bits(a, b):
    return sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


def assert_same_table(a, b):
    """Equal in every column but ``time`` (a measurement), arrays bit for bit."""
    assert len(a) == len(b)
    for row_a, row_b in zip(a, b):
        for name in COLUMNS:
            if name != "time":
                assert row_a[name] == row_b[name] or (np.isnan(row_a[name]) and np.isnan(row_b[name])), name
        assert (row_a["params"] is None) == (row_b["params"] is None)
        if row_a["params"] is not None:
            assert same_bits(row_a["params"], row_b["params"])
            assert np.array_equal(row_a["costs"], row_b["costs"])


def test_rows_in_grid_order_one_per_configuration_and_count(table):
    expected = [(h, a, r, n) for h in GRID["hidden_sizes"] for a in GRID["activations"]
                for r in GRID["learning_rates"] for n in sorted(GRID["iterations"])]
    assert [(row["hidden_size"], row["activation"], row["learning_rate"], row["iterations"]) for row in table] == expected
    assert all(row["init"] == "he" and row["seed"] == 1 and not row["diverged"] for row in table)
    assert all(row["optimizer"] == "gd" and row["batch_size"] is None and row["alpha"] == 0.0 for row in table)


def test_every_row_equals_fit(table):
    """Checkpoints on one trajectory give exactly what a fit to that count gives."""
    for row in table:
        params, costs = fastnn.fit(X_TRAIN, Y_TRAIN, row["learning_rate"], row["hidden_size"], row["iterations"],
                                   activation=row["activation"], init=row["init"], seed=row["seed"])
        assert same_bits(row["params"], params)
        assert np.array_equal(row["costs"], costs)
        assert row["cost"] == costs[-1]
        assert row["train_accuracy"] == fastnn.accuracy(Y_TRAIN, fastnn.predict(X_TRAIN, params, row["activation"]))
        assert row["dev_accuracy"] == fastnn.accuracy(Y_DEV, fastnn.predict(X_DEV, params, row["activation"]))
        assert row["time"] > 0


def test_optimizer_axes_give_rows_equal_to_fit():
    """The optimizer's arguments are grid axes; each row is what fit gives with those arguments."""
    axes = dict(optimizers=["sgd", "adam"], batch_sizes=[None, 32], alphas=[0.0, 1e-3],
                learning_rate_schedules=["constant", "invscaling"])
    table = fastnn.sweep(*DATA, hidden_sizes=[3], activations=["tanh"], learning_rates=[0.05], iterations=[4, 15],
                         seeds=[2], n_jobs=2, progress=False, **axes)
    assert len(table) == 2 * 2 * 2 * 2 * 2
    assert {(row["optimizer"], row["batch_size"], row["alpha"], row["learning_rate_schedule"]) for row in table} == {
        (o, b, a, s) for o in axes["optimizers"] for b in axes["batch_sizes"] for a in axes["alphas"]
        for s in axes["learning_rate_schedules"]}
    for row in table:
        settings = {name: row[name] for name in OPTIMIZER_AXES.values()}
        params, costs = fastnn.fit(X_TRAIN, Y_TRAIN, 0.05, 3, row["iterations"], seed=2, **settings)
        assert not row["diverged"] and same_bits(row["params"], params) and np.array_equal(row["costs"], costs)


def test_times_grow_along_a_run(table):
    for start in range(0, len(table), 3):
        times = [row["time"] for row in table[start:start + 3]]
        assert times == sorted(times)


def test_float32_rows_equal_float32_fit():
    table = fastnn.sweep(*DATA, hidden_sizes=[3], activations=["sigmoid"], learning_rates=[0.5], iterations=[5, 40],
                         dtype=np.float32, progress=False)
    for row in table:
        params, costs = fastnn.fit(X_TRAIN, Y_TRAIN, 0.5, 3, row["iterations"], activation="sigmoid", seed=0,
                                   dtype=np.float32)
        assert row["params"]["W1"].dtype == np.float32
        assert same_bits(row["params"], params) and np.array_equal(row["costs"], costs)


def test_same_table_at_one_and_two_threads(table):
    assert_same_table(fastnn.sweep(*DATA, n_jobs=1, progress=False, **GRID), table)


def test_same_table_on_a_dask_cluster(table, monkeypatch):
    """The unit of work goes through joblib: a LocalCluster of two worker processes (loopback
    only) computes the same table."""
    distributed = pytest.importorskip("distributed")
    import joblib

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([root] + sys.path))  # the workers import this fastnn
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        with joblib.parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
            remote = fastnn.sweep(*DATA, progress=False, **GRID)
        workers = client.run(os.getpid)
    assert len(set(workers.values())) == 2 and os.getpid() not in workers.values()
    assert len(tasks.data) >= 1 and {task["worker"] for task in tasks.data} <= set(workers)
    assert_same_table(remote, table)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_a_diverging_run_is_reported_and_does_not_poison_the_others(table):
    grid = dict(GRID, activations=["relu"], learning_rates=[0.9, DIVERGING, 0.05])
    mixed = fastnn.sweep(*DATA, n_jobs=2, progress=False, **grid)
    bad = [row for row in mixed if row["learning_rate"] == DIVERGING]
    assert bad and all(row["diverged"] for row in bad)
    for row in bad:
        assert np.isnan(row["cost"]) and np.isnan(row["train_accuracy"]) and np.isnan(row["dev_accuracy"])
        assert row["params"] is None and row["costs"] is None
        with pytest.raises(fastnn.DivergenceError):
            fastnn.fit(X_TRAIN, Y_TRAIN, DIVERGING, row["hidden_size"], row["iterations"], activation="relu",
                       init="he", seed=1)
    assert_same_table([row for row in mixed if row["learning_rate"] != DIVERGING],
                      [row for row in table if row["activation"] == "relu"])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_rows_before_the_divergence_are_kept():
    """Around the iteration where a run diverges (the 32nd here), each row is what fit gives for
    its count: the same params and costs, or DivergenceError exactly where fit raises it."""
    rate = 1e6
    table = fastnn.sweep(*DATA, hidden_sizes=[8], activations=["relu"], learning_rates=[rate],
                         iterations=[10, 30, 31, 32, 33, 500], progress=False)
    outcomes = []
    for row in table:
        try:
            params, costs = fastnn.fit(X_TRAIN, Y_TRAIN, rate, 8, row["iterations"], activation="relu", seed=0)
        except fastnn.DivergenceError:
            assert row["diverged"] and row["params"] is None and np.isnan(row["cost"])
        else:
            assert not row["diverged"] and same_bits(row["params"], params) and np.array_equal(row["costs"], costs)
        outcomes.append(row["diverged"])
    assert outcomes[0] is False and outcomes[-1] is True and outcomes == sorted(outcomes)


@pytest.mark.parametrize("change, message", [
    (dict(hidden_sizes=[]), "hidden_sizes is empty"),
    (dict(activations=()), "activations is empty"),
    (dict(learning_rates=[]), "learning_rates is empty"),
    (dict(iterations=[]), "iterations is empty"),
    (dict(seeds=[]), "seeds is empty"),
    (dict(activations=["tanh", "softsign"]), "unknown activation 'softsign'"),
    (dict(activations="tanh"), "activations must be a list"),
    (dict(inits=["zeros"]), "unknown init 'zeros'"),
    (dict(learning_rates=[0.1, 0.0]), "learning rate must be a finite number > 0"),
    (dict(learning_rates=[-0.5]), "learning rate must be a finite number > 0"),
    (dict(learning_rates=[float("nan")]), "learning rate must be a finite number > 0"),
    (dict(hidden_sizes=[0, -3]), "hidden layer sizes must be ints >= 1"),
    (dict(iterations=[0, 10]), "iteration counts must be >= 1"),
    (dict(iterations=[10, 10]), "iterations repeats a value"),
    (dict(seeds=[None]), "seeds must be ints"),
    (dict(n_jobs=0), "n_jobs must be a non-zero int"),
    (dict(progress="yes"), "progress must be None, True or False"),
    (dict(dtype=np.int32), "dtype must be float64 or float32"),
    (dict(optimizers=["rmsprop"]), "unknown optimizer 'rmsprop'"),
    (dict(optimizers=[]), "optimizers is empty"),
    (dict(optimizers=["sgd"], batch_sizes=[0]), "batch_size must be None"),
    (dict(optimizers=["gd", "sgd"], batch_sizes=[None, 16]), "batch_size must be None for optimizer 'gd'"),
    (dict(alphas=[-1.0]), "alpha must be a finite number >= 0"),
    (dict(momentums=[1.0]), r"momentum must be a number in \[0, 1\)"),
    (dict(learning_rate_schedules=["adaptive"]), "unknown learning_rate_schedule 'adaptive'"),
    (dict(batch_sizes=[None, None]), "batch_sizes repeats a value"),
])
def test_bad_input_is_a_value_error(change, message):
    arguments = dict(GRID, progress=False)
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        fastnn.sweep(*DATA, **arguments)


def test_mismatched_data_is_a_value_error():
    with pytest.raises(ValueError, match="X_train has 2 features .* but X_dev has 3"):
        fastnn.sweep(X_TRAIN, Y_TRAIN, np.vstack([X_DEV, X_DEV[:1]]), Y_DEV, **GRID)
    with pytest.raises(ValueError, match="Y must hold only the labels 0 and 1"):
        fastnn.sweep(X_TRAIN, Y_TRAIN, X_DEV, Y_DEV * 2, **GRID)
    with pytest.raises(ValueError, match="X has 60 samples"):
        fastnn.sweep(X_TRAIN, Y_TRAIN, X_DEV, Y_TRAIN, **GRID)
    with pytest.raises(ValueError, match="X_train contains NaN"):
        fastnn.sweep(np.full_like(X_TRAIN, np.nan), Y_TRAIN, X_DEV, Y_DEV, **GRID)


def test_seed_grid_is_seed_004s():
    assert SEED_GRID["hidden_sizes"] == (1, 2, 3, 4, 5, 10, 50)
    assert SEED_GRID["activations"] == ("tanh", "sigmoid", "relu")
    assert SEED_GRID["learning_rates"] == (1.2, 0.6, 0.1, 0.01, 0.001)
    assert SEED_GRID["iterations"] == (100, 1000, 10000, 100000)
    assert SEED_GRID["inits"] == ("small",) and SEED_GRID["seeds"] == (0,)  # randn x 0.01 after np.random.seed(0)


def test_numpy_arrays_as_grids_as_the_seed_writes_them():
    table = fastnn.sweep(*DATA, hidden_sizes=np.array([2]), activations=np.array(["tanh"]),
                         learning_rates=np.array([0.6]), iterations=np.array([5, 20]), progress=False)
    assert [row["iterations"] for row in table] == [5, 20] and table[0]["hidden_size"] == 2


def fake_row(train, dev, seconds, diverged=False, **extra):
    row = dict(hidden_size=1, activation="tanh", learning_rate=0.1, init="small", seed=0,
               **OptimizerSettings()._asdict(), iterations=10,
               train_accuracy=train, dev_accuracy=dev, cost=0.1, time=seconds, diverged=diverged, params=None, costs=None)
    row.update(extra)
    return row


SELECTABLE = SweepTable([
    fake_row(96.0, 95.5, 3.0),            # kept
    fake_row(97.0, 96.0, 1.0),            # kept (gap exactly 1)
    fake_row(99.0, 96.0, 0.5),            # gap 3: overfits
    fake_row(95.0, 95.0, 0.1),            # train accuracy not above 95
    fake_row(95.5, 94.5, 0.2),            # kept: the dev accuracy may be below 95, within the gap; fastest
    fake_row(95.5, 96.5, 2.0),            # dev above train by 1: kept
    fake_row(96.0, 97.5, 0.3),            # dev above train by 1.5: a gap too
    fake_row(float("nan"), float("nan"), 0.01, diverged=True),
])


def test_select_applies_seed_004s_filter_fastest_first():
    chosen = fastnn.select(SELECTABLE)
    assert [row["time"] for row in chosen] == [0.2, 1.0, 2.0, 3.0]
    assert [row["time"] for row in fastnn.select(SELECTABLE, min_accuracy=90, max_gap=5)] == [0.1, 0.2, 0.3, 0.5, 1.0,
                                                                                              2.0, 3.0]
    assert len(fastnn.select(SELECTABLE, min_accuracy=99.5)) == 0


def test_select_on_a_real_sweep(table):
    chosen = fastnn.select(table, min_accuracy=80, max_gap=5)
    assert 0 < len(chosen) < len(table)
    assert all(row in table.rows for row in chosen)


def test_select_takes_a_dataframe():
    pytest.importorskip("pandas")
    assert fastnn.select(SELECTABLE.to_pandas()).rows == fastnn.select(SELECTABLE).rows


@pytest.mark.parametrize("arguments, message", [
    (dict(min_accuracy=101), "at most 100"), (dict(min_accuracy=-1), "min_accuracy"), (dict(max_gap=-0.5), "max_gap"),
])
def test_select_refuses_bad_thresholds(arguments, message):
    with pytest.raises(ValueError, match=message):
        fastnn.select(SELECTABLE, **arguments)


def test_csv_holds_the_plain_columns_exactly(table, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # CSV needs no pandas
    path = table.to_csv(tmp_path / "sweep.csv")
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == list(COLUMNS) and len(rows) == len(table) + 1
    for written, row in zip(rows[1:], table):
        cells = dict(zip(COLUMNS, written))
        assert cells["hidden_size"] == ("4x3" if row["hidden_size"] == (4, 3) else str(row["hidden_size"]))
        assert float(cells["cost"]) == row["cost"] and float(cells["dev_accuracy"]) == row["dev_accuracy"]
        assert int(cells["iterations"]) == row["iterations"] and cells["diverged"] == "False"
    with pytest.raises(ImportError, match="needs pandas"):
        table.to_pandas()


def test_to_pandas(table):
    pytest.importorskip("pandas")
    frame = table.to_pandas()
    assert list(frame.columns) == list(table.columns) and len(frame) == len(table)
    assert frame["dev_accuracy"].tolist() == table.column("dev_accuracy").tolist()
    assert same_bits(frame["params"].iloc[5], table[5]["params"])


def test_column_and_repr(table):
    assert table.column("iterations").tolist() == [row["iterations"] for row in table]
    assert table.column("hidden_size")[-1] == (4, 3)
    assert repr(table) == f"<SweepTable: {len(table)} rows, 0 diverged>"
    with pytest.raises(ValueError, match="unknown column"):
        table.column("speed")


def test_progress_bar_over_runs(capsys):
    pytest.importorskip("tqdm")
    fastnn.sweep(*DATA, hidden_sizes=[2], activations=["tanh", "relu"], learning_rates=[0.5], iterations=[3],
                 progress=True)
    assert "2/2" in capsys.readouterr().err
    fastnn.sweep(*DATA, hidden_sizes=[2], activations=["tanh", "relu"], learning_rates=[0.5], iterations=[3],
                 progress=False)
    assert capsys.readouterr().err == ""


def test_progress_true_without_tqdm_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match="progress=True needs tqdm"):
        fastnn.sweep(*DATA, hidden_sizes=[2], activations=["tanh"], learning_rates=[0.5], iterations=[3],
                     progress=True)
    assert len(fastnn.sweep(*DATA, hidden_sizes=[2], activations=["tanh"], learning_rates=[0.5], iterations=[3])) == 1
