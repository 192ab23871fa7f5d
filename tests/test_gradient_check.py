"""Central finite differences of the kernel's own cost against the kernel's gradient (float64).

Independent of the reference: it checks that the fused backward pass is the derivative of the
fused forward pass. Inputs are kept away from ReLU's kink, where a finite difference is not a
derivative.
"""
import numpy as np
import pytest

import fastnn
from fastnn import reference

from .conftest import ACTIVATIONS, DEPTHS

STEP = 1e-6


def finite_difference_gradients(X, Y, params, activation):
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[name][index] += STEP
            minus[name][index] -= STEP
            grad[index] = (fastnn.cost_and_gradients(X, Y, plus, activation)[0]
                           - fastnn.cost_and_gradients(X, Y, minus, activation)[0]) / (2 * STEP)
        grads[f"d{name}"] = grad
    return grads


def far_from_kinks(X, params, activation):
    """True when no hidden pre-activation is within 1e-4 of 0 (ReLU's kink)."""
    _, cache = reference.forward(X, params, activation)
    return all(np.min(np.abs(Z)) > 1e-4 for Z, _ in cache[:-1])


@pytest.mark.parametrize("hidden", DEPTHS, ids=lambda h: "x".join(map(str, h)) or "none")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_finite_differences(activation, hidden):
    rng = np.random.RandomState(7)
    X = rng.randn(3, 40)
    Y = (rng.rand(1, 40) > 0.5).astype(float)
    for seed in range(20):
        params = reference.initialize_parameters((3,) + hidden + (1,), "he", seed=seed)
        for value in params.values():
            value += 0.1 * np.random.RandomState(seed).randn(*value.shape)  # non-zero biases too
        if far_from_kinks(X, params, activation):
            break
    cost, grads = fastnn.cost_and_gradients(X, Y, params, activation)
    numeric = finite_difference_gradients(X, Y, params, activation)
    g = np.concatenate([grads[k].ravel() for k in sorted(grads)])
    n = np.concatenate([numeric[k].ravel() for k in sorted(grads)])
    relative_error = np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))
    assert np.linalg.norm(g) > 1e-3  # a real gradient, not a vanishing one
    assert relative_error < 1e-6


def test_gradient_check_can_fail():
    """The check above detects a wrong gradient: scale one entry by 1.01 and it fails."""
    rng = np.random.RandomState(7)
    X, Y = rng.randn(3, 40), (rng.rand(1, 40) > 0.5).astype(float)
    params = reference.initialize_parameters((3, 4, 1), "he", seed=0)
    _, grads = fastnn.cost_and_gradients(X, Y, params, "tanh")
    numeric = finite_difference_gradients(X, Y, params, "tanh")
    grads["dW1"][0, 0] *= 1.01
    g = np.concatenate([grads[k].ravel() for k in sorted(grads)])
    n = np.concatenate([numeric[k].ravel() for k in sorted(grads)])
    assert np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n)) > 1e-6
