"""fastnn.MLPClassifier and fastnn.MLPRegressor, drop-ins for scikit-learn's, against scikit-learn.

The cases are the estimator issue's: the seeds' network on moons (full-batch SGD), scikit-learn's
defaults (100 relu units, adam, batches of 200) and a (64, 64) network on make_classification, and
the regressor on make_regression. Skipped on a fastnn without the estimators.
"""
import functools
import warnings

from .common import by_profile, feature, speedup

N_SAMPLES = by_profile(1000, 20000)

#: case -> (estimator, data, constructor arguments, shared by fastnn and scikit-learn)
CASES = {
    "seeds": ("MLPClassifier", "moons",
              dict(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", batch_size=2000, momentum=0.0,
                   learning_rate_init=0.6, alpha=0.0, shuffle=False, max_iter=by_profile(20, 500))),
    "defaults": ("MLPClassifier", "classification",
                 dict(hidden_layer_sizes=(100,), max_iter=by_profile(2, 5))),
    "64x64": ("MLPClassifier", "classification",
              dict(hidden_layer_sizes=(64, 64), max_iter=by_profile(2, 5))),
    "regressor": ("MLPRegressor", "regression",
                  dict(hidden_layer_sizes=(100,), max_iter=by_profile(2, 5))),
}


@functools.lru_cache(maxsize=None)
def _data(kind):
    """(X, y) in scikit-learn's layout, (n_samples, n_features)."""
    from sklearn.datasets import make_classification, make_moons, make_regression

    if kind == "moons":
        return make_moons(n_samples=2000, noise=0.25, random_state=0)
    if kind == "classification":
        return make_classification(n_samples=N_SAMPLES, n_features=20, random_state=0)
    return make_regression(n_samples=N_SAMPLES, n_features=20, noise=1.0, random_state=0)


def _estimator(module, case):
    """A fresh estimator of ``module`` (``fastnn`` or ``sklearn.neural_network``) for ``case``."""
    name, _, kwargs = CASES[case]
    estimator = feature(module, name)
    # every epoch runs: no early convergence stop, so both do the same work
    return estimator(**kwargs, tol=0.0, n_iter_no_change=kwargs["max_iter"] + 1, random_state=0)


def _fit(module, case):
    """``prepare(epochs)`` -> a call fitting a fresh ``module`` estimator for that many epochs."""
    X, y = _data(CASES[case][1])

    def prepare(epochs):
        estimator = _estimator(module, case).set_params(max_iter=epochs, n_iter_no_change=epochs + 1)
        return functools.partial(estimator.fit, X, y)
    return prepare


class Estimators:
    """Fit and predict of fastnn's estimators, and their speed-up over scikit-learn's in one process."""
    params = [list(CASES)]
    param_names = ["case"]
    unit = "times faster"
    peer_seconds = by_profile(0.1, 1.0)  # one scikit-learn fit
    interleaved = by_profile(1, 3)  # rounds of one fit each

    def setup(self, case):
        self.fitted = _estimator("fastnn", case)
        self.X, self.y = _data(CASES[case][1])
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epochs are set, not converged
        self.fitted.fit(self.X, self.y)  # the JIT warm, and a model to predict with
        self.fitted.predict(self.X[:2])  # prediction's kernels warm too

    def time_fit(self, case):
        _estimator("fastnn", case).fit(self.X, self.y)

    def time_predict(self, case):
        self.fitted.predict(self.X)

    def track_speedup_over_sklearn(self, case):
        fast, slow = _fit("fastnn", case), _fit("sklearn.neural_network", case)
        return speedup(fast, slow, self.peer_seconds, self.interleaved)
