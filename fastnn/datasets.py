"""Built-in data in the seeds' layout: ``X`` (n_features, n_samples), ``Y`` (1, n_samples)."""
import numpy as np

from . import validation
from .init import check_random_state


def moons(n_samples=2000, noise=0.25, seed=None):
    """Two interleaving half-moons, the seeds' data set.

    The same points as ``sklearn.datasets.make_moons(n_samples, noise=noise, random_state=seed)``
    (the same draws in the same order), computed here because importing scikit-learn takes about a
    second, longer than a first warm fit.
    """
    if validation.count(n_samples, "n_samples") == 0:
        raise ValueError("n_samples must be at least 1, got 0")
    validation.non_negative_number(noise, "noise")
    random = check_random_state(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0, np.pi, n_outer)
    inner = np.linspace(0, np.pi, n_inner)
    X = np.vstack([np.append(np.cos(outer), 1 - np.cos(inner)),
                   np.append(np.sin(outer), 1 - np.sin(inner) - 0.5)])
    y = np.append(np.zeros(n_outer, np.intp), np.ones(n_inner, np.intp))
    order = np.arange(n_samples)
    random.shuffle(order)
    X, y = X[:, order], y[order]
    X += random.normal(scale=noise, size=(n_samples, 2)).T  # make_moons draws the noise sample-major
    return np.ascontiguousarray(X), y.reshape(1, -1)
