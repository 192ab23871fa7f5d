"""Early stopping beyond scikit-learn's: ``validation_loss_curve_`` against a NumPy recomputation
from the weights a callback saw after each epoch, ``scoring`` (the loss, scorer names, callables),
``partial_fit(validation_data=...)`` and ``should_stop_``, errors that leave the estimator as it
was, and conversion, pickling and the patch with the new parameter."""
import pickle
import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn import neural_network
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import train_test_split
from sklearn.neural_network._base import LOSS_FUNCTIONS
from sklearn.preprocessing import LabelBinarizer

import fastnn

callback = pytest.importorskip("sklearn.callback")

HIDDEN = (7,)
PARAMS = dict(hidden_layer_sizes=HIDDEN, activation="tanh", random_state=0, learning_rate_init=0.02,
              early_stopping=True, validation_fraction=0.2)


def dataset(kind):
    if kind in ("binary", "multiclass"):
        return make_classification(250, 5, n_informative=3, n_classes=2 if kind == "binary" else 3, random_state=1)
    if kind == "multilabel":
        X, y = make_classification(250, 5, n_informative=3, n_classes=3, random_state=1)
        return X, np.column_stack([y == 0, y != 1]).astype(int)
    X, y = make_regression(250, 5, n_targets=2 if kind == "multioutput" else 1, noise=2.0, random_state=1)
    return X, (np.abs(y) / 100 if kind == "poisson" else y / 100)


def estimator(kind, **params):
    params = {**PARAMS, **params}
    if kind in ("binary", "multiclass", "multilabel"):
        return fastnn.MLPClassifier(**params)
    return fastnn.MLPRegressor(loss="poisson" if kind == "poisson" else "squared_error", **params)


class WeightsRecorder:
    """A FitCallback keeping a copy of the weights after each epoch."""

    max_propagation_depth = None

    def __init__(self):
        self.weights = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch" and fitted_estimator is not None:
            self.weights.append(([c.copy() for c in fitted_estimator.coefs_],
                                 [b.copy() for b in fitted_estimator.intercepts_]))


def fit_recording(model, X, y, **kwargs):
    recorder = WeightsRecorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.set_callbacks(recorder).fit(X, y, **kwargs)
    assert len(recorder.weights) == model.n_iter_
    return recorder.weights


def sklearn_split(model, X, y, sample_weight=None):
    """scikit-learn's draws: the initial weights (coefficients then intercepts, layer by layer),
    then ``train_test_split`` from the same RandomState, stratified for a single output unit (binary
    classification, not multi-class or multi-label)."""
    rng = np.random.RandomState(model.random_state)
    units = [X.shape[1], *model.hidden_layer_sizes, model.n_outputs_]
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        rng.uniform(size=(fan_in, fan_out))
        rng.uniform(size=fan_out)
    single = model.n_outputs_ == 1
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    split = train_test_split(*arrays, random_state=rng, test_size=model.validation_fraction,
                             stratify=y if isinstance(model, fastnn.MLPClassifier) and single else None)
    return split[1], split[3], (split[5] if sample_weight is not None else None)


def numpy_loss(model, weights, X, y, sample_weight):
    """scikit-learn's loss with its L2 term, of a forward pass in NumPy: the model's own loss."""
    coefs, intercepts = weights
    a = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        a = np.tanh(a @ W + b)
    z = a @ coefs[-1] + intercepts[-1]
    output = {"logistic": expit, "softmax": lambda z: softmax(z, axis=1), "identity": lambda z: z,
              "exp": np.exp}[model.out_activation_](z)
    if isinstance(model, fastnn.MLPClassifier):
        y = LabelBinarizer().fit(model.classes_).transform(y) if y.ndim == 1 else y
        name = "binary_log_loss" if model.out_activation_ == "logistic" else "log_loss"
    else:
        y = y.reshape(len(y), -1)
        name = model.loss
    loss = LOSS_FUNCTIONS[name](y, output, sample_weight=sample_weight)
    total = len(X) if sample_weight is None else sample_weight.sum()
    return loss + 0.5 * model.alpha * sum(np.sum(W * W) for W in coefs) / total


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "regression", "multioutput", "poisson"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_validation_loss_curve_is_the_loss_of_each_epochs_weights(kind, solver):
    X, y = dataset(kind)
    weights = np.random.RandomState(2).uniform(0.5, 2.0, len(X)) if kind in ("multiclass", "regression") else None
    model = estimator(kind, solver=solver, alpha=0.05, max_iter=15, n_iter_no_change=100)
    saved = fit_recording(model, X, y, sample_weight=weights)
    X_val, y_val, w_val = sklearn_split(model, X, y, weights)
    expected = [numpy_loss(model, epoch, X_val, y_val, w_val) for epoch in saved]
    np.testing.assert_allclose(model.validation_loss_curve_, expected, rtol=1e-12)
    assert len(model.validation_loss_curve_) == len(model.validation_scores_) == model.n_iter_ == 15


def test_validation_scores_unchanged_and_the_split_reproduced():
    """scoring=None keeps scikit-learn's scores; the test's split is the model's (its accuracy
    from the saved weights is each validation score)."""
    X, y = dataset("multiclass")
    model = estimator("multiclass", max_iter=12)
    saved = fit_recording(model, X, y)
    X_val, y_val, _ = sklearn_split(model, X, y)
    theirs = neural_network.MLPClassifier(**{**PARAMS, "max_iter": 12})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(X, y)
    assert model.validation_scores_ == pytest.approx(theirs.validation_scores_, rel=1e-12)
    probe = fastnn.MLPClassifier(**{**PARAMS, "early_stopping": False, "max_iter": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe.fit(X, y)
    for (coefs, intercepts), score in zip(saved, model.validation_scores_, strict=True):
        probe.coefs_, probe.intercepts_ = coefs, intercepts
        assert probe.score(X_val, y_val) == score


def no_improvement_counts(scores, tol):
    """scikit-learn's count of epochs without an improvement by ``tol``, after each score."""
    best, count, counts = -np.inf, 0, []
    for score in scores:
        count = count + 1 if score < best + tol else 0
        best = max(best, score)
        counts.append(count)
    return counts


def expected_stop(scores, tol, n_iter_no_change):
    """The epoch (1-based) at which scikit-learn's rule stops on ``scores``, or None."""
    counts = no_improvement_counts(scores, tol)
    return next((epoch for epoch, count in enumerate(counts, start=1) if count > n_iter_no_change), None)


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_scoring_loss_stops_where_the_validation_losses_say(kind):
    X, y = dataset(kind)
    X = X + np.random.RandomState(3).normal(scale=2.0, size=X.shape)  # noise to overfit
    model = estimator(kind, hidden_layer_sizes=(60,), learning_rate_init=0.03, scoring="loss", max_iter=400,
                      n_iter_no_change=4, tol=1e-5)
    saved = fit_recording(model, X, y)
    losses = model.validation_loss_curve_
    assert model.validation_scores_ == [-loss for loss in losses]
    assert model.n_iter_ == expected_stop([-loss for loss in losses], 1e-5, 4) < 400
    best = int(np.argmin(losses))
    for ours, kept in zip(model.coefs_ + model.intercepts_, saved[best][0] + saved[best][1], strict=True):
        np.testing.assert_array_equal(ours, kept)
    assert model.best_validation_score_ == -losses[best]


def test_a_callable_scorer_gets_the_model_at_each_epoch_and_the_validation_split():
    X, y = dataset("multiclass")
    calls = []

    def scorer(est, X_val, y_val):
        calls.append((est, X_val.copy(), y_val.copy(), [c.copy() for c in est.coefs_]))
        return -float(np.mean(est.predict(X_val) != y_val))

    model = estimator("multiclass", scoring=scorer, max_iter=10)
    saved = fit_recording(model, X, y)
    X_val, y_val, _ = sklearn_split(model, X, y)
    assert len(calls) == model.n_iter_
    for (est, X_seen, y_seen, coefs), (epoch_coefs, _) in zip(calls, saved, strict=True):
        assert est is model
        np.testing.assert_array_equal(X_seen, X_val)
        np.testing.assert_array_equal(y_seen, y_val)
        for a, b in zip(coefs, epoch_coefs, strict=True):
            np.testing.assert_array_equal(a, b)
    plain = estimator("multiclass", max_iter=10)
    fit_recording(plain, X, y)
    np.testing.assert_allclose(model.validation_scores_, np.asarray(plain.validation_scores_) - 1)


def test_a_scorer_name_scores_as_scikit_learns_scorer():
    X, y = make_regression(200, 4, noise=1.0, random_state=0)
    model = estimator("regression", scoring="neg_mean_absolute_error", max_iter=8)
    saved = fit_recording(model, X, y / 100)
    X_val, y_val, _ = sklearn_split(model, X, y / 100)
    for (coefs, intercepts), score in zip(saved, model.validation_scores_, strict=True):
        a = np.tanh(X_val @ coefs[0] + intercepts[0]) @ coefs[1] + intercepts[1]
        assert score == pytest.approx(-np.mean(np.abs(a.ravel() - y_val)), rel=1e-12)


def state(model):
    """What a failed fit must not change: everything but the parameters."""
    params = model.get_params(deep=False)
    return pickle.dumps({name: value for name, value in vars(model).items() if name not in params})


@pytest.mark.parametrize("scoring", ["no_such_scorer", "mean_squared_error"])
def test_an_unknown_scoring_string_is_a_clear_error(scoring):
    model = estimator("binary", scoring=scoring)
    with pytest.raises(ValueError, match="scoring="):
        model.fit(*dataset("binary"))
    assert not hasattr(model, "coefs_")


def test_a_scoring_of_the_wrong_type_names_the_parameter():
    with pytest.raises(ValueError, match="'scoring' parameter"):
        estimator("binary", scoring=3).fit(*dataset("binary"))


class FailsAt:
    def __init__(self, epoch):
        self.epoch, self.calls = epoch, 0

    def __call__(self, est, X, y):
        self.calls += 1
        if self.calls == self.epoch:
            raise RuntimeError("scorer broke")
        return 0.5


def test_a_scorer_that_raises_leaves_nothing_half_fitted():
    X, y = dataset("binary")
    fresh = estimator("binary", scoring=FailsAt(3), max_iter=20)
    with pytest.raises(ValueError, match="scoring=.*RuntimeError: scorer broke"):
        fresh.fit(X, y)
    assert not hasattr(fresh, "coefs_") and not hasattr(fresh, "n_iter_")

    warm = estimator("binary", max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm.fit(X, y)
    before = state(warm)
    warm.set_params(scoring=FailsAt(2))
    with pytest.raises(ValueError, match="scoring="):
        warm.fit(X, y)
    assert state(warm) == before


def test_a_scorer_returning_no_number_is_an_error():
    with pytest.raises(ValueError, match="scoring="):
        estimator("binary", scoring=lambda est, X, y: "high").fit(*dataset("binary"))


def partial_fits(model, X, y, calls, **kwargs):
    classes = {"classes": np.unique(y)} if isinstance(model, fastnn.MLPClassifier) else {}
    for _ in range(calls):
        model.partial_fit(X, y, **classes, **kwargs)
    return model


@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_partial_fit_scores_each_call_on_the_validation_data(kind):
    X, y = dataset(kind)
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    params = dict(PARAMS, early_stopping=False, learning_rate_init=0.05, n_iter_no_change=3, tol=1e-3)
    plain = partial_fits(estimator(kind, **params), X_train, y_train, 30)
    model = estimator(kind, **params)
    weights = []
    classes = {"classes": np.unique(y)} if kind == "multiclass" else {}
    for call in range(30):
        model.partial_fit(X_train, y_train, **classes, validation_data=(X_val, y_val) if call == 0 else None)
        weights.append((model.coefs_, model.intercepts_))
        assert model.validation_scores_[-1] == model.score(X_val, y_val)
        assert model.should_stop_ == (no_improvement_counts(model.validation_scores_, 1e-3)[-1] > 3)
    assert model.loss_curve_ == plain.loss_curve_  # training unchanged
    assert not hasattr(plain, "should_stop_") and plain.validation_scores_ is None
    assert model.should_stop_  # this problem stops improving within 30 calls
    expected = [numpy_loss(model, w, X_val, y_val, None) for w in weights]
    np.testing.assert_allclose(model.validation_loss_curve_, expected, rtol=1e-12)


def test_partial_fit_keeps_sklearns_error_without_validation_data():
    X, y = dataset("binary")
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        estimator("binary").partial_fit(X, y, classes=[0, 1])
    model = partial_fits(estimator("binary"), X[:200], y[:200], 2, validation_data=(X[200:], y[200:]))
    assert len(model.validation_scores_) == 2


@pytest.mark.parametrize("validation_data, message", [
    (lambda X, y: (X[:, :3], y), "validation_data: X has 3 features"),
    (lambda X, y: (X, y[:-1]), "validation_data: Found input variables with inconsistent numbers"),
    (lambda X, y: (X, y + 7), "validation_data: y_val has classes not in"),
    (lambda X, y: (X, y, np.ones(3)), "validation_data: sample_weight.shape"),
    (lambda X, y: X, "validation_data must be a tuple"),
])
def test_a_bad_validation_set_is_a_clear_error_and_changes_nothing(validation_data, message):
    X, y = dataset("binary")
    model = partial_fits(estimator("binary", early_stopping=False), X, y, 2)
    before = state(model)
    with pytest.raises(ValueError, match=message):
        model.partial_fit(X, y, validation_data=validation_data(X, y))
    assert state(model) == before
    fresh = estimator("binary", early_stopping=False)
    with pytest.raises(ValueError, match="validation_data"):
        fresh.partial_fit(X, y, classes=[0, 1], validation_data=validation_data(X, y))
    assert not hasattr(fresh, "coefs_") and not hasattr(fresh, "classes_")


def test_regressor_validation_targets_must_match_the_outputs():
    X, y = dataset("multioutput")
    model = estimator("multioutput", early_stopping=False)
    with pytest.raises(ValueError, match="validation_data: y_val must have 2 output"):
        model.partial_fit(X, y, validation_data=(X, y[:, 0]))


def test_to_sklearn_pickle_and_patch_with_the_new_attributes():
    X, y = dataset("binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = estimator("binary", scoring="loss", max_iter=10).fit(X, y)
    sk_model = model.to_sklearn()
    assert "scoring" not in sk_model.get_params() and not hasattr(sk_model, "validation_loss_curve_")
    assert sk_model.validation_scores_ == model.validation_scores_
    np.testing.assert_allclose(sk_model.predict_proba(X), model.predict_proba(X), rtol=1e-12)
    back = pickle.loads(pickle.dumps(model))
    assert back.validation_loss_curve_ == model.validation_loss_curve_ and back.scoring == "loss"

    streaming = partial_fits(estimator("binary", early_stopping=False), X[:200], y[:200], 3,
                             validation_data=(X[200:], y[200:]))
    copy = pickle.loads(pickle.dumps(streaming))
    for m in (streaming, copy):
        m.partial_fit(X[:200], y[:200])
    assert copy.validation_scores_ == streaming.validation_scores_ and len(copy.validation_scores_) == 4

    fastnn.patch_sklearn()
    try:
        patched = neural_network.MLPClassifier(**PARAMS, scoring="loss", max_iter=10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            patched.fit(X, y)
    finally:
        fastnn.unpatch_sklearn()
    assert patched.validation_loss_curve_ == model.validation_loss_curve_
