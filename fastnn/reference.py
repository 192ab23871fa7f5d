"""The seeds' network in plain NumPy: the oracle every fastnn kernel is tested against.

Written to be read, not to be fast, the way the seeds write it: ``forward`` keeps a cache of
each layer's Z and A, ``compute_cost``, ``backward`` by the delta rule, ``update_parameters``, and
``fit`` loops over them. Layout as in the seeds: ``X`` (n_features, m), ``Y`` (1, m),
``W_l`` (n_l, n_{l-1}), ``b_l`` (n_l, 1). Any depth; logistic regression has no hidden layer.

Only two things differ from the seeds' code, both for numerical safety with the same maths: the
cost is computed from the output logit Z (``max(Z, 0) - Y Z + log1p(exp(-|Z|))``, equal to
``-(Y log A + (1 - Y) log(1 - A))`` but finite when A rounds to 0 or 1), and the sigmoid never
overflows ``exp``. This module computes with NumPy only; it shares with fastnn just the checks
of the arguments (``fastnn.validation``) and the dict <-> shapes bookkeeping (``fastnn.layout``).
"""
import numpy as np

from . import validation
from .init import check_random_state
from .layout import Layout


def sigmoid(Z):
    """1 / (1 + exp(-Z)), computed without overflow."""
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + E), E / (1 + E))


def tanh(Z, leak):
    return np.tanh(Z)


def tanh_derivative(Z, A, leak):
    return 1 - A ** 2


def sigmoid_hidden(Z, leak):
    return sigmoid(Z)


def sigmoid_derivative(Z, A, leak):
    return A * (1 - A)


def relu(Z, leak):
    return np.maximum(0, Z)


def relu_derivative(Z, A, leak):
    return (Z > 0).astype(Z.dtype)


def leaky_relu(Z, leak):
    return np.where(Z > 0, Z, leak * Z)


def leaky_relu_derivative(Z, A, leak):
    return np.where(Z > 0, 1, leak).astype(Z.dtype)


def arctan(Z, leak):
    return np.arctan(Z)


def arctan_derivative(Z, A, leak):
    return 1 / (1 + Z ** 2)


def identity(Z, leak):
    return Z


def identity_derivative(Z, A, leak):
    return np.ones_like(Z)


#: name -> (g(Z, leak), g'(Z, A, leak)) of each hidden activation.
ACTIVATIONS = {
    "tanh": (tanh, tanh_derivative),
    "sigmoid": (sigmoid_hidden, sigmoid_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "arctan": (arctan, arctan_derivative),
    "identity": (identity, identity_derivative),
}

#: name -> weight draw (rng, n_out, n_in), biases start at zero.
INITS = {
    "small": lambda rng, n_out, n_in: rng.randn(n_out, n_in) * 0.01,
    "he": lambda rng, n_out, n_in: rng.randn(n_out, n_in) * np.sqrt(2 / n_in),
    "glorot": lambda rng, n_out, n_in: rng.uniform(-1, 1, (n_out, n_in)) * np.sqrt(6 / (n_in + n_out)),
}


def initialize_parameters(sizes, init, seed, dtype=np.float64):
    """``{"W1", "b1", ...}`` for layer ``sizes``, weights drawn W1 first from RandomState(seed)."""
    rng = check_random_state(seed)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = INITS[init](rng, sizes[l], sizes[l - 1]).astype(dtype)
        params[f"b{l}"] = np.zeros((sizes[l], 1), dtype)
    return params


def forward(X, params, activation, leak=0.01):
    """Output probabilities A_L (1, m) and the cache ``[(Z1, A1), ..., (ZL, AL)]``."""
    g = ACTIVATIONS[activation][0]
    n_layers = len(params) // 2
    A = X
    cache = []
    for l in range(1, n_layers + 1):
        Z = np.dot(params[f"W{l}"], A) + params[f"b{l}"]
        A = g(Z, leak) if l < n_layers else sigmoid(Z)
        cache.append((Z, A))
    return A, cache


def compute_cost(Z_out, Y):
    """Mean binary cross-entropy of the output logits ``Z_out`` against the labels ``Y``."""
    m = Y.shape[1]
    losses = np.maximum(Z_out, 0) - Y * Z_out + np.log1p(np.exp(-np.abs(Z_out)))
    return float(np.sum(losses) / m)


def backward(X, Y, params, cache, activation, leak=0.01):
    """Gradients ``{"dW1", "db1", ...}`` of the cost, by the delta rule from the output down."""
    g_prime = ACTIVATIONS[activation][1]
    m = X.shape[1]
    n_layers = len(cache)
    grads = {}
    dZ = cache[-1][1] - Y
    for l in range(n_layers, 0, -1):
        A_prev = X if l == 1 else cache[l - 2][1]
        grads[f"dW{l}"] = np.dot(dZ, A_prev.T) / m
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True) / m
        if l > 1:
            Z_prev = cache[l - 2][0]
            dZ = np.dot(params[f"W{l}"].T, dZ) * g_prime(Z_prev, A_prev, leak)
    return grads


def update_parameters(params, grads, learning_rate):
    """One gradient-descent step: a new dict ``param - learning_rate * dparam``."""
    return {name: value - learning_rate * grads[f"d{name}"] for name, value in params.items()}


def predict_proba(X, params, activation="tanh", leak=0.01):
    """Output probabilities (1, m)."""
    return forward(X, params, activation, leak)[0]


def fit(X, Y, learning_rate, hidden_size, iterations, *, activation="tanh", init="small", seed=None,
        params=None, leak=0.01, dtype=None, print_cost=False, callback=None):
    """Full-batch gradient descent, the seeds' loop; same signature and results as ``fastnn.fit``."""
    args = validation.fit_arguments(X, Y, learning_rate, hidden_size, iterations, activation, ACTIVATIONS,
                                    init, INITS, leak, dtype, print_cost, callback)
    X, Y, dtype = args.X, args.Y, args.dtype
    if params is None:
        params = initialize_parameters(args.sizes, init, seed, dtype)
    else:
        layout = Layout(args.sizes)
        params = layout.to_dict(layout.from_dict(params, dtype))
    learning_rate = dtype.type(args.learning_rate)
    costs = np.empty(args.iterations)
    for i in range(args.iterations):
        A, cache = forward(X, params, activation, args.leak)
        costs[i] = compute_cost(cache[-1][0], Y)
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {costs[i]:f}")
        if callback is not None:
            callback(i, costs[i])
        if not np.isfinite(costs[i]):
            raise validation.diverged(costs[i], i, args.learning_rate)
        grads = backward(X, Y, params, cache, activation, args.leak)
        params = update_parameters(params, grads, learning_rate)
    validation.check_finite_parameters(params.values())
    return params, costs
