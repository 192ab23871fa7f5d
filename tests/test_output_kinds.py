"""The output kinds of ``fastnn.kernels.losses`` against ``fastnn.reference`` and scikit-learn's losses,
and central finite differences of the fused loss-and-gradient kernel for each kind."""
import numpy as np
import pytest
from scipy.special import expit
from sklearn.neural_network import _base as sklearn_losses

from fastnn import reference
from fastnn.kernels import losses
from fastnn.kernels.activations import ACTIVATIONS
from fastnn.kernels.network import Data
from fastnn.kernels.train import loss_grad
from fastnn.layout import Layout
from fastnn.training import make_net, make_workspace

KINDS = sorted(losses.OUTPUTS)
CLASSIFICATION = {"logistic", "binary_log_loss", "log_loss"}


def targets(kind, n_out, n, rng):
    """Targets of the kind's domain: one-hot columns (log_loss), 0/1, counts (poisson) or reals."""
    if kind == "log_loss":
        return np.eye(n_out)[:, rng.randint(0, n_out, n)]
    if kind in CLASSIFICATION:
        return (rng.rand(n_out, n) > 0.5).astype(float)
    if kind == "poisson":
        return rng.poisson(2.0, (n_out, n)).astype(float)
    return rng.randn(n_out, n)


def run_output(kind, Z, Y, w):
    """Kernel loss and deltas for logits Z (n_out, n) placed below two hidden rows of a block."""
    n_out, n = Z.shape
    block = np.zeros((n_out + 2, n), Z.dtype)
    block[2:] = Z
    D = np.full_like(block, np.nan)
    loss = losses.output_loss_delta(losses.OUTPUTS[kind], block, 2, n_out, Y, w, 0, D, n)
    return loss, D[2:]


@pytest.mark.parametrize("n_out", [1, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_loss_and_delta_match_reference(kind, n_out):
    rng = np.random.RandomState(0)
    n = 300
    Z = rng.randn(n_out, n) * 3
    Y = targets(kind, n_out, n, rng)
    w = rng.rand(n) + 0.5
    loss, D = run_output(kind, Z, Y, w)
    activation, element_loss = reference.OUTPUTS[kind]
    expected = np.sum(element_loss(Z, Y) * w)
    assert abs(loss - expected) <= 1e-13 * abs(expected)
    np.testing.assert_allclose(D, (activation(Z) - Y) * w, rtol=8e-16, atol=1e-15)  # exp, sigmoid: a few ulp


@pytest.mark.parametrize("kind", KINDS)
def test_output_activation_matches_reference(kind):
    rng = np.random.RandomState(1)
    Z = rng.randn(3, 200) * 4
    out = Z.copy()
    losses.output_activation(losses.OUTPUTS[kind], out, 0, 3, 200)
    np.testing.assert_allclose(out, reference.OUTPUTS[kind][0](Z), rtol=4e-16 * 8, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_losses_clip_as_scikit_learn(dtype):
    """binary_log_loss and log_loss give scikit-learn's clipped log-losses, saturated logits included.

    scikit-learn takes log(1 - p) of the rounded probability p: for y = 0 and a large logit z that
    term carries p's rounding error, eps * exp(z) relative. fastnn rounds p the same way, so the
    terms agree to a few ulp of the log (L-BFGS then follows scikit-learn's path).
    """
    eps = np.finfo(dtype).eps
    z = np.concatenate([np.linspace(-60, 60, 241), [-1e4, 1e4]]).astype(dtype)
    for y in (0.0, 1.0):
        ours = np.array([run_output("binary_log_loss", np.array([[zi]], dtype), np.array([[y]], dtype),
                                    np.ones(1, dtype))[0] for zi in z])
        probabilities = expit(z)  # as scikit-learn computes them, in z's dtype
        theirs = np.array([sklearn_losses.binary_log_loss(np.array([[y]]), probabilities[i:i + 1].reshape(1, 1))
                           for i in range(z.size)])
        assert np.all(np.abs(ours - theirs) <= 4 * eps * np.maximum(1, theirs))
        assert np.isclose(ours.max(), -np.log(dtype(eps)), rtol=2 * eps)  # the clip, reached at both ends
        assert np.isclose(ours.min(), -np.log1p(-dtype(eps)), rtol=2 * eps)
    Z = np.array([[0.0, 100.0, -50.0], [30.0, -100.0, 0.0], [-10.0, 0.0, 50.0]], dtype)
    Y = np.eye(3, dtype=dtype)
    loss, _ = run_output("log_loss", Z, Y, np.ones(3, dtype))
    expected = 3 * sklearn_losses.log_loss(Y.T, reference.softmax(Z.astype(np.float64)).T.astype(dtype))
    assert abs(loss - expected) <= 4 * eps * expected


def test_reference_losses_are_scikit_learns():
    """The oracle's loss functions are scikit-learn's, on logits where rounding does not matter."""
    rng = np.random.RandomState(2)
    Z = rng.randn(3, 50)
    Y01 = (rng.rand(3, 50) > 0.5).astype(float)
    Y1hot = np.eye(3)[:, rng.randint(0, 3, 50)]
    Ycount = rng.poisson(3.0, (3, 50)).astype(float)
    Yreal = rng.randn(3, 50)
    pairs = [
        (reference.binary_log_loss(Z, Y01), sklearn_losses.binary_log_loss(Y01.T, reference.sigmoid(Z).T)),
        (reference.log_loss(Z, Y1hot), sklearn_losses.log_loss(Y1hot.T, reference.softmax(Z).T)),
        (reference.squared_error(Z, Yreal), sklearn_losses.squared_loss(Yreal.T, Z.T) * 3),  # theirs: mean over outputs
        (reference.poisson_loss(Z, Ycount), sklearn_losses.poisson_loss(Ycount.T, np.exp(Z).T)),
    ]
    for ours, theirs in pairs:
        assert np.isclose(np.sum(ours) / 50, theirs, rtol=1e-13)


def far_from_kinks(X, params, activation):
    _, cache = reference.forward(X, params, activation)
    return all(np.min(np.abs(Z)) > 1e-4 for Z, _ in cache[:-1])


@pytest.mark.parametrize("hidden", [(), (5,), (4, 3)], ids=lambda h: "x".join(map(str, h)) or "none")
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("kind", [k for k in KINDS if k != "logistic"])  # logistic: tests/test_gradient_check.py
def test_gradients_match_finite_differences(kind, activation, hidden):
    """The fused kernel's gradient is the derivative of its loss (central differences, float64)."""
    rng = np.random.RandomState(3)
    n_out, n = 3, 40
    X = rng.randn(4, n)
    Y = targets(kind, n_out, n, rng)
    w = rng.rand(n) + 0.5
    sizes = (4,) + hidden + (n_out,)
    layout = Layout(sizes)
    net = make_net(sizes, ACTIVATIONS[activation], 0.01, losses.OUTPUTS[kind], np.dtype(np.float64))
    data = Data(X, Y, w)
    workspace = make_workspace(sizes, n, np.dtype(np.float64))
    for seed in range(20):
        params = reference.initialize_parameters(sizes, "he", seed=seed)
        for value in params.values():
            value += 0.1 * np.random.RandomState(seed).randn(*value.shape)
        if far_from_kinks(X, params, activation):
            break
    theta = layout.from_dict(params, np.float64)

    def loss(t):
        return loss_grad(t, net, data, 0, n, workspace)

    loss(theta)
    grad = workspace.grad.copy()
    step = 1e-6
    numeric = np.empty_like(theta)
    for p in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[p] += step
        minus[p] -= step
        numeric[p] = (loss(plus) - loss(minus)) / (2 * step)
    assert np.linalg.norm(grad) > 1e-3
    assert np.linalg.norm(grad - numeric) / (np.linalg.norm(grad) + np.linalg.norm(numeric)) < 1e-6
    ref_loss, ref_grads = reference.loss_and_gradients(X, Y, w, params, activation, kind)
    assert abs(loss(theta) - ref_loss) <= 1e-12 * abs(ref_loss)
    ref_grad = layout.from_dict({name[1:]: value for name, value in ref_grads.items()}, np.float64)
    assert np.max(np.abs(workspace.grad - ref_grad)) <= 1e-12 * np.max(np.abs(ref_grad))
