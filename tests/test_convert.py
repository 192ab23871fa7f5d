"""to_sklearn() / from_sklearn(): the converted model is scikit-learn's own class (or fastnn's),
predicts what the original predicts, and continues training (partial_fit, warm_start) with the
numbers scikit-learn's model gives when it continues itself."""
import warnings

import numpy as np
import pytest
from sklearn import neural_network

import fastnn
from fastnn.estimators.convert import FITTED_ATTRIBUTES
from tests.test_estimators_parity import CLASSIFICATION, dataset

RTOL = 1e-6  # the parity tests' bound between fastnn's and scikit-learn's loss curves
PARAMS = dict(random_state=0, max_iter=15, learning_rate_init=0.01)


def classes(kind):
    return (fastnn.MLPClassifier, neural_network.MLPClassifier) if kind in CLASSIFICATION else (
        fastnn.MLPRegressor, neural_network.MLPRegressor)


def quiet_fit(model, X, y, method="fit", **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(model, method)(X, y, **kwargs)


def params_for(kind, **params):
    params = dict(PARAMS, **params)
    return dict(params, loss="poisson") if kind == "poisson" else params


def assert_same_attributes(a, b):
    for name in FITTED_ATTRIBUTES:
        assert hasattr(a, name) == hasattr(b, name), name
        if not hasattr(a, name) or name == "_label_binarizer":
            continue
        value_a, value_b = getattr(a, name), getattr(b, name)
        if name in ("coefs_", "intercepts_", "_best_coefs", "_best_intercepts"):
            for x, z in zip(value_a, value_b, strict=True):
                assert x.dtype == z.dtype and np.array_equal(x, z), name
        elif isinstance(value_a, (list, np.ndarray)):
            np.testing.assert_array_equal(value_a, value_b, err_msg=name)
        else:
            assert value_a == value_b, name
    if hasattr(a, "_label_binarizer"):
        np.testing.assert_array_equal(a._label_binarizer.classes_, b._label_binarizer.classes_)
        assert a._label_binarizer.y_type_ == b._label_binarizer.y_type_


def assert_same_predictions(a, b, X):
    if hasattr(a, "predict_proba"):
        # the same float64 weights through two forward passes: the probabilities agree to a few
        # roundings of a sum of ~10 terms of order 1
        np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=0, atol=1e-13)
        np.testing.assert_array_equal(a.predict(X), b.predict(X))
    else:
        np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "regression", "multioutput", "poisson"])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_to_sklearn_is_sklearns_with_the_same_model(kind, solver):
    X, y = dataset(kind)
    ours_cls, sk_cls = classes(kind)
    model = quiet_fit(ours_cls(**params_for(kind, solver=solver)), X, y)
    sk_model = model.to_sklearn()
    assert type(sk_model) is sk_cls
    assert sk_model.get_params() == {k: v for k, v in model.get_params().items() if k not in ("dtype", "scoring")}
    assert_same_attributes(model, sk_model)
    assert_same_predictions(model, sk_model, X)
    sk_model.score(X, y)
    back = ours_cls.from_sklearn(sk_model)
    assert type(back) is ours_cls
    assert_same_attributes(model, back)


def continue_both(kind, ours, sk_model, X, y, how):
    """Train both models on: one partial_fit epoch, or warm_start fits of 5 epochs."""
    if how == "partial_fit":
        for model in (ours, sk_model):
            for _ in range(3):
                quiet_fit(model, X, y, method="partial_fit")
    else:
        for model in (ours, sk_model):
            model.set_params(warm_start=True, max_iter=5)
            quiet_fit(model, X, y)
    np.testing.assert_allclose(ours.loss_curve_, sk_model.loss_curve_, rtol=RTOL)
    assert ours.t_ == sk_model.t_ and ours.n_iter_ == sk_model.n_iter_
    for a, b in zip(ours.coefs_, sk_model.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression", "poisson"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_from_sklearn_continues_as_sklearn_does(kind, solver, how):
    X, y = dataset(kind)
    ours_cls, sk_cls = classes(kind)
    sk_model = quiet_fit(sk_cls(**params_for(kind, solver=solver)), X, y)
    ours = ours_cls.from_sklearn(sk_model)
    assert type(ours) is ours_cls
    assert_same_attributes(ours, sk_model)
    assert_same_predictions(ours, sk_model, X)
    continue_both(kind, ours, sk_model, X, y, how)


@pytest.mark.parametrize("kind", ["multiclass", "regression"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_to_sklearn_continues_as_fastnn_does(kind, solver, how):
    X, y = dataset(kind)
    ours_cls, _ = classes(kind)
    ours = quiet_fit(ours_cls(**params_for(kind, solver=solver, learning_rate="invscaling")), X, y)
    continue_both(kind, ours, ours.to_sklearn(), X, y, how)


def test_partial_fit_from_the_first_call():
    """A model made by partial_fit (classes given once) converts and goes on the same way."""
    X, y = dataset("multiclass")
    ours = fastnn.MLPClassifier(**PARAMS)
    quiet_fit(ours, X, y, method="partial_fit", classes=np.unique(y))
    continue_both("multiclass", ours, ours.to_sklearn(), X, y, "partial_fit")


def test_early_stopping_state_converts():
    X, y = dataset("binary", n_samples=200)
    sk_model = quiet_fit(neural_network.MLPClassifier(**PARAMS, early_stopping=True), X, y)
    ours = fastnn.MLPClassifier.from_sklearn(sk_model)
    assert_same_attributes(ours, sk_model)
    for model in (ours, sk_model):
        model.set_params(warm_start=True, max_iter=5)
        quiet_fit(model, X, y)
    np.testing.assert_allclose(ours.validation_scores_, sk_model.validation_scores_, rtol=RTOL)
    np.testing.assert_allclose(ours.loss_curve_, sk_model.loss_curve_, rtol=RTOL)
    assert ours.best_validation_score_ == pytest.approx(sk_model.best_validation_score_, rel=RTOL)


def test_float32_weights_convert_exactly():
    X, y = dataset("multiclass")
    X32 = X.astype(np.float32)
    ours = quiet_fit(fastnn.MLPClassifier(**PARAMS), X32, y)
    sk_model = ours.to_sklearn()
    assert sk_model.coefs_[0].dtype == np.float32
    assert_same_attributes(ours, sk_model)
    # scikit-learn's float32 forward pass (BLAS) and fastnn's round differently: float32 bounds
    np.testing.assert_allclose(ours.predict_proba(X32), sk_model.predict_proba(X32), rtol=0, atol=1e-5)
    sk32 = quiet_fit(neural_network.MLPClassifier(**PARAMS), X32, y)
    back = fastnn.MLPClassifier.from_sklearn(sk32)
    assert back.coefs_[0].dtype == np.float32 and back._optimizer.m.dtype == np.float32
    for model in (back, sk32):
        quiet_fit(model, X32, y, method="partial_fit")
    np.testing.assert_allclose(back.loss_curve_, sk32.loss_curve_, rtol=1e-5)  # float32 rounding


def test_dtype_parameter_is_dropped():
    """fastnn trained in float32 on float64 data: scikit-learn's model keeps the float32 weights
    (predicting in float64, as fastnn does) and trains them on in mixed precision."""
    X, y = dataset("multiclass")
    ours = quiet_fit(fastnn.MLPClassifier(**PARAMS, dtype="float32"), X, y)
    sk_model = ours.to_sklearn()
    assert "dtype" not in sk_model.get_params() and sk_model.coefs_[0].dtype == np.float32
    assert_same_predictions(ours, sk_model, X)
    for model in (ours, sk_model):
        quiet_fit(model, X, y, method="partial_fit")
    np.testing.assert_allclose(ours.loss_curve_, sk_model.loss_curve_, rtol=1e-5)  # float32 rounding


@pytest.mark.parametrize("activation", ["leaky_relu", "arctan"])
def test_fastnn_only_activations_are_refused(activation):
    X, y = dataset("binary")
    model = quiet_fit(fastnn.MLPClassifier(activation=activation, **PARAMS), X, y)
    with pytest.raises(ValueError, match=f"no activation '{activation}'"):
        model.to_sklearn()


def test_bad_input_is_refused():
    X, y = dataset("binary")
    sk_model = quiet_fit(neural_network.MLPClassifier(**PARAMS), X, y)
    with pytest.raises(ValueError, match="needs a sklearn.neural_network._multilayer_perceptron.MLPRegressor"):
        fastnn.MLPRegressor.from_sklearn(sk_model)
    with pytest.raises(ValueError, match="needs a"):
        fastnn.MLPClassifier.from_sklearn(fastnn.MLPClassifier())
    with pytest.raises(Exception, match="not fitted"):
        fastnn.MLPClassifier.from_sklearn(neural_network.MLPClassifier())
    with pytest.raises(Exception, match="not fitted"):
        fastnn.MLPClassifier().to_sklearn()


def test_feature_names_and_the_patch():
    pd = pytest.importorskip("pandas")
    X, y = dataset("regression")
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    ours = quiet_fit(fastnn.MLPRegressor(**PARAMS), frame, y)
    fastnn.patch_sklearn()
    try:
        sk_model = ours.to_sklearn()  # scikit-learn's own class even while patched
    finally:
        fastnn.unpatch_sklearn()
    assert type(sk_model) is neural_network.MLPRegressor
    np.testing.assert_array_equal(sk_model.feature_names_in_, frame.columns)
    assert_same_predictions(ours, sk_model, frame)
