"""The ``fastnn`` command, run as a subprocess on tiny settings: train, sweep, demo, --help, errors."""
import csv
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastnn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fastnn_command(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + sys.path), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "fastnn", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def needs_matplotlib():
    pytest.importorskip("matplotlib")


def test_train_prints_progress_cost_accuracy_and_time_and_saves(tmp_path):
    needs_matplotlib()
    done = fastnn_command("train", "--samples", 300, "--iterations", 400, "--hidden", 3, "--learning-rate", 0.9,
                          "--seed", 2, "--save", tmp_path / "model.npz", "--plot", tmp_path / "boundary.png",
                          "--plot-cost", tmp_path / "cost.png")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "moons: 240 train, 60 dev" in out
    assert [int(i.replace(",", "")) for i in re.findall(r"iteration +([\d,]+):", out)] == list(range(0, 400, 40)) + [399]
    final = float(re.search(r"final cost ([\d.]+)", out).group(1))
    train_accuracy, dev_accuracy = map(float, re.search(r"train ([\d.]+) %, dev ([\d.]+) %", out).groups())
    assert re.search(r"time [\d.]+ s", out)
    # the same fit in this process gives what the command printed and saved
    X, Y = fastnn.datasets.moons(n_samples=300, noise=0.25, seed=2)
    params, costs = fastnn.fit(X[:, :240], Y[:, :240], 0.9, 3, 400, seed=2)
    assert final == pytest.approx(costs[-1], abs=1e-6)
    assert train_accuracy == pytest.approx(fastnn.accuracy(Y[:, :240], fastnn.predict(X[:, :240], params)), abs=0.01)
    assert dev_accuracy == pytest.approx(fastnn.accuracy(Y[:, 240:], fastnn.predict(X[:, 240:], params)), abs=0.01)
    saved, meta = fastnn.load(tmp_path / "model.npz")
    assert all(np.array_equal(saved[k], params[k]) for k in params)
    assert meta["activation"] == "tanh" and meta["hidden_size"] == [3] and meta["iterations"] == 400
    for name in ("boundary.png", "cost.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_train_deeper_network_float32_quietly():
    done = fastnn_command("train", "--samples", 200, "--iterations", 50, "--hidden", 4, 3, "--activation", "relu",
                          "--init", "he", "--dtype", "float32", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "hidden (4, 3), relu" in done.stdout and "final cost" in done.stdout
    assert not re.search(r"^ +iteration", done.stdout, re.MULTILINE)


def test_train_with_an_optimizer_and_minibatches(tmp_path):
    done = fastnn_command("train", "--samples", 300, "--iterations", 30, "--hidden", 4, "--learning-rate", 0.01,
                          "--optimizer", "adam", "--batch-size", 32, "--seed", 1, "--save", tmp_path / "m.npz")
    assert done.returncode == 0, done.stderr
    assert "adam (batches of 32)" in done.stdout
    X, Y = fastnn.datasets.moons(n_samples=300, noise=0.25, seed=1)
    params, costs = fastnn.fit(X[:, :240], Y[:, :240], 0.01, 4, 30, optimizer="adam", batch_size=32, seed=1)
    assert float(re.search(r"final cost ([\d.]+)", done.stdout).group(1)) == pytest.approx(costs[-1], abs=1e-6)
    saved, meta = fastnn.load(tmp_path / "m.npz")
    assert all(np.array_equal(saved[k], params[k]) for k in params)
    assert meta["optimizer"] == "adam" and meta["batch_size"] == 32
    minibatches = fastnn_command("train", "--samples", 300, "--iterations", 3, "--batch-size", 50, "--no-progress")
    assert minibatches.returncode == 0 and "sgd (batches of 50)" in minibatches.stdout


def test_sweep_writes_csv_png_and_prints_the_selection(tmp_path):
    needs_matplotlib()
    done = fastnn_command("sweep", "--samples", 300, "--hidden-sizes", 2, 4, "--activations", "tanh",
                          "--learning-rates", 1.0, 0.1, "--iterations", 20, 400, "--jobs", 2, "--no-progress",
                          "--min-accuracy", 70, "--max-gap", 15, "--csv", tmp_path / "s.csv", "--png", tmp_path / "s.png",
                          "--save", tmp_path / "best.npz", "--fresh-samples", 100)
    assert done.returncode == 0, done.stderr
    assert "4 runs to 400 iterations, 8 rows" in done.stdout
    with open(tmp_path / "s.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 8 and {row["iterations"] for row in rows} == {"20", "400"}
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    assert "pass seed 004's filter" in done.stdout and "accuracy on 100 fresh samples" in done.stdout
    params, meta = fastnn.load(tmp_path / "best.npz")
    assert meta["activation"] == "tanh" and meta["hidden_size"] in (2, 4)
    assert params["W1"].shape == (meta["hidden_size"], 2)


def test_sweep_quick_grid_and_no_selection(tmp_path):
    done = fastnn_command("sweep", "--quick", "--samples", 200, "--iterations", 10, "--no-progress", "--png", "",
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "24 runs to 10 iterations, 24 rows" in done.stdout
    assert "no configuration has a train accuracy > 95.0 %" in done.stdout
    assert os.listdir(tmp_path) == ["sweep.csv"]


def test_demo_keeps_working():
    done = fastnn_command("demo", "--samples", 300, "--iterations", 200, "--reference-iterations", 20)
    assert done.returncode == 0, done.stderr
    assert "speed-up" in done.stdout and "accuracy:" in done.stdout


def test_demo_warm_up_compiles_both_twins_before_the_timed_fit():
    """In a new process, after the demo's warm-up, both twins of the training kernel are compiled,
    so the timed fit compiles nothing (it once compiled the serial twin: 2.7 s in a 0.2 s fit)."""
    code = ("from fastnn import cli, datasets\n"
            "from fastnn.kernels.train import gradient_descent, gradient_descent_parallel\n"
            "X, Y = datasets.moons(1600, 0.25, seed=0)\n"
            "cli.warm_up(X, Y, learning_rate=0.6, hidden_size=5)\n"
            "print(len(gradient_descent.signatures), len(gradient_descent_parallel.signatures))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + sys.path), NUMBA_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]


def test_compile_runs_every_step_and_leaves_every_twin_compiled():
    """``fastnn compile`` shows its progress (tqdm's bar, or a line per task without tqdm) and
    compiles the parallel twin of each training kernel for every signature its serial twin got:
    a new process running the same steps loads every twin from the cache, compiling none. (One
    activation: each compiles kernels of its own, about as long.)"""
    done = fastnn_command("compile", "--activations", "relu")
    assert done.returncode == 0, done.stderr
    assert "4/4" in done.stderr + done.stdout and "compiled in" in done.stdout  # 2 dtypes x (fit, estimators)
    code = ("from fastnn.precompile import TWINS, compile_task, tasks\n"
            "for task in tasks(['relu']):\n    compile_task(*task)\n"
            "print(all(not twin.stats.cache_misses and twin.stats.cache_hits for pair in TWINS for twin in pair))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + sys.path))
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["True"]


def test_compile_tasks_by_activation():
    """Each activation of ``fastnn.fit`` is a task of the seeds' API, each of scikit-learn's four one of
    the estimators', in both dtypes; scikit-learn's names are accepted; an unknown one is an error."""
    from fastnn.kernels.activations import ACTIVATIONS
    from fastnn.precompile import tasks

    assert len(tasks()) == 2 * (len(ACTIVATIONS) + 4)
    assert sorted(tasks(["logistic"])) == sorted(tasks(["sigmoid"]))
    assert {(kind, activation) for _, kind, activation in tasks(["logistic", "arctan"])} == {
        ("functional", "sigmoid"), ("estimators", "logistic"), ("functional", "arctan")}
    with pytest.raises(ValueError, match="unknown activation 'softsign'"):
        tasks(["softsign"])


@pytest.mark.parametrize("command, options", [
    ([], ["train", "sweep", "demo", "compile", "cache"]),
    (["train"], ["--hidden", "--activation", "--learning-rate", "--iterations", "--seed", "--save", "--plot",
                  "--optimizer", "--batch-size"]),
    (["sweep"], ["--quick", "--jobs", "--csv", "--png", "--min-accuracy", "--max-gap"]),
    (["demo"], ["--samples", "--iterations", "--reference-iterations"]),
])
def test_help(command, options):
    done = fastnn_command(*command, "--help")
    assert done.returncode == 0 and all(option in done.stdout for option in options)


@pytest.mark.parametrize("args, code, message", [
    (["train", "--learning-rate", "-1"], 2, "learning_rate must be a finite number > 0"),
    (["train", "--activation", "softsign"], 2, "unknown activation 'softsign'"),
    (["train", "--optimizer", "rmsprop"], 2, "unknown optimizer 'rmsprop'"),
    (["train", "--batch-size", "0"], 2, "batch_size must be None (the full batch) or an int >= 1"),
    (["train", "--optimizer", "gd", "--batch-size", "8"], 2, "batch_size must be None for optimizer 'gd'"),
    (["train", "--dev-fraction", "1.5"], 2, "--dev-fraction must be between 0 and 1"),
    (["sweep", "--activations", "tanh", "softsign"], 2, "unknown activation 'softsign'"),
    (["sweep", "--learning-rates", "0"], 2, "learning rate must be a finite number > 0"),
    (["train", "--learning-rate", "1e150", "--activation", "relu", "--init", "he", "--hidden", "8", "8",
      "--iterations", "100"], 1, "training diverged"),
])
def test_bad_input_exits_with_a_message(args, code, message):
    done = fastnn_command(*args, "--samples", 100)
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr
