"""The update rules of ``fastnn.kernels.optimizers`` against ``fastnn.reference`` and scikit-learn's
own optimizers (``sklearn/neural_network/_stochastic_optimizers.py``), in float64 and float32."""
import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from fastnn import reference
from fastnn.kernels import optimizers
from fastnn.layout import Layout

from .test_precision import jit_disabled, uncached, vector_instructions, x86_only

SIZES = (3, 4, 2)
LAYOUT = Layout(SIZES)


def random_params(seed, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return {name: rng.randn(*value.shape).astype(dtype) for name, value in
            reference.initialize_parameters(SIZES, "he", seed=0).items()}


def flat(params):
    return LAYOUT.from_dict(params, next(iter(params.values())).dtype)


def as_params(theta):
    return LAYOUT.to_dict(theta)


def ulps(dtype):
    return 4 * np.finfo(dtype).eps


def test_l2_penalty_and_regularized_gradient_match_reference():
    params, sums = random_params(1), random_params(2)
    theta, grad = flat(params), flat(sums)
    sizes = np.asarray(SIZES, np.int64)
    assert np.isclose(optimizers.squared_weights(theta, sizes), reference.squared_weights(params), rtol=1e-15)
    optimizers.regularized_gradient(theta, grad, sizes, 0.3, 7.0)
    expected = reference.regularized_gradients(params, {f"d{k}": v for k, v in sums.items()}, 0.3, 7.0)
    np.testing.assert_allclose(grad, flat({k[1:]: v for k, v in expected.items()}), rtol=1e-15)
    assert not np.allclose(grad, flat(sums) / 7.0)  # the weights were penalised ...
    np.testing.assert_array_equal(LAYOUT.biases(grad, 2), LAYOUT.biases(flat(sums), 2) / 7.0)  # ... the biases not


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_matches_scikit_learn(nesterov, dtype):
    """Ten steps of momentum SGD from the same start, against scikit-learn's optimizer on its own
    lists of arrays, and against the reference."""
    params = random_params(3, dtype)
    theta = flat(params)
    velocity = np.zeros_like(theta)
    theirs = [v.copy() for v in params.values()]
    sk = SGDOptimizer(theirs, learning_rate_init=0.05, momentum=0.9, nesterov=nesterov)
    ref_params, ref_velocities = params, {k: np.zeros_like(v) for k, v in params.items()}
    for step in range(10):
        grads = random_params(10 + step, dtype)
        sk.update_params(theirs, list(grads.values()))
        optimizers.sgd_update(theta, flat(grads), velocity, 0.05, 0.9, nesterov)
        ref_params, ref_velocities = reference.sgd_step(ref_params, {f"d{k}": v for k, v in grads.items()},
                                                        ref_velocities, 0.05, 0.9, nesterov)
    np.testing.assert_allclose(theta, flat(dict(zip(params, theirs))), rtol=ulps(dtype), atol=ulps(dtype))
    np.testing.assert_allclose(theta, flat(ref_params), rtol=ulps(dtype), atol=ulps(dtype))
    assert theta.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_matches_scikit_learn(dtype):
    """Adam's moments, its folded bias correction and (float32) NumPy's promotion of the float64 rate."""
    params = random_params(4, dtype)
    theta = flat(params)
    m, v, t = np.zeros_like(theta), np.zeros_like(theta), np.zeros(1, np.int64)
    theirs = [p.copy() for p in params.values()]
    sk = AdamOptimizer(theirs, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-7)
    opt = optimizers.Optimizer(optimizers.ADAM, 0.01, 0.0, False, 0.8, 0.99, 1e-7, m, v, t)
    ref_params, moments = params, {k: (np.zeros_like(p), np.zeros_like(p)) for k, p in params.items()}
    for step in range(1, 31):
        grads = random_params(20 + step, dtype)
        sk.update_params(theirs, list(grads.values()))
        optimizers.optimizer_step(theta, flat(grads), opt)
        ref_params, moments = reference.adam_step(ref_params, {f"d{k}": g for k, g in grads.items()}, moments, step,
                                                  0.01, 0.8, 0.99, 1e-7)
    assert t[0] == 30
    np.testing.assert_allclose(theta, flat(dict(zip(params, theirs))), rtol=ulps(dtype), atol=ulps(dtype))
    np.testing.assert_allclose(theta, flat(ref_params), rtol=ulps(dtype), atol=ulps(dtype))
    assert not np.allclose(theta, flat(params), atol=1e-3)  # it moved


@jit_disabled
@x86_only
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_update_loops_vectorise(dtype):
    """Each rule's loop runs on vector registers (a signed offset into theta once kept two of them
    scalar, 15x slower)."""
    theta, grad, state = np.zeros(40, dtype), np.zeros(40, dtype), np.zeros(40, dtype)
    sizes = np.asarray(SIZES, np.int64)
    calls = [
        (optimizers.squared_weights, (theta, sizes)),
        (optimizers.regularized_gradient, (theta, grad, sizes, 0.1, 3.0)),
        (optimizers.sgd_update, (theta, grad, state, 0.1, 0.9, True)),
        (optimizers.adam_update, (theta, grad, state, state.copy(), 0.1, 0.9, 0.999, 1e-8, 1)),
    ]
    for dispatcher, args in calls:
        fresh = uncached(dispatcher)
        fresh(*args)
        assert vector_instructions(fresh) >= 2, dispatcher.__name__  # 0 when scalar
