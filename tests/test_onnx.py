"""ONNX export (fastnn.onnx): onnxruntime's outputs equal fastnn's predict_proba / predict within a
float32 error bound derived from the network's own magnitudes."""
import warnings

import numpy as np
import pytest

skl2onnx = pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")

import fastnn  # noqa: E402
import fastnn.onnx  # noqa: E402, F401  (registers the converters)
from tests.test_estimators_parity import CLASSIFICATION, dataset  # noqa: E402

EPS32 = np.finfo(np.float32).eps
PARAMS = dict(random_state=0, max_iter=30, learning_rate_init=0.01)


def fitted(kind, **params):
    params = dict(PARAMS, **params)
    if kind == "poisson":
        params["loss"] = "poisson"
    cls = fastnn.MLPClassifier if kind in CLASSIFICATION else fastnn.MLPRegressor
    X, y = dataset(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**params).fit(X, y), X.astype(np.float32)


def run(onx, X):
    session = onnxruntime.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def float32_error_bound(model, X):
    """Bound on |float32 output-layer sums - exact| per sample and output: each layer's weights
    and inputs rounded to float32 and a dot product of n terms adds at most (n + 2) eps |W|^T |a|
    (plus |b|) (Higham, Accuracy and Stability, 3.1); activations here (identity, relu, tanh,
    logistic, leaky_relu, arctan) are 1-Lipschitz, so earlier errors pass on through |W|^T. The output functions
    (logistic, softmax) are 1-Lipschitz too, and their own rounding adds a few eps."""
    a, error = np.abs(X.astype(np.float64)), np.zeros(X.shape)
    forward = X.astype(np.float64)
    for i, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        n = W.shape[0]
        error = (n + 2) * EPS32 * (a @ np.abs(W) + np.abs(b)) + error @ np.abs(W)
        forward = forward @ W + b
        if i < len(model.coefs_) - 1:
            forward = {"relu": np.maximum(forward, 0), "tanh": np.tanh(forward), "identity": forward,
                       "logistic": 1 / (1 + np.exp(-forward)), "arctan": np.arctan(forward),
                       "leaky_relu": np.where(forward > 0, forward, 0.01 * forward)}[model.activation]
        a = np.abs(forward)
    return error + 8 * EPS32 * np.maximum(a, 1)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity", "leaky_relu", "arctan"])
def test_classifier(kind, activation):
    model, X = fitted(kind, activation=activation, hidden_layer_sizes=(8, 5))
    labels, probabilities = run(skl2onnx.to_onnx(model, X[:1], options={"zipmap": False}), X)
    expected = model.predict_proba(X)
    bound = float32_error_bound(model, X).max(axis=1, keepdims=True)
    assert np.all(np.abs(probabilities - expected) <= bound)
    decided = (np.abs(expected - 0.5) > bound).all(axis=1) if kind == "multilabel" else (
        np.diff(np.sort(expected, axis=1)[:, -2:], axis=1).ravel() > 2 * bound.ravel())
    assert decided.mean() > 0.9  # the check below is not empty
    np.testing.assert_array_equal(labels[decided], model.predict(X)[decided])


@pytest.mark.parametrize("kind", ["regression", "multioutput", "poisson"])
@pytest.mark.parametrize("activation", ["tanh", "leaky_relu", "arctan"])
def test_regressor(kind, activation):
    model, X = fitted(kind, activation=activation, hidden_layer_sizes=(8, 5))
    (predictions,) = run(skl2onnx.to_onnx(model, X[:1]), X)
    expected = model.predict(X).reshape(len(X), -1)
    assert predictions.shape == expected.shape
    bound = float32_error_bound(model, X)
    if kind == "poisson":  # exp's relative error is the argument's absolute error
        bound = np.abs(expected) * (np.expm1(bound) + 4 * EPS32)
    assert np.all(np.abs(predictions - expected) <= bound)


def test_zipmap_and_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = dataset("multiclass")
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(StandardScaler(), fastnn.MLPClassifier(**PARAMS)).fit(X, y)
    labels, probabilities = run(skl2onnx.to_onnx(pipe, X[:1]), X)
    np.testing.assert_array_equal(sorted(probabilities[0]), sorted(pipe.classes_))  # zipmap: a dict per sample
    p = np.array([[row[c] for c in pipe.classes_] for row in probabilities])
    np.testing.assert_allclose(p, pipe.predict_proba(X), rtol=0, atol=1e-5)


def test_bound_catches_a_wrong_weight():
    model, X = fitted("multiclass", activation="tanh")
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    model.intercepts_[-1][0] += 1e-3
    _, probabilities = run(onx, X)
    assert np.any(np.abs(probabilities - model.predict_proba(X)) > float32_error_bound(model, X))


def test_float64_graph_and_no_hidden_layer():
    """Float64 input gives a float64 graph (error: float64 rounding); one layer, no hidden one."""
    model, X = fitted("multiclass", hidden_layer_sizes=(6,))
    _, probabilities = run(skl2onnx.to_onnx(model, X[:1].astype(np.float64), options={"zipmap": False}),
                           X.astype(np.float64))
    assert probabilities.dtype == np.float64
    np.testing.assert_allclose(probabilities, model.predict_proba(X.astype(np.float64)), rtol=0, atol=1e-12)
    X64, y = dataset("regression")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fastnn.MLPRegressor(**PARAMS).set_params(hidden_layer_sizes=()).fit(X64, y)
    (predictions,) = run(skl2onnx.to_onnx(model, X64[:1]), X64)
    np.testing.assert_allclose(predictions.ravel(), model.predict(X64), rtol=1e-12, atol=1e-12)
