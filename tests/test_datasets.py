"""fastnn.datasets.moons draws exactly scikit-learn's make_moons, without importing it."""
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_moons

import fastnn


@pytest.mark.parametrize("n_samples", [1, 2, 7, 500, 2001])
@pytest.mark.parametrize("noise", [0.0, 0.25])
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_moons_are_make_moons(n_samples, noise, seed):
    X, Y = fastnn.datasets.moons(n_samples=n_samples, noise=noise, seed=seed)
    X_ref, y_ref = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    assert X.shape == (2, n_samples) and Y.shape == (1, n_samples)
    np.testing.assert_array_equal(X, X_ref.T)
    np.testing.assert_array_equal(Y[0], y_ref)


def test_moons_from_a_random_state_continue_its_draws():
    state = np.random.RandomState(3)
    first = fastnn.datasets.moons(20, 0.1, seed=state)
    second = fastnn.datasets.moons(20, 0.1, seed=state)
    reference = np.random.RandomState(3)
    expected = [make_moons(20, noise=0.1, random_state=reference) for _ in range(2)]
    for (X, Y), (X_ref, y_ref) in zip([first, second], expected):
        np.testing.assert_array_equal(X, X_ref.T)
        np.testing.assert_array_equal(Y[0], y_ref)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_samples=0), "n_samples"), (dict(n_samples=-1), "n_samples"), (dict(n_samples=2.5), "n_samples"),
    (dict(noise=-0.1), "noise"), (dict(noise=np.nan), "noise"), (dict(seed="zero"), "seed")])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fastnn.datasets.moons(**kwargs)


def test_moons_do_not_import_scikit_learn():
    code = "import sys, fastnn; fastnn.datasets.moons(10, seed=0); print('sklearn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"
