"""fastnn's MLPClassifier / MLPRegressor trained side by side with scikit-learn's: the same initial
weights, shuffles and validation split, so the same loss_curve_ (to a relative 1e-6) and the same
predictions, for every solver setting, activation, depth and kind of target."""
import contextlib
import io
import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression

import fastnn

RTOL = 1e-6


def dataset(kind, n_samples=120):
    rng = np.random.RandomState(0)
    if kind == "binary":
        return make_classification(n_samples, 5, n_informative=3, random_state=0)
    if kind == "multiclass":
        return make_classification(n_samples, 5, n_informative=3, n_classes=3, n_clusters_per_class=1, random_state=1)
    if kind == "multilabel":
        X, y = make_multilabel_classification(n_samples, 5, n_classes=3, random_state=2)
        return X / 4, y
    if kind == "regression":
        X, y = make_regression(n_samples, 5, noise=0.5, random_state=3)
        return X, y / 100
    if kind == "multioutput":
        X, y = make_regression(n_samples, 5, n_targets=2, noise=0.5, random_state=4)
        return X, y / 100
    if kind == "poisson":
        X = rng.randn(n_samples, 5)
        return X, rng.poisson(np.exp(0.4 * X @ rng.randn(5))).astype(float)
    raise ValueError(kind)


CLASSIFICATION = {"binary", "multiclass", "multilabel"}
KINDS = ["binary", "multiclass", "multilabel", "regression", "multioutput", "poisson"]


def fit_both(kind, X=None, y=None, fit=lambda model, X, y: model.fit(X, y), **params):
    """(fastnn model, scikit-learn model), each fitted by ``fit`` with the same parameters."""
    if X is None:
        X, y = dataset(kind)
    name = "MLPClassifier" if kind in CLASSIFICATION else "MLPRegressor"
    if kind == "poisson":
        params = dict(params, loss="poisson")
    params = dict(dict(random_state=0, max_iter=15, learning_rate_init=0.01), **params)
    models = []
    for module in (fastnn, neural_network):
        model = getattr(module, name)(**params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit(model, X, y)
        models.append(model)
    return models


def assert_same_model(ours, theirs, X, rtol=RTOL, weights_rtol=None):
    """Same training history and fitted attributes, to ``rtol``; same weights and predictions on X,
    to ``weights_rtol`` (default ``rtol``)."""
    weights_rtol = weights_rtol or rtol
    if hasattr(theirs, "loss_curve_"):
        assert len(ours.loss_curve_) == len(theirs.loss_curve_)
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol)
        assert ours.t_ == theirs.t_
        for name in ("best_loss_", "best_validation_score_"):
            assert (getattr(ours, name) is None) == (getattr(theirs, name) is None)
            if getattr(theirs, name) is not None:
                assert np.isclose(getattr(ours, name), getattr(theirs, name), rtol=rtol)
        if theirs.validation_scores_ is not None:
            np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=rtol)
    assert ours.n_iter_ == theirs.n_iter_
    assert np.isclose(ours.loss_, theirs.loss_, rtol=rtol)
    for name in ("n_layers_", "n_outputs_", "out_activation_", "n_features_in_"):
        assert getattr(ours, name) == getattr(theirs, name)
    for mine, other in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert mine.shape == other.shape and mine.dtype == other.dtype and mine.flags.c_contiguous
        np.testing.assert_allclose(mine, other, rtol=weights_rtol, atol=weights_rtol * np.max(np.abs(other)))
    if hasattr(theirs, "classes_"):
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=weights_rtol, atol=1e-9)
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    else:
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=weights_rtol, atol=1e-9)


SOLVERS = {
    "sgd-nesterov": dict(solver="sgd"),
    "sgd-momentum": dict(solver="sgd", nesterovs_momentum=False),
    "sgd-plain": dict(solver="sgd", momentum=0.0),
    "sgd-invscaling": dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5, power_t=0.3),
    "sgd-adaptive": dict(solver="sgd", learning_rate="adaptive", tol=0.05, n_iter_no_change=1, max_iter=30),
    "sgd-no-shuffle": dict(solver="sgd", shuffle=False),
    "sgd-batch-1": dict(solver="sgd", batch_size=1, learning_rate_init=0.001, max_iter=5),
    "sgd-batch-16": dict(solver="sgd", batch_size=16),
    "sgd-full-batch": dict(solver="sgd", batch_size=120, learning_rate_init=0.1),
    "adam": dict(solver="adam"),
    "adam-batch-50-no-shuffle": dict(solver="adam", batch_size=50, shuffle=False),
    "adam-betas": dict(solver="adam", beta_1=0.5, beta_2=0.9, epsilon=1e-6, alpha=0.01),
}


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_stochastic_solvers(solver, kind):
    ours, theirs = fit_both(kind, hidden_layer_sizes=(6,), activation="tanh", **SOLVERS[solver])
    assert_same_model(ours, theirs, dataset(kind)[0])
    if solver == "sgd-adaptive":
        assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate < 0.01  # the rate was cut
    if solver in ("sgd-adaptive",):
        assert ours.n_iter_ < 30  # the stopping rule fired, at the same epoch


@pytest.mark.parametrize("hidden", [(7,), (6, 5), (5, 4, 3)], ids=lambda h: "x".join(map(str, h)))
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("kind", KINDS)
def test_activations_depths_and_targets(kind, activation, hidden):
    solver = dict(solver="sgd", momentum=0.5) if hidden == (6, 5) else dict(solver="adam")
    ours, theirs = fit_both(kind, hidden_layer_sizes=hidden, activation=activation, **solver)
    assert_same_model(ours, theirs, dataset(kind)[0])


@pytest.mark.parametrize("kind", KINDS)
def test_lbfgs_reaches_the_same_loss(kind):
    """The same loss to 1e-6. The weights only to 1e-3: near a minimum, L-BFGS steps along flat
    directions, where the last bits of a gradient (summed in another order) choose the step."""
    ours, theirs = fit_both(kind, solver="lbfgs", hidden_layer_sizes=(6,), max_iter=50)
    assert_same_model(ours, theirs, dataset(kind)[0], weights_rtol=1e-3)
    assert not hasattr(ours, "loss_curve_") and ours.t_ == 0


def lbfgs_to_convergence(kind, alpha):
    """fastnn's and scikit-learn's final losses, each L-BFGS run to convergence, and the spread of
    scikit-learn's own: the largest relative change of its loss when one entry of X moves by one ulp
    (eight such nudges)."""
    X, y = dataset(kind)
    params = dict(solver="lbfgs", hidden_layer_sizes=(5,), max_iter=3000, alpha=alpha)
    ours, theirs = fit_both(kind, X, y, **params)
    assert theirs.n_iter_ < 3000  # converged
    spread = 0.0
    for i in range(4):
        for direction in (np.inf, -np.inf):
            nudged = X.copy()
            nudged[i, i] = np.nextafter(nudged[i, i], direction)
            spread = max(spread, abs(fit_both(kind, nudged, y, **params)[1].loss_ / theirs.loss_ - 1))
    return ours, theirs, spread


@pytest.mark.parametrize("kind, alpha", [("binary", 1.0), ("regression", 1e-4), ("multioutput", 1e-4),
                                         ("poisson", 1.0), ("multiclass", 3.0), ("multilabel", 1.0)])
def test_lbfgs_to_convergence(kind, alpha):
    """Run to convergence, fastnn reaches scikit-learn's loss to 1e-6, or, where rounding moves
    scikit-learn's own result by more (after a few hundred iterations L-BFGS amplifies it: multiclass
    and multilabel here), within three times that spread. fastnn's gradient is summed in another
    order than scikit-learn's BLAS (and the order follows the machine's vector width), so it is one
    more rounding-perturbed run: a bound from scikit-learn's own spread holds on any machine, where
    a bound from one nudge on one CPU did not (one nudge moves multiclass by 2e-6 to 3e-5)."""
    ours, theirs, spread = lbfgs_to_convergence(kind, alpha)
    assert abs(ours.loss_ / theirs.loss_ - 1) <= max(RTOL, 3 * spread)
    if spread < 1e-7:  # well conditioned: the same model
        X = dataset(kind)[0]
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "regression"])
def test_early_stopping(kind):
    ours, theirs = fit_both(kind, early_stopping=True, validation_fraction=0.25, n_iter_no_change=3, max_iter=60,
                            hidden_layer_sizes=(6,), learning_rate_init=0.05)
    assert_same_model(ours, theirs, dataset(kind)[0])
    assert ours.best_loss_ is None and len(ours.validation_scores_) == ours.n_iter_


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["binary", "multioutput"])
def test_sample_weight(kind, solver):
    X, y = dataset(kind)
    weights = np.random.RandomState(5).rand(len(X)) * 2

    def fit(model, X, y):
        model.fit(X, y, sample_weight=weights)

    ours, theirs = fit_both(kind, X, y, fit=fit, solver=solver, hidden_layer_sizes=(6,), batch_size=32)
    assert_same_model(ours, theirs, X)


def test_warm_start_and_n_iter_no_change():
    X, y = dataset("multiclass")

    def fit(model, X, y):
        model.fit(X, y)
        model.set_params(max_iter=40, learning_rate_init=0.1)
        model.fit(X, y)

    ours, theirs = fit_both("multiclass", X, y, fit=fit, warm_start=True, solver="sgd", tol=1e-2, n_iter_no_change=2)
    assert_same_model(ours, theirs, X)
    assert ours.n_iter_ < 40 and len(ours.loss_curve_) == 15 + ours.n_iter_


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_partial_fit(kind):
    X, y = dataset(kind)

    def fit(model, X, y):
        for start in range(0, 120, 40):
            extra = dict(classes=np.unique(y)) if kind in CLASSIFICATION else {}
            model.partial_fit(X[start:start + 40], y[start:start + 40], **extra)

    ours, theirs = fit_both(kind, X, y, fit=fit, hidden_layer_sizes=(6,), batch_size=16)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("kind", ["binary", "regression"])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_float32(solver, kind):
    """float32 in, float32 coefs_ out, and the same training up to float32 rounding."""
    X, y = dataset(kind)
    ours, theirs = fit_both(kind, X.astype(np.float32), y, solver=solver, hidden_layer_sizes=(6,))
    assert all(c.dtype == np.float32 for c in ours.coefs_ + ours.intercepts_)
    if kind == "regression":
        assert ours.predict(X.astype(np.float32)).dtype == np.float32
    else:
        assert ours.predict_proba(X.astype(np.float32)).dtype == np.float32
    if solver != "lbfgs":
        assert_same_model(ours, theirs, X.astype(np.float32), rtol=2e-4)
    else:  # scikit-learn's first evaluation is in float32, the rest in float64 (its coefs_ end float64)
        assert np.isclose(ours.loss_, theirs.loss_, rtol=1e-4)


def test_verbose_output_is_scikit_learns():
    outputs = []

    def fit(model, X, y):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            model.fit(X, y)
        outputs.append(buffer.getvalue())

    fit_both("binary", fit=fit, verbose=True, early_stopping=True, n_iter_no_change=2, max_iter=30, solver="sgd",
             learning_rate="adaptive", tol=0.1)
    assert outputs[0] == outputs[1]
    assert "Iteration 1, loss = " in outputs[0] and "Validation score" in outputs[0]


def test_lbfgs_follows_scikit_learn_where_logits_saturate():
    """On this problem L-BFGS tries points whose logits reach 36-94, where scikit-learn's loss takes
    log(1 - p) of a rounded p near 1 (clipped at eps); fastnn's loss is the same function to
    rounding, so the two paths stay together: after 30 iterations one ulp in X moves scikit-learn's
    own loss_ by ~3e-10, and fastnn is that close (a loss computed from the logit parts by 2e-5)."""
    from sklearn.datasets import make_moons

    X, y = make_moons(400, noise=0.25, random_state=3)
    ours, theirs = fit_both("binary", X, y, solver="lbfgs", hidden_layer_sizes=(5,), max_iter=30)
    assert ours.n_iter_ == theirs.n_iter_ == 30
    assert abs(ours.loss_ - theirs.loss_) < 1e-8


def test_early_stopping_through_divergence():
    """scikit-learn (#29504) trains on with NaN weights: every later validation score is NaN, which
    never counts as no improvement, so the run goes to max_iter and keeps the best weights it saw."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    ours, theirs = fit_both("regression", X, y, hidden_layer_sizes=100, activation="identity", solver="sgd",
                            learning_rate_init=1, max_iter=20, early_stopping=True, n_iter_no_change=10)
    assert np.isnan(theirs.validation_scores_[-1])  # the case: scikit-learn diverged and finished
    assert ours.n_iter_ == theirs.n_iter_ == 20 and ours.t_ == theirs.t_
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=RTOL)  # NaN where NaN
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=RTOL)
    assert np.isclose(ours.best_validation_score_, theirs.best_validation_score_, rtol=RTOL)
    for mine, other in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, other, rtol=RTOL, atol=RTOL * np.max(np.abs(other)))
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=RTOL)
