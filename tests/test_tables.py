"""One table per concept: every activation, loss and optimizer is named once (name -> kernel code
-> reference function), and every entry has a kernel branch that computes what its reference
function computes, and a derivative check. A new row without its branch or its reference fails here."""
import numpy as np
import pytest

from fastnn import reference
from fastnn.estimators.network import HIDDEN_ACTIVATIONS
from fastnn.kernels import activations, losses, network, optimizers
from fastnn.solvers import optimizer

from .test_output_kinds import run_output, targets

STEP = 1e-6


def test_every_table_names_the_same_entries_as_its_reference():
    assert set(activations.ACTIVATIONS) == set(reference.ACTIVATIONS)
    assert set(losses.OUTPUTS) == set(reference.OUTPUTS)
    assert set(optimizers.OPTIMIZERS) == set(reference.OPTIMIZERS)
    for table in (activations.ACTIVATIONS, losses.OUTPUTS):
        assert len(set(table.values())) == len(table)  # one code per name


def test_every_code_has_the_kernel_a_network_of_its_kind_compiles():
    """A kernel passed a ``Net`` runs the case kernel of its constant code (``Kernel.cases``); a
    code without one would compile every branch again."""
    assert set(activations.activate_row.cases) == set(activations.ACTIVATIONS.values())
    assert set(losses.output_loss_delta.cases) == set(losses.OUTPUTS.values())
    assert set(losses.output_activation.cases) == set(losses.OUTPUTS.values())
    assert set(network.backward_pass.cases) == {network.ONE_OUTPUT, network.LAYERS}


def test_the_estimators_names_are_aliases_of_the_activation_table():
    assert set(activations.SKLEARN_NAMES) <= set(activations.ACTIVATIONS)
    assert HIDDEN_ACTIVATIONS["logistic"] == activations.ACTIVATIONS["sigmoid"] and "sigmoid" not in HIDDEN_ACTIVATIONS
    assert set(HIDDEN_ACTIVATIONS.values()) == set(activations.ACTIVATIONS.values())


def kernel_activation(name, Z, leak):
    A = Z.copy()
    D = np.full_like(Z, np.nan)
    activations.activate_row(activations.ACTIVATIONS[name], Z.dtype.type(leak), A, 0, D, 0, Z.shape[1])
    return A, D


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_each_activation_has_a_kernel_branch_and_a_derivative_check(name):
    rng = np.random.RandomState(0)
    Z = rng.uniform(-4, 4, (1, 200))
    Z[np.abs(Z) < 1e-3] = 0.5  # away from ReLU's kink
    leak = 0.03
    g, g_prime = reference.ACTIVATIONS[name]
    A, D = kernel_activation(name, Z, leak)
    np.testing.assert_allclose(A, g(Z, leak), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(D, g_prime(Z, g(Z, leak), leak), rtol=1e-14, atol=1e-15)
    central = (g(Z + STEP, leak) - g(Z - STEP, leak)) / (2 * STEP)
    np.testing.assert_allclose(D, central, atol=1e-8)


@pytest.mark.parametrize("kind", sorted(losses.OUTPUTS))
def test_each_loss_has_a_kernel_branch_and_a_derivative_check(kind):
    rng = np.random.RandomState(1)
    n_out, n = (3 if kind == "log_loss" else 2), 6
    Z = rng.randn(n_out, n)
    Y = targets(kind, n_out, n, rng)
    w = rng.uniform(0.5, 1.5, n)
    activation, loss = reference.OUTPUTS[kind]

    def total(Z):
        return float(np.sum(loss(Z, Y) * w))

    kernel_loss, delta = run_output(kind, Z, Y, w)
    assert abs(kernel_loss - total(Z)) <= 1e-13 * abs(total(Z))
    np.testing.assert_allclose(delta, (activation(Z) - Y) * w, atol=1e-15)
    central = np.zeros_like(Z)
    for index in np.ndindex(Z.shape):
        step = np.zeros_like(Z)
        step[index] = STEP
        central[index] = (total(Z + step) - total(Z - step)) / (2 * STEP)
    np.testing.assert_allclose(delta, central, atol=1e-8)


@pytest.mark.parametrize("name", sorted(optimizers.OPTIMIZERS))
def test_each_optimizer_has_a_kernel_branch_equal_to_its_reference_rule(name):
    rng = np.random.RandomState(2)
    theta = rng.randn(12)
    state = optimizer(name, theta.size, theta.dtype, 0.05, momentum=0.8, beta_1=0.85, beta_2=0.99, epsilon=1e-7)
    step = reference.optimizer_step(name, {"W1": theta}, 0.8, 0.85, 0.99, 1e-7)
    params = {"W1": theta.copy()}
    for _ in range(3):
        grad = rng.randn(theta.size)
        optimizers.optimizer_step(theta, grad.copy(), state.kernel_state())
        params = step(params, {"dW1": grad}, 0.05)
        np.testing.assert_allclose(theta, params["W1"], rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", sorted(optimizers.OPTIMIZERS))
def test_each_optimizer_descends(name):
    """Steps against the gradient of ``|theta|**2 / 2`` (which is theta) lower it."""
    theta = np.random.RandomState(3).randn(8)
    state = optimizer(name, theta.size, theta.dtype, 0.01)
    for _ in range(5):
        before = theta @ theta
        optimizers.optimizer_step(theta, theta.copy(), state.kernel_state())
        assert theta @ theta < before
