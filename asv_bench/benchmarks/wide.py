"""Wide networks (issue 9): an MNIST-shaped problem, 784 features -> (100,) relu -> 10 classes,
trained by adam in batches of 200 (scikit-learn's defaults), and predicted.

``time_epoch`` is one epoch of fastnn's MLPClassifier; ``time_predict_proba`` its prediction;
``track_speedup_over_sklearn`` the ratio of scikit-learn's fit time to fastnn's, interleaved in
one process (it survives a loaded machine). The fast profile (CI's ``asv run --quick``) uses
2,000 samples; the regular one 20,000. Synthetic, seeded data (``make_classification``).
"""
import functools
import warnings

from .common import by_profile, feature, speedup

N_SAMPLES = by_profile(2000, 20000)
PARAMS = dict(hidden_layer_sizes=(100,), batch_size=200, random_state=0, tol=0.0)


@functools.lru_cache(maxsize=None)
def _data(dtype):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=N_SAMPLES, n_features=784, n_informative=20, n_redundant=0,
                               n_classes=10, random_state=0)
    return X.astype(dtype), y


def _fit(module, dtype):
    """``prepare(epochs)`` -> a call fitting a fresh ``module`` MLPClassifier for that many epochs."""
    X, y = _data(dtype)
    estimator = feature(module, "MLPClassifier")

    def prepare(epochs):
        return functools.partial(estimator(**PARAMS, max_iter=epochs, n_iter_no_change=epochs + 1).fit, X, y)
    return prepare


class Mnist:
    """One epoch, a prediction, and the speed-up over scikit-learn, for 784 -> (100,) -> 10."""
    params = [["float64", "float32"]]
    param_names = ["dtype"]
    unit = "times faster"
    peer_seconds = by_profile(0.1, 1.0)  # one scikit-learn fit
    interleaved = by_profile(1, 3)

    def setup(self, dtype):
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epochs are set, not converged
        self.X, self.y = _data(dtype)
        self.fit_one_epoch = _fit("fastnn", dtype)(1)
        self.fitted = self.fit_one_epoch()  # the JIT warm, and a model to predict with
        self.fitted.predict_proba(self.X[:400])  # prediction's kernels warm too

    def time_epoch(self, dtype):
        self.fit_one_epoch()

    def time_predict_proba(self, dtype):
        self.fitted.predict_proba(self.X)

    def track_speedup_over_sklearn(self, dtype):
        return speedup(_fit("fastnn", dtype), _fit("sklearn.neural_network", dtype), self.peer_seconds,
                       self.interleaved)
