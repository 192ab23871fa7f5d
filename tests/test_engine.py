"""The one training engine behind ``fastnn.fit`` (``fastnn.engine``): the default is bitwise the
seeds' dedicated gradient-descent loop; every optimizer equals ``fastnn.reference.fit`` to 1e-10
after 50 epochs at depth 1 and 2; same bits at 1 and 2 threads, serial or parallel; the seed
drives the shuffles; divergence is raised."""
import numba
import numpy as np
import pytest

import fastnn
from fastnn import reference
from fastnn.engine import Trainer
from fastnn.init import initial_theta
from fastnn.kernels import train
from fastnn.kernels.activations import ACTIVATIONS
from fastnn.kernels.losses import LOGISTIC
from fastnn.kernels.optimizers import OPTIMIZERS
from fastnn.layout import Layout
from fastnn.training import descend, full_batch
from fastnn.validation import OptimizerSettings

from .conftest import max_abs_diff, moons

X, Y = moons(n_samples=300)

#: Each optimizer's settings for the comparisons: a rate at which 50 epochs learn without chaos.
CASES = {
    "gd": dict(learning_rate=0.5),
    "sgd": dict(learning_rate=0.1, batch_size=32),
    "momentum": dict(learning_rate=0.05, batch_size=32, momentum=0.8),
    "nesterov": dict(learning_rate=0.05, batch_size=50),
    "adam": dict(learning_rate=0.01, batch_size=64, beta_1=0.85, epsilon=1e-7),
}


def same_bits(a, b):
    return sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


def dedicated_loop(X, Y, learning_rate, hidden, iterations, dtype=np.float64, seed=0):
    """What ``fastnn.fit`` ran before it had optimizers (main at 3d93203): the serial
    gradient-descent kernel over the full batch, in chunks."""
    X, Y = np.ascontiguousarray(X, dtype), np.ascontiguousarray(Y, dtype)
    sizes = (X.shape[0], *hidden, 1)
    layout = Layout(sizes)
    theta = initial_theta(layout, "small", seed, np.dtype(dtype))
    net, data, workspace = full_batch(X, Y, sizes, ACTIVATIONS["tanh"], 0.01, LOGISTIC, np.dtype(dtype))
    costs = np.empty(iterations)
    for _ in descend(train.gradient_descent, theta, net, data, learning_rate, costs, workspace):
        pass
    return layout.to_dict(theta), costs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_default_fit_is_bitwise_the_dedicated_gradient_descent_loop(dtype):
    X2, Y2 = moons(n_samples=2000)  # the seeds' network: several blocks, so the sums' order matters
    expected = dedicated_loop(X2, Y2, 0.6, (5,), 300, dtype)
    for kwargs in ({}, dict(optimizer="gd", alpha=0.0, learning_rate_schedule="constant", shuffle=False)):
        params, costs = fastnn.fit(X2, Y2, 0.6, 5, 300, seed=0, dtype=dtype, **kwargs)
        assert same_bits(params, expected[0]) and np.array_equal(costs, expected[1])
    # the comparison can fail: the same maths through the epoch kernel rounds differently
    params, costs = fastnn.fit(X2, Y2, 0.6, 5, 300, seed=0, dtype=dtype, optimizer="sgd")
    assert not np.array_equal(costs, expected[1])
    if dtype == np.float64:
        assert np.max(np.abs(costs - expected[1])) < 1e-12 and max_abs_diff(params, expected[0]) < 1e-12


@pytest.mark.parametrize("hidden", [(5,), (6, 4)], ids=["depth1", "depth2"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("variant", ["plain", "l2_invscaling"])
def test_every_optimizer_matches_reference(optimizer, hidden, variant):
    settings = dict(CASES[optimizer], optimizer=optimizer, activation="tanh", init="he", seed=4)
    if variant == "l2_invscaling":
        settings.update(alpha=1e-2, learning_rate_schedule="invscaling", power_t=0.25)
    params, costs = fastnn.fit(X, Y, hidden_size=hidden, iterations=50, **settings)
    ref_params, ref_costs = reference.fit(X, Y, hidden_size=hidden, iterations=50, **settings)
    assert costs.shape == (50,)
    assert np.max(np.abs(costs - ref_costs)) <= 1e-10
    assert max_abs_diff(params, ref_params) <= 1e-10
    assert costs[-1] < costs[0]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_float32_trains_in_float32_close_to_the_reference(optimizer):
    settings = dict(CASES[optimizer], optimizer=optimizer, seed=4, init="he")
    params, costs = fastnn.fit(X, Y, hidden_size=5, iterations=20, dtype=np.float32, **settings)
    ref_params, ref_costs = reference.fit(X, Y, hidden_size=5, iterations=20, dtype=np.float32, **settings)
    assert all(value.dtype == np.float32 for value in params.values())
    assert np.max(np.abs(costs - ref_costs)) <= 1e-5 and max_abs_diff(params, ref_params) <= 1e-4


def test_a_batch_larger_than_the_data_is_the_full_batch_and_the_full_batch_is_not_shuffled():
    full, full_costs = fastnn.fit(X, Y, 0.1, 5, 10, optimizer="adam", seed=1)
    for kwargs in (dict(batch_size=X.shape[1]), dict(batch_size=10 * X.shape[1]), dict(shuffle=False)):
        params, costs = fastnn.fit(X, Y, 0.1, 5, 10, optimizer="adam", seed=1, **kwargs)
        assert same_bits(params, full) and np.array_equal(costs, full_costs)


def test_the_seed_drives_the_shuffles():
    start = reference.initialize_parameters((2, 5, 1), "he", seed=0)
    runs = [fastnn.fit(X, Y, 0.1, 5, 5, optimizer="sgd", batch_size=20, params=start, seed=seed)
            for seed in (1, 1, 2)]
    assert same_bits(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert not same_bits(runs[0][0], runs[2][0])
    unshuffled = fastnn.fit(X, Y, 0.1, 5, 5, optimizer="sgd", batch_size=20, params=start, seed=1, shuffle=False)
    ref = reference.fit(X, Y, 0.1, 5, 5, optimizer="sgd", batch_size=20, params=start, seed=1, shuffle=False)
    assert not same_bits(unshuffled[0], runs[0][0]) and max_abs_diff(unshuffled[0], ref[0]) <= 1e-12


def test_a_random_state_seed_draws_the_weights_then_the_shuffles():
    expected = fastnn.fit(X, Y, 0.1, 5, 3, optimizer="nesterov", batch_size=40, seed=7)
    params, costs = fastnn.fit(X, Y, 0.1, 5, 3, optimizer="nesterov", batch_size=40, seed=np.random.RandomState(7))
    assert same_bits(params, expected[0]) and np.array_equal(costs, expected[1])


@pytest.mark.parametrize("optimizer", sorted(set(OPTIMIZERS) - {"gd"}))
def test_same_bits_at_one_and_two_threads_serial_and_parallel(optimizer):
    """Batches of 2,500 in blocks of 1,024: each batch is split in groups, summed in a fixed order."""
    X3, Y3 = moons(n_samples=5000)
    settings = OptimizerSettings(optimizer, batch_size=2500, alpha=1e-3)
    outcomes = []
    for threads in (1, 2):
        for kernel in (train.minibatch_epoch, train.minibatch_epoch_parallel):
            numba.set_num_threads(threads)
            try:
                rng = np.random.RandomState(3)
                layout = Layout((2, 7, 3, 1))
                theta = initial_theta(layout, "he", rng, np.dtype(np.float64))
                trainer = Trainer(X3, Y3, theta, layout.sizes, ACTIVATIONS["tanh"], 0.01, 0.05, settings, rng,
                                  twins=False)
                assert trainer.run.workspace.gpart.shape[0] > 1
                trainer.run.run = kernel
                costs = np.empty(4)
                for _ in trainer.epochs(costs):
                    pass
            finally:
                numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
            outcomes.append((theta, costs))
    for theta, costs in outcomes[1:]:
        assert np.array_equal(theta, outcomes[0][0]) and np.array_equal(costs, outcomes[0][1])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("fit", [fastnn.fit, reference.fit], ids=["fastnn", "reference"])
def test_divergence_of_minibatch_training_is_raised(fit):
    seen = []
    with pytest.raises(FloatingPointError, match="diverged"):
        fit(X, Y, 1e150, (8, 8), 100, optimizer="momentum", batch_size=30, activation="relu", init="he", seed=0,
            callback=lambda i, c: seen.append(c))
    assert len(seen) < 100
    with pytest.raises(fastnn.DivergenceError):
        fastnn.fit(X, Y, 1e150, (8, 8), 100, optimizer="momentum", batch_size=30, activation="relu", init="he",
                   seed=0)


def test_callback_and_print_cost_see_every_epoch(capsys):
    seen = []
    _, costs = fastnn.fit(X, Y, 0.01, 5, 1001, optimizer="adam", batch_size=100, seed=0, print_cost=True,
                          callback=lambda i, c: seen.append((i, c)))
    assert seen == list(enumerate(costs))
    assert capsys.readouterr().out.splitlines() == [f"Cost after iteration {i}: {costs[i]:f}" for i in (0, 1000)]
