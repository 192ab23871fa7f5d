"""scikit-learn's callbacks on fastnn's estimators: one task per epoch (sgd, adam) or iteration
(lbfgs), each scored on the model as it stands then, which equals scikit-learn's model trained for
that many epochs; stopping on request; propagation through Pipeline and GridSearchCV; and
training unchanged by callbacks."""
import importlib.util
import sys
import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastnn

callback = pytest.importorskip("sklearn.callback")

PARAMS = dict(hidden_layer_sizes=(8,), random_state=0, max_iter=6, learning_rate_init=0.01)


def classification():
    return make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)


class Recorder:
    """A FitCallback that records (estimator, task, task_id) of every task it sees end, and
    asks to stop after ``stop_after`` epochs. Propagated to sub-estimators at any depth."""

    max_propagation_depth = None

    def __init__(self, stop_after=None):
        self.ended, self.begun, self.stop_after = [], [], stop_after

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.begun.append((context.estimator_name, context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ended.append((context.estimator_name, context.task_name, fitted_estimator is not None))
        epochs = sum(1 for _, task, fitted in self.ended if task in ("epoch", "lbfgs-iter") and fitted)
        return self.stop_after is not None and epochs >= self.stop_after


def quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


def epoch_rows(monitor):
    return [row for row in monitor.get_logs().data if row["task_name"] in ("epoch", "lbfgs-iter")]


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_scoring_monitor_scores_each_epoch_as_sklearn(solver):
    X, y = classification()
    monitor = callback.ScoringMonitor(scoring="accuracy")
    model = quiet(lambda: fastnn.MLPClassifier(solver=solver, **PARAMS).set_callbacks(monitor).fit(X, y))
    rows = epoch_rows(monitor)
    assert len(rows) == model.n_iter_ == PARAMS["max_iter"]
    assert [row["task_id"] for row in rows] == list(range(model.n_iter_))
    for epochs, row in enumerate(rows, start=1):
        params = dict(PARAMS, max_iter=epochs)
        sk_model = quiet(lambda: neural_network.MLPClassifier(solver=solver, **params).fit(X, y))
        assert row["accuracy"] == sk_model.score(X, y)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_regressor_scores_and_sample_weight(solver):
    X, y = make_regression(200, 5, noise=0.5, random_state=3)
    y = y / 100
    w = np.random.RandomState(0).uniform(0.5, 2, len(y))
    monitor = callback.ScoringMonitor(scoring="r2")
    model = quiet(lambda: fastnn.MLPRegressor(solver=solver, **PARAMS).set_callbacks(monitor).fit(X, y,
                                                                                                sample_weight=w))
    rows = epoch_rows(monitor)
    assert len(rows) == model.n_iter_
    for epochs, row in enumerate(rows, start=1):
        params = dict(PARAMS, max_iter=epochs)
        sk_model = quiet(lambda: neural_network.MLPRegressor(solver=solver, **params).fit(X, y, sample_weight=w))
        # the score is weighted (ScoringMonitor passes the fit's sample_weight on); the models agree to
        # the parity tests' relative 1e-6
        assert row["r2"] == pytest.approx(sk_model.score(X, y, sample_weight=w), rel=1e-6)


def test_nothing_changes_with_callbacks():
    X, y = classification()
    for solver in ("adam", "sgd", "lbfgs"):
        plain = quiet(lambda: fastnn.MLPClassifier(solver=solver, **PARAMS).fit(X, y))
        watched = quiet(lambda: fastnn.MLPClassifier(solver=solver, **PARAMS).set_callbacks(Recorder()).fit(X, y))
        for a, b in zip(plain.coefs_ + plain.intercepts_, watched.coefs_ + watched.intercepts_, strict=True):
            assert np.array_equal(a, b)
        assert plain.n_iter_ == watched.n_iter_
        assert getattr(plain, "loss_curve_", None) == getattr(watched, "loss_curve_", None)
        for model in (plain, watched):
            assert not {"_fit_callbacks", "_callback_fit_ctx", "_skl_callbacks_to_teardown"} & set(vars(model))


def test_task_tree_and_early_end():
    """Every begun task ends; a fit stopped by n_iter_no_change ends its unrun epoch empty."""
    X, y = classification()
    recorder = Recorder()
    model = quiet(lambda: fastnn.MLPClassifier(**dict(PARAMS, max_iter=50, tol=10.0, n_iter_no_change=2))
                  .set_callbacks(recorder).fit(X, y))
    n = model.n_iter_
    assert n == 4  # the first epoch improves on inf, the next three do not by tol: 3 > n_iter_no_change
    assert recorder.begun == [("MLPClassifier", "fit")] + [("MLPClassifier", "epoch")] * (n + 1)
    assert recorder.ended == [("MLPClassifier", "epoch", True)] * n + [("MLPClassifier", "epoch", False),
                                                                         ("MLPClassifier", "fit", True)]


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_a_callback_stops_training(solver):
    X, y = classification()
    model = quiet(lambda: fastnn.MLPClassifier(solver=solver, **dict(PARAMS, max_iter=50))
                  .set_callbacks(Recorder(stop_after=3)).fit(X, y))
    assert model.n_iter_ == 3
    reference = quiet(lambda: fastnn.MLPClassifier(solver=solver, **dict(PARAMS, max_iter=3)).fit(X, y))
    np.testing.assert_allclose(model.coefs_[0], reference.coefs_[0], rtol=1e-12, atol=1e-14)


def test_partial_fit_is_one_epoch_task():
    X, y = classification()
    recorder = Recorder()
    model = fastnn.MLPClassifier(**PARAMS).set_callbacks(recorder)
    for _ in range(2):
        model.partial_fit(X, y, classes=np.unique(y))
    assert recorder.ended == [("MLPClassifier", "epoch", True), ("MLPClassifier", "fit", True)] * 2


def test_propagation_through_pipeline_and_grid_search():
    X, y = classification()
    recorder = Recorder()
    pipe = make_pipeline(StandardScaler(), fastnn.MLPClassifier(**PARAMS))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2).set_callbacks(recorder)
    quiet(lambda: search.fit(X, y))
    fits = [e for e in recorder.ended if e[:2] == ("MLPClassifier", "fit")]
    epochs = [e for e in recorder.ended if e[:2] == ("MLPClassifier", "epoch")]
    assert len(fits) == 2 * 2 + 1  # candidates x folds, then the refit
    assert len(epochs) == len(fits) * PARAMS["max_iter"]
    assert clone(search.best_estimator_) is not None


def test_progress_bar_in_grid_search(capsys):
    pytest.importorskip("rich")
    X, y = classification()
    pipe = make_pipeline(StandardScaler(), fastnn.MLPClassifier(**PARAMS))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2)
    quiet(lambda: search.set_callbacks(callback.ProgressBar(max_propagation_depth=None)).fit(X, y))
    quiet(lambda: fastnn.MLPRegressor(**PARAMS).set_callbacks(callback.ProgressBar())
          .fit(*make_regression(100, 3, random_state=0)))
    out = capsys.readouterr().out
    assert "GridSearchCV" in out and "MLPClassifier - fit" in out and "MLPRegressor - fit" in out


def test_without_sklearn_callback(monkeypatch):
    """scikit-learn before 1.9: the module imports, offers no set_callbacks, and its hooks are off."""
    monkeypatch.setitem(sys.modules, "sklearn.callback", None)  # `import sklearn.callback` raises ImportError
    spec = importlib.util.spec_from_file_location("old_callbacks", fastnn.estimators.callbacks.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.CallbackSupportMixin is None
    assert not hasattr(module.FitCallbacksMixin, "set_callbacks")
    hooks = module.FitCallbacksMixin()
    assert hooks._epoch_ends(None, None, more=True) is False and hooks._lbfgs_callback(None, None) is None
