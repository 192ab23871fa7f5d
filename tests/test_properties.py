"""Property-based tests: any network shape, any number of samples (partial blocks, exact multiples
of the block size, many groups), against the reference; vmath over arbitrary floats."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn
from fastnn import reference
from fastnn.training import BLOCK

from .conftest import max_abs_diff
from .test_vmath import APPLY

sample_counts = st.one_of(st.integers(1, 40), st.sampled_from([BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 5 * BLOCK + 3]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_features=st.integers(1, 9), hidden=st.lists(st.integers(1, 11), max_size=3), n_samples=sample_counts,
       activation=st.sampled_from(sorted(reference.ACTIVATIONS)), seed=st.integers(0, 2**16))
def test_cost_and_gradients_match_reference_for_any_shape(n_features, hidden, n_samples, activation, seed):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_features, n_samples)
    Y = (rng.rand(1, n_samples) > 0.5).astype(float)
    params = reference.initialize_parameters((n_features,) + tuple(hidden) + (1,), "he", seed=rng)
    A, cache = reference.forward(X, params, activation)
    cost, grads = fastnn.cost_and_gradients(X, Y, params, activation)
    assert abs(cost - reference.compute_cost(cache[-1][0], Y)) <= 1e-13
    assert max_abs_diff(grads, reference.backward(X, Y, params, cache, activation)) <= 1e-13
    np.testing.assert_allclose(fastnn.predict_proba(X, params, activation), A, rtol=1e-14, atol=1e-15)


@settings(max_examples=20, deadline=None)
@given(hidden=st.lists(st.integers(1, 9), max_size=2), n_samples=sample_counts, seed=st.integers(0, 2**16))
def test_training_matches_reference_for_any_shape(hidden, n_samples, seed):
    X, Y = fastnn.datasets.moons(n_samples=max(n_samples, 2), noise=0.3, seed=seed)
    start = reference.initialize_parameters((2,) + tuple(hidden) + (1,), "glorot", seed=seed)
    ref_params, ref_costs = reference.fit(X, Y, 0.05, tuple(hidden), 50, params=start)
    params, costs = fastnn.fit(X, Y, 0.05, tuple(hidden), 50, params=start)
    assert np.max(np.abs(costs - ref_costs)) <= 1e-12
    assert max_abs_diff(params, ref_params) <= 1e-12


finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(deadline=None)
@given(st.lists(finite_floats, min_size=1, max_size=50))
def test_tanh_sigmoid_arctan_bounded_and_odd(values):
    x = np.array(values)
    for name, low, high in (("tanh", -1, 1), ("sigmoid", 0, 1), ("arctan", -np.pi / 2, np.pi / 2)):
        out, mirrored = np.empty_like(x), np.empty_like(x)
        APPLY[name](x, out)
        APPLY[name](-x, mirrored)
        assert np.all((out >= low) & (out <= high))
        if name == "sigmoid":
            np.testing.assert_allclose(out + mirrored, 1.0, rtol=0, atol=4 * np.finfo(float).eps)  # 2 ulp each
        else:
            np.testing.assert_array_equal(out, -mirrored)


@settings(deadline=None)
@given(st.lists(finite_floats, min_size=1, max_size=50))
def test_tanh_within_ulps_of_numpy(values):
    x = np.array(values)
    out = np.empty_like(x)
    APPLY["tanh"](x, out)
    expected = np.tanh(x)
    assert np.all(np.abs(out - expected) <= 6 * np.spacing(np.abs(expected)) + 1e-300)
