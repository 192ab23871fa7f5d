"""The seeds' API, fast: ``fit``, ``predict_proba``, ``predict``, ``accuracy``, ``cost_and_gradients``.

Arrays are in the seeds' layout: ``X`` is ``(n_features, n_samples)``, ``Y`` is ``(1, n_samples)``
of 0/1 labels, ``params`` is the dict ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}``. The network
is a stack of dense layers with one hidden ``activation`` and a sigmoid output trained on binary
cross-entropy, by full-batch gradient descent or by minibatches and another optimizer
(``fastnn.engine``); ``fastnn.reference`` is the same algorithm in plain NumPy, and the tests hold
the two together.
"""
import contextlib

import numpy as np

from . import validation
from .engine import Trainer, plain_gradient_descent
from .init import INITS, check_seed, initial_theta, random_state
from .kernels import train
from .kernels.activations import ACTIVATIONS
from .kernels.losses import LOGISTIC
from .kernels.network import Data
from .kernels.optimizers import OPTIMIZERS
from .kernels.train import loss_grad, loss_grad_parallel
from .layout import Layout, sizes_from_params
from .training import blas_threads, make_net, make_workspace
from .twins import FasterTwin


def fit(X, Y, learning_rate, hidden_size, iterations, *, optimizer="gd", batch_size=None, shuffle=True, alpha=0.0,
        momentum=0.9, beta_1=0.9, beta_2=0.999, epsilon=1e-8, learning_rate_schedule="constant", power_t=0.5,
        activation="tanh", init="small", seed=None, params=None, leak=0.01, dtype=None, print_cost=False,
        callback=None):
    """Train a network, by default by the seeds' full-batch gradient descent; return ``(params, costs)``.

    Parameters
    ----------
    X, Y : array-like, shapes (n_features, n_samples) and (1, n_samples) (or (n_samples,)), Y in {0, 1}.
    learning_rate : float > 0.
    hidden_size : int, tuple of ints, 0 or ().
        One hidden layer of that many units, one layer per entry, or none (logistic regression).
    iterations : int >= 0, epochs (a full-batch epoch is one step).
    optimizer : {"gd", "sgd", "momentum", "nesterov", "adam"}
        ``gd`` is full-batch gradient descent (the seeds'); ``sgd`` the same on minibatches;
        ``momentum`` and ``nesterov`` add a velocity (``momentum``), scikit-learn's SGD; ``adam``
        is scikit-learn's Adam (``beta_1``, ``beta_2``, ``epsilon``).
    batch_size : None (the full batch) or int >= 1 (a larger one is the full batch); not for ``gd``.
    shuffle : bool, reshuffle the samples before every epoch of minibatches (drawn from ``seed``).
    alpha : float >= 0, L2 penalty ``alpha / 2 |W|**2 / batch size`` (biases unpenalised), as scikit-learn's.
    momentum, beta_1, beta_2 : floats in [0, 1). epsilon : float > 0.
    learning_rate_schedule : {"constant", "invscaling"}
        ``invscaling``: epoch k (from 0) runs at ``learning_rate / (k n_samples + 1) ** power_t``,
        scikit-learn's; Adam ignores it, as scikit-learn's does.
    power_t : float >= 0.
    activation : {"tanh", "sigmoid", "relu", "leaky_relu", "arctan", "identity"}
        Hidden-layer activation; the output is always a sigmoid.
    init : {"small", "he", "glorot"}
        Weight draw: randn * 0.01 (seed 004), randn * sqrt(2 / fan_in) (seed 001), or Glorot
        uniform. Ignored when ``params`` is given.
    seed : None, int or numpy.random.RandomState, for the initial weights, then the shuffles.
    params : dict, optional
        Initial parameters (the seeds' dict) instead of a fresh draw; never modified.
    leak : float >= 0, slope of leaky_relu for z < 0.
    dtype : None (float64), float64 or float32.
    print_cost : bool, print the cost every 1,000 iterations, as seed 004 does.
    callback : callable(iteration, cost), optional, called for every iteration, in order, after
        the compiled chunk that contains it returns.

    Returns
    -------
    params : dict of the trained ``W1, b1, ...`` (new arrays of ``dtype``).
    costs : float64 array of length ``iterations``; ``costs[i]`` is epoch i's mean minibatch cost
        (L2 penalty included), for a full batch the cost before update i.

    Raises
    ------
    ValueError on bad input; DivergenceError (a FloatingPointError) when the cost or the parameters
    become NaN or infinite: training stops there instead of returning garbage.

    Examples
    --------
    >>> import fastnn
    >>> X, Y = fastnn.datasets.moons(n_samples=400, noise=0.25, seed=0)
    >>> params, costs = fastnn.fit(X, Y, learning_rate=0.6, hidden_size=5, iterations=2000, seed=0)
    >>> params["W1"].shape, params["b2"].shape, len(costs)
    ((5, 2), (1, 1), 2000)
    >>> bool(costs[-1] < costs[0]), fastnn.accuracy(Y, fastnn.predict(X, params)) > 85
    (True, True)
    """
    args = validation.fit_arguments(X, Y, learning_rate, hidden_size, iterations, activation, ACTIVATIONS,
                                    init, INITS, leak, dtype, print_cost, callback)
    settings = validation.optimizer_settings(OPTIMIZERS, optimizer, batch_size, shuffle, alpha, momentum, beta_1,
                                             beta_2, epsilon, learning_rate_schedule, power_t)
    dtype = args.dtype
    layout = Layout(args.sizes)
    # plain gradient descent from given params draws nothing: no RandomState
    draws = params is None or not plain_gradient_descent(settings)
    with random_state(seed) if draws else contextlib.nullcontext(check_seed(seed)) as rng:
        theta = layout.from_dict(params, dtype) if params is not None else initial_theta(layout, init, rng, dtype)
        trainer = Trainer(args.X, args.Y, theta, args.sizes, ACTIVATIONS[activation], args.leak, args.learning_rate,
                          settings, rng)
        costs = np.empty(args.iterations)
        for first, stop in trainer.epochs(costs):
            for i in range(first, stop):
                if print_cost and i % 1000 == 0:
                    print(f"Cost after iteration {i}: {costs[i]:f}")
                if callback is not None:
                    callback(i, costs[i])
    validation.check_finite_parameters([theta])
    return layout.to_dict(theta), costs


def _network(X, params, activation, leak):
    """Checked ``(theta, layout, net, X)`` for evaluating ``params`` on ``X``, in float32 if every
    parameter is float32, else in float64."""
    sizes = sizes_from_params(params)
    all_float32 = all(np.asarray(v).dtype == np.float32 for v in params.values())
    dtype = np.dtype(np.float32 if all_float32 else np.float64)
    layout = Layout(sizes)
    theta = layout.from_dict(params, dtype)
    X = validation.as_matrix(X, "X", dtype)
    if X.shape[0] != sizes[0]:
        raise ValueError(f"X has {X.shape[0]} features (rows) but params expect {sizes[0]}")
    code = validation.choice(activation, "activation", ACTIVATIONS)
    net = make_net(sizes, code, validation.non_negative_number(leak, "leak"), LOGISTIC, dtype)
    return theta, layout, net, X


def predict_proba(X, params, activation="tanh", leak=0.01):
    """Output probabilities, shape (1, n_samples), of the network ``params`` for ``X`` (n_features, n_samples).

    Examples
    --------
    >>> import numpy as np, fastnn
    >>> params = {"W1": np.ones((3, 2)), "b1": np.zeros((3, 1)), "W2": np.ones((1, 3)), "b2": np.zeros((1, 1))}
    >>> fastnn.predict_proba(np.zeros((2, 4)), params)  # tanh(0) = 0, sigmoid(0) = 1/2
    array([[0.5, 0.5, 0.5, 0.5]])
    """
    theta, layout, net, X = _network(X, params, activation, leak)
    workspace = make_workspace(layout.sizes, X.shape[1], X.dtype, max_groups=1)
    out = np.empty((X.shape[1], layout.sizes[-1]), X.dtype)
    with blas_threads(net):
        train.predict(theta, net, X, False, out, workspace)  # the estimators' prediction kernel, serial
    return np.ascontiguousarray(out.T)  # no copy for one output unit


def cost_and_gradients(X, Y, params, activation="tanh", leak=0.01):
    """The cost of ``params`` on ``(X, Y)`` and its gradients ``{"dW1": ..., "db1": ..., ...}``.

    One fused forward + cost + backward pass (what ``fit`` runs every iteration), the fast twin
    of ``fastnn.reference`` ``forward``, ``compute_cost`` and ``backward``.
    """
    theta, layout, net, X = _network(X, params, activation, leak)
    Y = validation.binary_labels(Y, X.shape[1], X.dtype)
    n_samples = X.shape[1]
    data = Data(X, Y, np.full(n_samples, 1.0 / n_samples, X.dtype))
    workspace = make_workspace(layout.sizes, n_samples, X.dtype)
    run = FasterTwin(loss_grad, loss_grad_parallel, workspace, units=lambda args: 1, blas_threads=blas_threads(net))
    cost = run(theta, net, data, 0, n_samples, workspace)
    grads = {f"d{name}": value for name, value in layout.to_dict(workspace.grad).items()}
    return cost, grads


def predict(X, params, activation="tanh", leak=0.01):
    """0/1 labels, shape (1, n_samples), int: 1 where the probability exceeds 0.5 (seed 004)."""
    return (predict_proba(X, params, activation, leak) > 0.5).astype(int)


def accuracy(Y, Y_hat):
    """Percentage of labels in ``Y_hat`` equal to ``Y`` (seed 004's ``compute_accuracy``, unrounded).

    Examples
    --------
    >>> import fastnn
    >>> fastnn.accuracy([[0, 1, 1, 0]], [[0, 1, 0, 0]])
    75.0
    """
    Y = np.asarray(Y)
    Y_hat = np.asarray(Y_hat)
    if Y.size == 0 or np.shape(Y) != np.shape(Y_hat):
        raise ValueError(f"Y and Y_hat must be non-empty and of one shape, got {np.shape(Y)} and {np.shape(Y_hat)}")
    return float(np.mean(Y == Y_hat) * 100.0)
