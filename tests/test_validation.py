"""Bad input gets a ValueError that names the problem; a diverging run raises DivergenceError."""
import numpy as np
import pytest

import fastnn
from fastnn import reference

from .conftest import moons

X, Y = moons(n_samples=50)
FITS = [fastnn.fit, reference.fit]


def call(fit, X=X, Y=Y, learning_rate=0.5, hidden_size=3, iterations=5, **kwargs):
    return fit(X, Y, learning_rate, hidden_size, iterations, **kwargs)


BAD_INPUTS = [
    (dict(Y=Y[:, :-1]), "samples"),
    (dict(Y=np.ones((2, 50))), r"shape \(1, n_samples\)"),
    (dict(Y=Y * 2), "labels 0 and 1"),
    (dict(Y=np.where(Y == 1, 0.5, 0.0)), "labels 0 and 1"),
    (dict(X=np.where(X > 1, np.nan, X)), "NaN or inf"),
    (dict(X=np.where(X > 1, np.inf, X)), "NaN or inf"),
    (dict(X=np.where(X > 1, -1e39, X), dtype=np.float32), "1e[+]39, which exceeds float32's range"),
    (dict(X=np.zeros((2, 0)), Y=np.zeros((1, 0))), "empty"),
    (dict(X=np.zeros((0, 50))), "empty"),
    (dict(X=X[0]), "2-D"),
    (dict(X=X.astype(str)), "numbers"),
    (dict(X=X.astype(complex)), "real"),
    (dict(learning_rate=0), "learning_rate"),
    (dict(learning_rate=-0.1), "learning_rate"),
    (dict(learning_rate=np.nan), "learning_rate"),
    (dict(learning_rate=np.inf), "learning_rate"),
    (dict(learning_rate="0.1"), "learning_rate"),
    (dict(iterations=-1), "iterations"),
    (dict(iterations=2.5), "iterations"),
    (dict(hidden_size=-3), "hidden layer sizes"),
    (dict(hidden_size=(4, 0)), "hidden layer sizes"),
    (dict(hidden_size=(4, 2.5)), "hidden layer sizes"),
    (dict(hidden_size="5"), "hidden_size"),
    (dict(activation="softsign"), "unknown activation"),
    (dict(init="zeros"), "unknown init"),
    (dict(leak=-0.1), "leak"),
    (dict(dtype=np.int32), "dtype"),
    (dict(seed="abc"), "seed"),
    (dict(params={"W1": np.zeros((3, 2))}), "keys"),
    (dict(params={"W1": np.zeros((3, 2)), "b1": np.zeros((3, 1)), "W2": np.zeros((1, 3)), "b2": np.zeros((1, 1)),
                  2: np.zeros(1)}), "keys"),
    (dict(params={"W1": np.zeros((4, 2)), "b1": np.zeros((3, 1)), "W2": np.zeros((1, 3)), "b2": np.zeros((1, 1))}),
     "shape"),
    (dict(params={"W1": np.full((3, 2), np.nan), "b1": np.zeros((3, 1)), "W2": np.zeros((1, 3)),
                  "b2": np.zeros((1, 1))}), "NaN or inf"),
    (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'"),
    (dict(optimizer=None), "unknown optimizer"),
    (dict(optimizer="sgd", batch_size=0), "batch_size must be None"),
    (dict(optimizer="sgd", batch_size=2.5), "batch_size must be None"),
    (dict(optimizer="sgd", batch_size=True), "batch_size must be None"),
    (dict(batch_size=10), "batch_size must be None for optimizer 'gd'"),
    (dict(optimizer="sgd", shuffle="yes"), "shuffle must be True or False"),
    (dict(alpha=-0.1), "alpha must be a finite number >= 0"),
    (dict(alpha=np.nan), "alpha must be a finite number >= 0"),
    (dict(optimizer="momentum", momentum=1.0), r"momentum must be a number in \[0, 1\)"),
    (dict(optimizer="momentum", momentum=-0.1), r"momentum must be a number in \[0, 1\)"),
    (dict(optimizer="adam", beta_1=1.0), r"beta_1 must be a number in \[0, 1\)"),
    (dict(optimizer="adam", beta_2=1.5), r"beta_2 must be a number in \[0, 1\)"),
    (dict(optimizer="adam", epsilon=0.0), "epsilon must be a finite number > 0"),
    (dict(learning_rate_schedule="adaptive"), "unknown learning_rate_schedule 'adaptive'"),
    (dict(learning_rate_schedule="invscaling", power_t=-1), "power_t must be a finite number >= 0"),
    (dict(callback=3), "callback"),
    (dict(print_cost="yes"), "print_cost"),
]


@pytest.mark.parametrize("fit", FITS, ids=["fastnn", "reference"])
@pytest.mark.parametrize("bad, message", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_input_raises_value_error(fit, bad, message):
    with pytest.raises(ValueError, match=message):
        call(fit, **bad)


def test_predict_checks_its_input():
    params, _ = call(fastnn.fit)
    with pytest.raises(ValueError, match="features"):
        fastnn.predict_proba(X[:1], params)
    with pytest.raises(ValueError, match="NaN or inf"):
        fastnn.predict(np.full_like(X, np.nan), params)
    with pytest.raises(ValueError, match="unknown activation"):
        fastnn.predict(X, params, activation="softsign")
    with pytest.raises(ValueError, match="keys must be the names"):
        fastnn.predict(X, {**params, 0: params["W1"]})
    with pytest.raises(ValueError, match="one shape"):
        fastnn.accuracy(Y, Y[:, :3])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("fit", FITS, ids=["fastnn", "reference"])
def test_divergence_is_detected_not_returned(fit):
    """ReLU with a huge learning rate overflows to inf, then NaN: fit raises, no garbage returned."""
    seen = []
    with pytest.raises(fastnn.DivergenceError if fit is fastnn.fit else FloatingPointError, match="diverged"):
        call(fit, learning_rate=1e150, hidden_size=(8, 8), iterations=100, activation="relu", init="he", seed=0,
             callback=lambda i, c: seen.append(c))
    assert len(seen) < 100 and not np.isfinite(seen[-1])
    assert issubclass(fastnn.DivergenceError, FloatingPointError)


@pytest.mark.parametrize("fit", FITS, ids=["fastnn", "reference"])
def test_saturated_outputs_give_finite_costs(fit):
    """Logits of +-1000 (probabilities exactly 0 or 1 in float64): costs stay finite, no NaN."""
    params = {"W1": np.array([[1000.0, 0.0]]), "b1": np.zeros((1, 1))}
    _, costs = call(fit, hidden_size=0, iterations=3, params=params, learning_rate=1e-3)
    assert np.all(np.isfinite(costs)) and costs[0] > 0


def test_saturated_costs_equal_the_exact_value():
    """For a logit z and label y the loss is max(z, 0) - y z + log1p(exp(-|z|)), exactly."""
    Xs = np.array([[1.0, 1.0, -1.0, -1.0]])
    Ys = np.array([[1, 0, 1, 0]])
    params = {"W1": np.array([[800.0]]), "b1": np.zeros((1, 1))}
    cost, _ = fastnn.cost_and_gradients(Xs, Ys, params)
    assert cost == pytest.approx((0 + 800 + 800 + 0) / 4, rel=1e-15)
