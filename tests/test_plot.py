"""Every figure draws headless, returns a Figure and writes a PNG; matplotlib stays optional."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastnn

from .conftest import moons

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from fastnn import plot  # noqa: E402

X, Y = moons(n_samples=150)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5000


@pytest.fixture(scope="module")
def fitted():
    return fastnn.fit(X, Y, 0.8, 4, 300, seed=0)


def test_decision_boundary(tmp_path, fitted):
    figure = plot.decision_boundary(X, Y, fitted[0], "tanh", path=tmp_path / "boundary.png", resolution=60)
    assert isinstance(figure, Figure) and len(figure.axes) == 2  # the plot and its colour bar
    assert_png(tmp_path / "boundary.png")


def test_decision_boundary_of_logistic_regression_and_deeper_networks(tmp_path):
    for hidden in (0, (3, 3)):
        params = fastnn.fit(X, Y, 0.5, hidden, 20, activation="relu", seed=0)[0]
        plot.decision_boundary(X, Y, params, "relu", resolution=40, path=tmp_path / "b.png")
        assert_png(tmp_path / "b.png")


def test_decision_boundary_refuses_other_than_two_features(fitted):
    with pytest.raises(ValueError, match="2 features"):
        plot.decision_boundary(np.vstack([X, X[:1]]), Y, fitted[0])
    with pytest.raises(ValueError, match="Y must hold only the labels"):
        plot.decision_boundary(X, Y * 3, fitted[0])


def test_cost_curve(tmp_path, fitted):
    figure = plot.cost_curve(fitted[1], path=tmp_path / "cost.png")
    assert isinstance(figure, Figure)
    assert_png(tmp_path / "cost.png")
    two = plot.cost_curve({"logistic regression": fitted[1] + 0.1, "one hidden layer": fitted[1]}, log=True)
    assert [line.get_label() for line in two.axes[0].get_lines()] == ["logistic regression", "one hidden layer"]
    with pytest.raises(ValueError, match="non-empty 1-D"):
        plot.cost_curve(np.empty(0))


def test_activations(tmp_path):
    figure = plot.activations(path=tmp_path / "activations.png")
    assert len(figure.axes) == len(fastnn.reference.ACTIVATIONS)
    assert_png(tmp_path / "activations.png")
    assert len(plot.activations(["tanh", "relu"]).axes) == 2
    with pytest.raises(ValueError, match="unknown activation"):
        plot.activations(["softsign"])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_sweep_scatter(tmp_path):
    table = fastnn.sweep(X[:, :100], Y[:, :100], X[:, 100:], Y[:, 100:], hidden_sizes=[2, 4],
                         activations=["tanh", "relu"], learning_rates=[0.5, 1e150], iterations=[10, 200], progress=False)
    chosen = fastnn.select(table, min_accuracy=70, max_gap=20)
    figure = plot.sweep_scatter(table, selected=chosen[0], min_accuracy=70, max_gap=20, path=tmp_path / "sweep.png")
    assert isinstance(figure, Figure) and "diverged" in figure.get_suptitle()
    assert_png(tmp_path / "sweep.png")
    with pytest.raises(ValueError, match="at least one row"):
        plot.sweep_scatter([])


def run_python(code):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + sys.path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_import_fastnn_does_not_import_matplotlib():
    done = run_python("import sys, fastnn; fastnn.sweep; fastnn.save; print('matplotlib' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    done = run_python("import sys, fastnn; fastnn.plot.activations; print('matplotlib' in sys.modules)")
    assert done.stdout.strip() == "True", done.stderr


def test_without_matplotlib_the_error_says_what_to_install():
    done = run_python("import sys; sys.modules['matplotlib'] = None\nimport fastnn\nfastnn.plot")
    assert done.returncode != 0
    assert "fastnn.plot needs matplotlib: pip install 'fastnn-numba[plot]'" in done.stderr
