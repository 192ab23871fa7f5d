"""Shared problems for the tests: the seeds' moons and a random problem with 7 features; and
:func:`load_script`, a module of ``scripts/``."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn import reference

ACTIVATIONS = sorted(reference.ACTIVATIONS)
INITS = sorted(reference.INITS)
DEPTHS = [(), (5,), (6, 4), (5, 4, 3)]
SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load_script(name):
    """``scripts/<name>.py`` as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(f"fastnn_script_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def moons(n_samples=300, seed=0):
    return fastnn.datasets.moons(n_samples=n_samples, noise=0.25, seed=seed)


def random_problem(n_features=7, n_samples=300, seed=1):
    """Labels from a random smooth function of the inputs, so there is something to learn."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_features, n_samples)
    Y = (np.sin(X[0] * 2) + X[1] * X[2] - 0.5 * X[3] > 0).astype(float).reshape(1, -1)
    return X, Y


PROBLEMS = {"moons": moons, "random7": random_problem}


@pytest.fixture(params=sorted(PROBLEMS))
def problem(request):
    return PROBLEMS[request.param]()


def max_abs_diff(a, b):
    """Largest absolute difference between two params dicts (same keys)."""
    assert sorted(a) == sorted(b)
    return max(float(np.max(np.abs(np.asarray(a[k], np.float64) - np.asarray(b[k], np.float64)))) for k in a)
