"""The compiled minibatch epoch (``fastnn.kernels.train.minibatch_epoch``) against
``fastnn.reference.minibatch_epoch``: every output kind, SGD and Adam, shuffled or not, ragged
batches, sample weights; bitwise the same serial, parallel and at any thread count; and a stop
before the update of a batch whose loss is not finite."""
import numba
import numpy as np
import pytest

from fastnn import reference
from fastnn.kernels import losses, optimizers, train
from fastnn.kernels.activations import ACTIVATIONS
from fastnn.kernels.network import Data
from fastnn.layout import Layout
from fastnn.training import make_batch, make_net, make_workspace

from .test_output_kinds import targets


def problem(kind, n_out, n=130, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_features, n)
    return X, targets(kind, n_out, n, rng), rng.rand(n) + 0.5


def kernel_state(solver, n_params):
    state = np.zeros(n_params), np.zeros(n_params), np.zeros(1, np.int64)
    if solver == "sgd":
        return optimizers.Optimizer(optimizers.SGD, 0.05, 0.9, True, 0.0, 0.0, 0.0, *state)
    return optimizers.Optimizer(optimizers.ADAM, 0.01, 0.0, False, 0.9, 0.999, 1e-8, *state)


def reference_step(solver, params):
    """A ``step(params, grads)`` closure with the optimizer state of ``kernel_state``."""
    if solver == "sgd":
        velocities = {k: np.zeros_like(v) for k, v in params.items()}

        def step(params, grads):
            new, velocities_now = reference.sgd_step(params, grads, velocities, 0.05, 0.9, True)
            velocities.update(velocities_now)
            return new
    else:
        moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
        t = [0]

        def step(params, grads):
            t[0] += 1
            new, moments_now = reference.adam_step(params, grads, moments, t[0], 0.01, 0.9, 0.999, 1e-8)
            moments.update(moments_now)
            return new
    return step


def epoch_data(X, Y, w):
    """The epoch kernel's ``data`` for feature-major ``X``: its ``X`` is sample-major."""
    return Data(np.ascontiguousarray(X.T), Y, w)


def run_epochs(kind, n_out, solver, batch_size, shuffle, epochs=3, hidden=(5,), activation="tanh", alpha=1e-3,
               kernel=train.minibatch_epoch, block=256):
    X, Y, w = problem(kind, n_out)
    n = X.shape[1]
    sizes = (X.shape[0],) + hidden + (n_out,)
    layout = Layout(sizes)
    params = reference.initialize_parameters(sizes, "glorot", seed=1)
    theta = layout.from_dict(params, np.float64)
    net = make_net(sizes, ACTIVATIONS[activation], 0.01, losses.OUTPUTS[kind], np.dtype(np.float64))
    data = epoch_data(X, Y, w)
    batches = make_batch(sizes, batch_size, np.dtype(np.float64))
    workspace = make_workspace(sizes, batch_size, np.dtype(np.float64), block=block)
    opt = kernel_state(solver, layout.n_params)
    step = reference_step(solver, params)
    rng = np.random.RandomState(2)
    order = np.arange(n)
    results = []
    for _ in range(epochs):
        if shuffle:
            rng.shuffle(order)
        total, done = kernel(theta, net, data, order, batches, batch_size, alpha, 1.0, opt, workspace)
        assert done == n
        params, ref_loss = reference.minibatch_epoch(X, Y, w, params, order, batch_size, activation, kind, alpha, step)
        results.append((total / n, ref_loss, theta.copy(), layout.from_dict(params, np.float64)))
    return results


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind, n_out", [(k, n) for k in sorted(losses.OUTPUTS) for n in (1, 3)
                                         if not (k == "log_loss" and n == 1)])
def test_epochs_match_reference(kind, n_out, solver):
    results = run_epochs(kind, n_out, solver, batch_size=32, shuffle=True)
    for loss, ref_loss, theta, ref_theta in results:
        assert abs(loss - ref_loss) <= 1e-12 * abs(ref_loss)
        assert np.max(np.abs(theta - ref_theta)) <= 1e-12
    assert results[-1][0] < results[0][0]  # it learns


@pytest.mark.parametrize("batch_size", [1, 7, 130, 128])
@pytest.mark.parametrize("shuffle", [True, False])
def test_batch_sizes_and_shuffling_match_reference(batch_size, shuffle):
    for loss, ref_loss, theta, ref_theta in run_epochs("binary_log_loss", 1, "adam", batch_size, shuffle,
                                                       hidden=(4, 3), activation="relu"):
        assert abs(loss - ref_loss) <= 1e-12 * abs(ref_loss)
        assert np.max(np.abs(theta - ref_theta)) <= 1e-12


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_matches_reference(activation):
    for loss, ref_loss, theta, ref_theta in run_epochs("log_loss", 3, "sgd", 16, True, hidden=(5, 4),
                                                       activation=activation):
        assert abs(loss - ref_loss) <= 1e-12 * abs(ref_loss)
        assert np.max(np.abs(theta - ref_theta)) <= 1e-12


@pytest.mark.parametrize("kernel", [train.minibatch_epoch_parallel, train.minibatch_epoch])
def test_serial_parallel_and_thread_counts_give_the_same_bits(kernel):
    """Small blocks split each batch into several groups, so the parallel twin really splits work."""
    outcomes = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            outcomes.append(run_epochs("log_loss", 3, "adam", batch_size=100, shuffle=True, kernel=kernel, block=16))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    serial = run_epochs("log_loss", 3, "adam", batch_size=100, shuffle=True, block=16)
    for outcome in outcomes:
        for (loss, _, theta, _), (loss0, _, theta0, _) in zip(outcome, serial):
            assert loss == loss0 and np.array_equal(theta, theta0)


def test_stops_before_the_update_of_a_non_finite_batch():
    X, Y, w = problem("squared_error", 1, n=100)
    X[:, 57] = 1e300  # the third batch of 25 overflows
    sizes = (4, 3, 1)
    layout = Layout(sizes)
    theta = layout.from_dict(reference.initialize_parameters(sizes, "he", seed=0), np.float64)
    net = make_net(sizes, ACTIVATIONS["relu"], 0.01, losses.SQUARED_ERROR, np.dtype(np.float64))
    data = epoch_data(X, Y, w)
    workspace = make_workspace(sizes, 25, np.dtype(np.float64))
    opt = kernel_state("sgd", layout.n_params)
    before_third = theta.copy()
    batch = make_batch(sizes, 25, np.dtype(np.float64))
    train.minibatch_epoch(before_third, net, data, np.arange(50), batch, 25, 0.0, 1.0,
                          kernel_state("sgd", layout.n_params), workspace)
    total, done = train.minibatch_epoch(theta, net, data, np.arange(100), batch, 25, 0.0, 1.0, opt, workspace)
    assert done == 50 and np.isfinite(total)
    np.testing.assert_array_equal(theta, before_third)
