"""Built-in data in the seeds' layout: ``X`` (n_features, n_samples), ``Y`` (1, n_samples)."""
import numpy as np

from . import validation


def moons(n_samples=2000, noise=0.25, seed=None):
    """Two interleaving half-moons (``sklearn.datasets.make_moons``), the seeds' data set."""
    from sklearn.datasets import make_moons  # imported here: scikit-learn takes 0.7 s to import

    validation.count(n_samples, "n_samples")
    validation.non_negative_number(noise, "noise")
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return np.ascontiguousarray(X.T), y.reshape(1, -1)
