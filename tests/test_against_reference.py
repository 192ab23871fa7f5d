"""Every kernel against ``fastnn.reference``, the seeds' algorithm in plain NumPy.

The training comparison runs 1,000 iterations of gradient descent from the same initial weights
and requires params and every cost to agree to 1e-10 in float64. That bound only means something
if the training itself is well conditioned (a chaotic run amplifies a 1-ulp difference without
bound, whatever the implementation), so each comparison first checks that the reference agrees
with itself started from weights nudged by one ulp.
"""
import numpy as np
import pytest

import fastnn
from fastnn import reference

from .conftest import ACTIVATIONS, DEPTHS, INITS, PROBLEMS, max_abs_diff

LEARNING_RATE = 0.05  # at 0.1, four of the deepest tanh/arctan runs oscillate (chaotic)
ITERATIONS = 1000


def nudged(params):
    """``params`` with W1[0, 0] moved by one ulp."""
    out = {k: v.copy() for k, v in params.items()}
    out["W1"][0, 0] = np.nextafter(out["W1"][0, 0], np.inf)
    return out


@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("hidden", DEPTHS, ids=lambda h: "x".join(map(str, h)) or "none")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fit_matches_reference_float64(problem_name, init, hidden, activation):
    X, Y = PROBLEMS[problem_name]()
    start = reference.initialize_parameters((X.shape[0],) + hidden + (1,), init, seed=3)
    ref_params, ref_costs = reference.fit(X, Y, LEARNING_RATE, hidden, ITERATIONS, activation=activation,
                                          params=start)
    params, costs = fastnn.fit(X, Y, LEARNING_RATE, hidden, ITERATIONS, activation=activation, params=start)
    _, nudged_costs = reference.fit(X, Y, LEARNING_RATE, hidden, ITERATIONS, activation=activation,
                                    params=nudged(start))
    assert np.max(np.abs(nudged_costs - ref_costs)) < 1e-12, "ill-conditioned run: the bound is meaningless"
    assert costs.shape == ref_costs.shape == (ITERATIONS,)
    assert np.max(np.abs(costs - ref_costs)) <= 1e-10
    assert max_abs_diff(params, ref_params) <= 1e-10
    assert costs[-1] < costs[0]  # it did learn something, so the comparison is not vacuous


@pytest.mark.parametrize("hidden", DEPTHS, ids=lambda h: "x".join(map(str, h)) or "none")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fit_matches_reference_float32(activation, hidden):
    """float32 cannot match float64 to 1e-10; it must be as close to the float64 result as the
    reference's own float32 run is, within a factor of 10 (plus a few float32 ulps)."""
    X, Y = PROBLEMS["moons"]()
    start = reference.initialize_parameters((X.shape[0],) + hidden + (1,), "he", seed=3)
    exact, exact_costs = reference.fit(X, Y, LEARNING_RATE, hidden, ITERATIONS, activation=activation,
                                       params=start)
    ref32, ref32_costs = reference.fit(X, Y, LEARNING_RATE, hidden, ITERATIONS, activation=activation,
                                       params=start, dtype=np.float32)
    ours, our_costs = fastnn.fit(X, Y, LEARNING_RATE, hidden, ITERATIONS, activation=activation,
                                 params=start, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in ours.values())
    eps = np.finfo(np.float32).eps
    assert max_abs_diff(ours, exact) <= 10 * max_abs_diff(ref32, exact) + 8 * eps
    assert np.max(np.abs(our_costs - exact_costs)) <= 10 * np.max(np.abs(ref32_costs - exact_costs)) + 8 * eps


@pytest.mark.parametrize("hidden", DEPTHS, ids=lambda h: "x".join(map(str, h)) or "none")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_cost_and_gradients_match_reference(problem, activation, hidden):
    X, Y = problem
    params = reference.initialize_parameters((X.shape[0],) + hidden + (1,), "he", seed=4)
    A, cache = reference.forward(X, params, activation)
    ref_cost = reference.compute_cost(cache[-1][0], Y)
    ref_grads = reference.backward(X, Y, params, cache, activation)
    cost, grads = fastnn.cost_and_gradients(X, Y, params, activation)
    assert abs(cost - ref_cost) <= 1e-14
    assert max_abs_diff(grads, ref_grads) <= 1e-14


@pytest.mark.parametrize("n_hidden", [1, 3, 4, 9])
@pytest.mark.parametrize("n_inputs", [1, 2, 3, 4, 5, 6, 9])
def test_one_hidden_layer_gradients_match_reference(n_inputs, n_hidden):
    """The fused backward pass of ``n_x -> n_h -> 1`` networks (``rows.one_output_backward``): every
    tail of inputs after the fours (3, 2, 1), several hidden units, two blocks of samples."""
    rng = np.random.default_rng(n_inputs * 10 + n_hidden)
    X = rng.normal(size=(n_inputs, 1500))
    Y = (rng.random((1, 1500)) < 0.5).astype(np.float64)
    params = reference.initialize_parameters((n_inputs, n_hidden, 1), "he", seed=1)
    params["b1"] += rng.normal(size=params["b1"].shape)
    A, cache = reference.forward(X, params, "tanh")
    ref_grads = reference.backward(X, Y, params, cache, "tanh")
    cost, grads = fastnn.cost_and_gradients(X, Y, params, "tanh")
    assert abs(cost - reference.compute_cost(cache[-1][0], Y)) <= 1e-13
    assert max_abs_diff(grads, ref_grads) <= 1e-13


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", DEPTHS, ids=lambda h: "x".join(map(str, h)) or "none")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_predict_proba_matches_reference(problem, activation, hidden, dtype):
    X, Y = problem
    params = reference.initialize_parameters((X.shape[0],) + hidden + (1,), "he", seed=5, dtype=dtype)
    expected = reference.predict_proba(X.astype(dtype), params, activation)
    proba = fastnn.predict_proba(X, params, activation)
    assert proba.shape == (1, X.shape[1]) and proba.dtype == dtype
    tolerance = 1e-15 if dtype == np.float64 else 4 * np.finfo(np.float32).eps
    np.testing.assert_allclose(proba, expected, rtol=tolerance, atol=tolerance)
    labels = fastnn.predict(X, params, activation)
    np.testing.assert_array_equal(labels, (expected > 0.5).astype(int))


@pytest.mark.parametrize("init", INITS)
def test_initial_weights_match_reference(init):
    sizes = (7, 6, 4, 1)
    ours, _ = fastnn.fit(*PROBLEMS["random7"](), 0.1, (6, 4), 0, init=init, seed=11)
    theirs = reference.initialize_parameters(sizes, init, seed=11)
    assert max_abs_diff(ours, theirs) == 0.0


@pytest.mark.parametrize("fit", [fastnn.fit, reference.fit], ids=["fastnn", "reference"])
def test_seed_004_initial_weights(fit):
    """seed=0 with init="small" draws exactly what seed 004's ``np.random.seed(0)`` code draws."""
    np.random.seed(0)
    W1 = np.random.randn(5, 2) * 0.01
    W2 = np.random.randn(1, 5) * 0.01
    params, _ = fit(*PROBLEMS["moons"](), 0.6, 5, 0, init="small", seed=0)
    np.testing.assert_array_equal(params["W1"], W1)
    np.testing.assert_array_equal(params["W2"], W2)
    np.testing.assert_array_equal(params["b1"], np.zeros((5, 1)))


def test_reference_imports_numpy_only():
    """The oracle shares no code with fastnn (a bug in a shared helper would pass both sides)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(reference))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "." for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"numpy"}



def test_each_activation_runs_its_own_kernel_when_called_from_python():
    """Net's codes are constants of its numba type. Called from Python one after another in one
    process, the forward pass of each activation must run that activation's kernel (numba's
    dispatcher caches an argument's type by a fingerprint that ignores a plain int's value: it
    would reuse the first network's kernel for every later one)."""
    from fastnn.kernels.network import forward_block
    from fastnn.layout import Layout
    from fastnn.training import make_net

    rng = np.random.RandomState(0)
    sizes = (2, 5, 1)
    X = rng.randn(2, 64)
    params = reference.initialize_parameters(sizes, "he", seed=0)
    theta = Layout(sizes).from_dict(params, np.float64)
    for activation in list(ACTIVATIONS) + list(ACTIVATIONS)[::-1]:
        net = make_net(sizes, fastnn.functional.ACTIVATIONS[activation], 0.3, 0, np.dtype(np.float64))
        A, D = np.zeros((6, 64)), np.zeros((6, 64))
        forward_block(theta, net, X, 0, A, D, 64)
        _, cache = reference.forward(X, params, activation, leak=0.3)
        assert np.max(np.abs(A[:5] - cache[0][1])) <= 1e-14, activation
