"""The seed-style API: shapes, dtypes, input formats, callbacks, continuing a fit, not mutating."""
import numpy as np
import pytest

import fastnn

from .conftest import max_abs_diff, moons

X, Y = moons(n_samples=200)


def test_readme_example():
    Xm, Ym = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
    assert Xm.shape == (2, 2000) and Ym.shape == (1, 2000)
    params, costs = fastnn.fit(Xm, Ym, learning_rate=0.6, hidden_size=5, iterations=3000, activation="tanh",
                               init="small", seed=0)
    assert sorted(params) == ["W1", "W2", "b1", "b2"]
    assert params["W1"].shape == (5, 2) and params["b1"].shape == (5, 1)
    assert params["W2"].shape == (1, 5) and params["b2"].shape == (1, 1)
    assert costs.shape == (3000,) and costs.dtype == np.float64
    proba = fastnn.predict_proba(Xm, params, activation="tanh")
    labels = fastnn.predict(Xm, params, activation="tanh")
    assert proba.shape == (1, 2000) and np.all((proba > 0) & (proba < 1))
    assert labels.shape == (1, 2000) and labels.dtype.kind == "i" and set(np.unique(labels)) <= {0, 1}
    assert fastnn.accuracy(Ym, labels) > 90


@pytest.mark.parametrize("convert", [
    lambda a: a.tolist(),
    np.asfortranarray,
    lambda a: np.ascontiguousarray(a.T).T,  # a transposed (non-contiguous) view
    lambda a: a.astype(np.float32),
], ids=["list", "fortran", "transposed-view", "float32"])
def test_input_formats_give_the_same_result(convert):
    expected, expected_costs = fastnn.fit(X, Y, 0.5, 4, 50, seed=0)
    params, costs = fastnn.fit(convert(X), convert(Y), 0.5, 4, 50, seed=0)
    tolerance = 1e-6 if convert(X) is not None and np.asarray(convert(X)).dtype == np.float32 else 0.0
    assert max_abs_diff(params, expected) <= tolerance
    assert np.max(np.abs(costs - expected_costs)) <= tolerance


def test_integer_inputs_and_1d_labels():
    Xi = np.round(X * 10).astype(np.int64)
    a, _ = fastnn.fit(Xi, Y.ravel().astype(bool), 0.1, 3, 20, seed=0)
    b, _ = fastnn.fit(Xi.astype(float), Y, 0.1, 3, 20, seed=0)
    assert max_abs_diff(a, b) == 0.0


def test_float32_end_to_end():
    params, costs = fastnn.fit(X, Y, 0.5, 4, 100, seed=0, dtype="float32")
    assert all(v.dtype == np.float32 for v in params.values())
    assert fastnn.predict_proba(X, params).dtype == np.float32


def test_params_are_not_modified_and_training_continues():
    start, _ = fastnn.fit(X, Y, 0.5, (4, 3), 0, init="he", seed=0)
    saved = {k: v.copy() for k, v in start.items()}
    half, first_costs = fastnn.fit(X, Y, 0.5, (4, 3), 100, params=start)
    assert max_abs_diff(start, saved) == 0.0
    full, costs = fastnn.fit(X, Y, 0.5, (4, 3), 200, params=start)
    rest, rest_costs = fastnn.fit(X, Y, 0.5, (4, 3), 100, params=half)
    assert max_abs_diff(rest, full) == 0.0
    assert np.array_equal(np.concatenate([first_costs, rest_costs]), costs)


def test_zero_iterations_returns_the_start():
    start, _ = fastnn.fit(X, Y, 0.5, 3, 0, seed=5)
    again, costs = fastnn.fit(X, Y, 0.5, 3, 0, params=start)
    assert costs.shape == (0,) and max_abs_diff(start, again) == 0.0


def test_logistic_regression_has_one_layer():
    params, _ = fastnn.fit(X, Y, 0.5, 0, 10, seed=0)
    assert sorted(params) == ["W1", "b1"] and params["W1"].shape == (1, 2)
    assert sorted(fastnn.fit(X, Y, 0.5, (), 10, seed=0)[0]) == ["W1", "b1"]


def test_callback_sees_every_iteration_in_order():
    seen = []
    _, costs = fastnn.fit(X, Y, 0.5, 3, 2500, seed=0, callback=lambda i, c: seen.append((i, c)))
    assert [i for i, _ in seen] == list(range(2500))
    assert np.array_equal([c for _, c in seen], costs)


def test_print_cost_every_thousand(capsys):
    fastnn.fit(X, Y, 0.5, 3, 2001, seed=0, print_cost=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"Cost after iteration {i}" for i in (0, 1000, 2000)]


def test_interrupt_leaves_the_callers_params_untouched():
    """An exception from the callback (as Ctrl-C would be) stops fit; the caller's dict is intact."""
    start, _ = fastnn.fit(X, Y, 0.5, 3, 0, seed=0)
    saved = {k: v.copy() for k, v in start.items()}

    def interrupt(i, cost):
        if i == 500:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fastnn.fit(X, Y, 0.5, 3, 10_000, params=start, callback=interrupt)
    assert max_abs_diff(start, saved) == 0.0


def test_ctrl_c_interrupts_a_long_fit():
    """SIGINT during a fit that would run for minutes raises KeyboardInterrupt in the process."""
    import signal
    import subprocess
    import sys

    code = ("import sys, fastnn; X, Y = fastnn.datasets.moons(500, 0.25, seed=0)\n"
            "def started(i, cost):\n"
            "    if i == 0: print('started', flush=True)\n"
            "fastnn.fit(X, Y, 0.5, 5, 50_000_000, seed=0, callback=started)\n"
            "print('finished', flush=True)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "started"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)  # a safety net, not a measurement
    assert "finished" not in out
    assert "KeyboardInterrupt" in err
