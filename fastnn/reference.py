"""The seeds' network in plain NumPy: the oracle every fastnn kernel is tested against.

Written to be read, not to be fast, the way the seeds write it: ``forward`` keeps a cache of
each layer's Z and A, ``compute_cost``, ``backward`` by the delta rule, ``update_parameters``, and
``fit`` loops over them. Layout as in the seeds: ``X`` (n_features, m), ``Y`` (1, m),
``W_l`` (n_l, n_{l-1}), ``b_l`` (n_l, 1). Any depth; logistic regression has no hidden layer.

Only two things differ from the seeds' code, both for numerical safety with the same maths: the
cost is computed from the output logit Z (``max(Z, 0) - Y Z + log1p(exp(-|Z|))``, equal to
``-(Y log A + (1 - Y) log(1 - A))`` but finite when A rounds to 0 or 1), and the sigmoid never
overflows ``exp``. This module imports NumPy only: its argument checks and weight draws are its own
(the seeds' ``np.random`` calls), so a bug in fastnn's ``validation``, ``init`` or ``layout`` cannot
pass through the oracle too. A diverging run raises ``FloatingPointError`` (fastnn raises its
subclass ``DivergenceError``).

The last part is the oracle of minibatch training, for ``fit``'s other optimizers and for fastnn's
scikit-learn estimators: the other output kinds (``OUTPUTS``: softmax, identity and exp outputs
with their losses), weighted losses and gradients, the L2 penalty, SGD and Adam steps, and an
epoch of minibatch training.
"""
import numpy as np


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


def softmax(Z):
    """Column-wise softmax: each sample's outputs (a column of Z) exponentiated and normalised."""
    E = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return E / np.sum(E, axis=0, keepdims=True)


def logistic_loss(Z, Y):
    """Binary cross-entropy of sigmoid(Z), from the logit (finite for any finite Z)."""
    return np.maximum(Z, 0) - Y * Z + np.log1p(np.exp(-np.abs(Z)))


def xlogy(Y, P):
    """``Y log P``, 0 where Y is 0 (scipy's ``xlogy``)."""
    return np.where(Y != 0, Y * np.log(np.where(Y != 0, P, 1)), 0)


def clipped(P):
    """Probabilities clipped to ``[eps, 1 - eps]`` (eps of their dtype) before their log, as
    scikit-learn's log-losses clip them."""
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


def binary_log_loss(Z, Y):
    """scikit-learn's ``binary_log_loss`` per element: from the rounded probability, clipped."""
    P = clipped(sigmoid(Z))
    return -(xlogy(Y, P) + xlogy(1 - Y, 1 - P))


def log_loss(Z, Y):
    """Categorical cross-entropy of softmax(Z), clipped, against one-hot columns of Y."""
    return -xlogy(Y, clipped(softmax(Z)))


def squared_error(Z, Y):
    return (Z - Y) ** 2 / 2


def poisson_loss(Z, Y):
    """Half the Poisson deviance of exp(Z): ``y log(y / exp(z)) - y + exp(z)``, 0 log 0 = 0."""
    A = np.exp(Z)
    Y_log_Y_over_A = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1) / A), 0)
    return Y_log_Y_over_A - Y + A


#: output kind -> (output activation of the logits Z, element-wise loss(Z, Y)); with these pairs,
#: the loss's gradient with respect to Z is ``activation(Z) - Y``.
OUTPUTS = {
    "logistic": (sigmoid, logistic_loss),
    "binary_log_loss": (sigmoid, binary_log_loss),
    "log_loss": (softmax, log_loss),
    "squared_error": (lambda Z: Z, squared_error),
    "poisson": (np.exp, poisson_loss),
}


def initialize_parameters(sizes, init, seed, dtype=np.float64):
    """``{"W1", "b1", ...}`` for layer ``sizes``, weights drawn W1 first from RandomState(seed)
    (or from ``seed`` itself, a RandomState), in float64 and then cast."""
    rng = random_state(seed)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = INITS[init](rng, sizes[l], sizes[l - 1]).astype(dtype)
        params[f"b{l}"] = np.zeros((sizes[l], 1), dtype)
    return params


def random_state(seed):
    """A ``RandomState``: ``seed`` itself if it is one, else ``RandomState(seed)`` (None, an int)."""
    if not (seed is None or isinstance(seed, (int, np.integer, np.random.RandomState))) or isinstance(seed, bool):
        raise ValueError(f"seed must be None, an int or a numpy.random.RandomState, got {seed!r}")
    return seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)


def forward(X, params, activation, leak=0.01, output="logistic"):
    """Output activations A_L (probabilities for the seeds' logistic output) and the cache
    ``[(Z1, A1), ..., (ZL, AL)]``; ``output`` names the output kind (``OUTPUTS``)."""
    g = ACTIVATIONS[activation][0]
    n_layers = len(params) // 2
    A = X
    cache = []
    for l in range(1, n_layers + 1):
        Z = np.dot(params[f"W{l}"], A) + params[f"b{l}"]
        A = g(Z, leak) if l < n_layers else OUTPUTS[output][0](Z)
        cache.append((Z, A))
    return A, cache


def compute_cost(Z_out, Y):
    """Mean binary cross-entropy of the output logits ``Z_out`` against the labels ``Y``."""
    m = Y.shape[1]
    losses = np.maximum(Z_out, 0) - Y * Z_out + np.log1p(np.exp(-np.abs(Z_out)))
    return float(np.sum(losses) / m)


def backward(X, Y, params, cache, activation, leak=0.01):
    """Gradients ``{"dW1", "db1", ...}`` of the cost, by the delta rule from the output down."""
    m = X.shape[1]
    grads = backpropagate(X, cache[-1][1] - Y, params, cache, activation, leak)
    return {name: value / m for name, value in grads.items()}


def backpropagate(X, dZ, params, cache, activation, leak=0.01):
    """Gradients ``{"dW1", "db1", ...}`` of a loss summed over samples whose gradient with respect
    to the output logits is ``dZ``: the delta rule from the output down."""
    g_prime = ACTIVATIONS[activation][1]
    n_layers = len(cache)
    grads = {}
    for l in range(n_layers, 0, -1):
        A_prev = X if l == 1 else cache[l - 2][1]
        grads[f"dW{l}"] = np.dot(dZ, A_prev.T)
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
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


def fit(X, Y, learning_rate, hidden_size, iterations, *, optimizer="gd", batch_size=None, shuffle=True, alpha=0.0,
        momentum=0.9, beta_1=0.9, beta_2=0.999, epsilon=1e-8, learning_rate_schedule="constant", power_t=0.5,
        activation="tanh", init="small", seed=None, params=None, leak=0.01, dtype=None, print_cost=False,
        callback=None):
    """The seeds' loop of full-batch gradient descent, or epochs of minibatches with another
    optimizer (``minibatch_epoch``); same signature and results as ``fastnn.fit``."""
    X, Y, sizes, dtype = checked_arguments(X, Y, learning_rate, hidden_size, iterations, activation, init, leak,
                                           dtype, print_cost, callback)
    check_optimizer(optimizer, batch_size, shuffle, alpha, momentum, beta_1, beta_2, epsilon, learning_rate_schedule,
                    power_t)
    rng = random_state(seed)
    if params is None:
        params = initialize_parameters(sizes, init, rng, dtype)
    else:
        params = checked_params(params, sizes, dtype)
    m = X.shape[1]
    batch_size = m if batch_size is None else min(batch_size, m)
    step = optimizer_step(optimizer, params, momentum, beta_1, beta_2, epsilon)
    order = np.arange(m)
    costs = np.empty(iterations)
    for i in range(iterations):
        rate = learning_rate
        if learning_rate_schedule == "invscaling" and optimizer != "adam":
            rate = learning_rate / (i * m + 1) ** power_t  # scikit-learn's: after i * m samples
        if optimizer == "gd" and alpha == 0:  # the seeds' iteration
            A, cache = forward(X, params, activation, leak)
            costs[i] = compute_cost(cache[-1][0], Y)
            if np.isfinite(costs[i]):
                params = update_parameters(params, backward(X, Y, params, cache, activation, leak), dtype.type(rate))
        else:
            if shuffle and batch_size < m:
                rng.shuffle(order)
            params, costs[i] = minibatch_epoch(X, Y, np.ones(m, dtype), params, order, batch_size, activation,
                                               "logistic", alpha, lambda params, grads: step(params, grads, rate),
                                               leak=leak)
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {costs[i]:f}")
        if callback is not None:
            callback(i, costs[i])
        if not np.isfinite(costs[i]):
            raise FloatingPointError(f"training diverged: the cost is {costs[i]} at iteration {i}")
    if not all(np.all(np.isfinite(value)) for value in params.values()):
        raise FloatingPointError("training diverged: the parameters contain NaN or inf")
    return params, costs


def optimizer_step(name, params, momentum, beta_1, beta_2, epsilon):
    """``step(params, grads, rate)``: one update by optimizer ``name`` (``OPTIMIZERS``), its state
    (velocities, or Adam's moments and step count) kept from call to call."""
    velocities = {key: np.zeros_like(value) for key, value in params.items()}
    moments = {key: (np.zeros_like(value), np.zeros_like(value)) for key, value in params.items()}
    t = [0]

    def step(params, grads, rate):
        if name in ("gd", "sgd"):
            return update_parameters(params, grads, rate)
        if name == "adam":
            t[0] += 1
            params, new_moments = adam_step(params, grads, moments, t[0], rate, beta_1, beta_2, epsilon)
            moments.update(new_moments)
            return params
        params, new_velocities = sgd_step(params, grads, velocities, rate, momentum, name == "nesterov")
        velocities.update(new_velocities)
        return params

    return step


def _check(condition, message):
    if condition:
        raise ValueError(message)


def _real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and np.isfinite(value)


def _whole(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def checked_arguments(X, Y, learning_rate, hidden_size, iterations, activation, init, leak, dtype, print_cost,
                      callback):
    """``(X, Y, layer sizes, dtype)`` for ``fit``, or a ValueError naming the bad argument."""
    _check(dtype is not None and dtype not in (np.float64, np.float32, "float64", "float32"), f"dtype must be float64 or float32, got {dtype!r}")
    dtype = np.dtype(dtype or np.float64)
    X_in = np.asarray(X)
    _check(not (np.issubdtype(X_in.dtype, np.number) or X_in.dtype == bool), f"X must hold numbers, got {X_in.dtype}")
    _check(np.iscomplexobj(X_in), "X must hold real numbers")
    _check(X_in.ndim != 2, f"X must be 2-D, got shape {X_in.shape}")
    _check(X_in.size == 0, f"X is empty (shape {X_in.shape})")
    with np.errstate(over="ignore"):
        X = np.ascontiguousarray(X_in, dtype=dtype)
    _check(np.all(np.isfinite(X_in)) and not np.all(np.isfinite(X)),
           f"X has a value of magnitude {np.max(np.abs(X_in)):.4g}, which exceeds {dtype.name}'s range")
    _check(not np.all(np.isfinite(X)), "X contains NaN or inf")
    Y = np.asarray(Y)
    Y = Y.reshape(1, -1) if Y.ndim == 1 else Y
    _check(Y.ndim != 2 or Y.shape[0] != 1, f"Y must have shape (1, n_samples), got {Y.shape}")
    _check(Y.shape[1] != X.shape[1], f"X has {X.shape[1]} samples but Y has {Y.shape[1]}")
    _check(not np.all((Y == 0) | (Y == 1)), "Y must hold only the labels 0 and 1")
    _check(not _real(learning_rate) or learning_rate <= 0, f"learning_rate must be > 0, got {learning_rate!r}")
    _check(not _whole(iterations) or iterations < 0, f"iterations must be an int >= 0, got {iterations!r}")
    _check(not (_whole(hidden_size) or isinstance(hidden_size, (tuple, list))),
           f"hidden_size must be an int or a tuple of ints, got {hidden_size!r}")
    hidden = () if hidden_size == 0 else (hidden_size,) if _whole(hidden_size) else tuple(hidden_size)
    _check(not all(_whole(n) and n >= 1 for n in hidden), f"hidden layer sizes must be ints >= 1, got {hidden_size!r}")
    _check(not isinstance(activation, str) or activation not in ACTIVATIONS, f"unknown activation {activation!r}")
    _check(not isinstance(init, str) or init not in INITS, f"unknown init {init!r}")
    _check(not _real(leak) or leak < 0, f"leak must be a finite number >= 0, got {leak!r}")
    _check(not isinstance(print_cost, (bool, np.bool_)), f"print_cost must be True or False, got {print_cost!r}")
    _check(callback is not None and not callable(callback), f"callback must be callable, got {callback!r}")
    return X, Y.astype(dtype), (X.shape[0],) + tuple(int(n) for n in hidden) + (1,), dtype


def check_optimizer(optimizer, batch_size, shuffle, alpha, momentum, beta_1, beta_2, epsilon, learning_rate_schedule,
                    power_t):
    """A ValueError naming the first bad optimizer setting of ``fit``, if any."""
    _check(not isinstance(optimizer, str) or optimizer not in OPTIMIZERS, f"unknown optimizer {optimizer!r}")
    _check(batch_size is not None and not (_whole(batch_size) and batch_size >= 1),
           f"batch_size must be None or an int >= 1, got {batch_size!r}")
    _check(batch_size is not None and optimizer == "gd", "batch_size must be None for optimizer 'gd'")
    _check(not isinstance(shuffle, (bool, np.bool_)), f"shuffle must be True or False, got {shuffle!r}")
    _check(not _real(alpha) or alpha < 0, f"alpha must be a finite number >= 0, got {alpha!r}")
    for name, value in (("momentum", momentum), ("beta_1", beta_1), ("beta_2", beta_2)):
        _check(not _real(value) or not 0 <= value < 1, f"{name} must be a number in [0, 1), got {value!r}")
    _check(not _real(epsilon) or epsilon <= 0, f"epsilon must be a finite number > 0, got {epsilon!r}")
    _check(learning_rate_schedule not in ("constant", "invscaling"),
           f"unknown learning_rate_schedule {learning_rate_schedule!r}")
    _check(not _real(power_t) or power_t < 0, f"power_t must be a finite number >= 0, got {power_t!r}")


def checked_params(params, sizes, dtype):
    """Copies of the seeds' dict ``params`` in ``dtype``, or a ValueError if it does not fit ``sizes``."""
    names = [f"{kind}{l}" for l in range(1, len(sizes)) for kind in "Wb"]
    _check(not isinstance(params, dict) or set(params) != set(names), f"params must have exactly the keys {names}")
    out = {}
    for l in range(1, len(sizes)):
        for name, shape in ((f"W{l}", (sizes[l], sizes[l - 1])), (f"b{l}", (sizes[l], 1))):
            value = np.asarray(params[name])
            _check(value.shape != shape, f"params[{name!r}] has shape {value.shape}, layer sizes {sizes} need {shape}")
            _check(not np.all(np.isfinite(value)), f"params[{name!r}] contains NaN or inf")
            out[name] = value.astype(dtype)
    return out


# Minibatch training, as scikit-learn's MLPClassifier and MLPRegressor run it: the oracle of
# fastnn.kernels.optimizers and fastnn.kernels.train.minibatch_epoch.

def loss_and_gradients(X, Y, w, params, activation, output, leak=0.01):
    """Loss summed over samples with weights ``w`` (and over outputs), and its gradients."""
    A, cache = forward(X, params, activation, leak, output)
    loss = float(np.sum(OUTPUTS[output][1](cache[-1][0], Y) * w))
    return loss, backpropagate(X, (A - Y) * w, params, cache, activation, leak)


def squared_weights(params):
    """Sum of the squared weights, biases excluded (the L2 penalty is alpha / 2 times it)."""
    return float(sum(np.sum(value ** 2) for name, value in params.items() if name.startswith("W")))


def regularized_gradients(params, grads, alpha, total_weight):
    """``(dW + alpha W) / total_weight`` and ``db / total_weight``."""
    out = {}
    for name, value in params.items():
        penalty = alpha * value if name.startswith("W") else 0
        out[f"d{name}"] = (grads[f"d{name}"] + penalty) / total_weight
    return out


def sgd_step(params, grads, velocities, rate, momentum, nesterov):
    """SGD with momentum: ``v = momentum v - rate g``, then ``p += v`` or, with Nesterov's
    momentum, ``p += momentum v - rate g``. Returns new params and velocities."""
    new_params, new_velocities = {}, {}
    for name, value in params.items():
        g = grads[f"d{name}"]
        v = momentum * velocities[name] - rate * g
        new_velocities[name] = v
        new_params[name] = value + (momentum * v - rate * g if nesterov else v)
    return new_params, new_velocities


def adam_step(params, grads, moments, t, rate, beta_1, beta_2, epsilon):
    """Step ``t`` (from 1) of Adam; ``moments`` maps each name to ``(m, v)``. Returns new params
    and moments. The bias correction is folded into the rate, as scikit-learn does."""
    rate_t = rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    new_params, new_moments = {}, {}
    for name, value in params.items():
        g = grads[f"d{name}"]
        m = beta_1 * moments[name][0] + (1 - beta_1) * g
        v = beta_2 * moments[name][1] + (1 - beta_2) * g ** 2
        new_moments[name] = (m, v)
        new_params[name] = value - rate_t * m / (np.sqrt(v) + epsilon)
    return new_params, new_moments


def minibatch_epoch(X, Y, w, params, order, batch_size, activation, output, alpha, step, loss_scale=1.0,
                    leak=0.01):
    """One epoch over the samples ``order`` in batches of ``batch_size``; ``step(params, grads)``
    returns the updated params. Returns the new params and the mean batch loss (each batch's
    ``loss_scale * weighted mean loss + alpha / 2 |W|^2 / sum(w)``, weighted by the batch size)."""
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, grads = loss_and_gradients(X[:, batch], Y[:, batch], w[batch], params, activation, output, leak)
        weight = np.sum(w[batch])
        total += (loss_scale * loss / weight + alpha / 2 * squared_weights(params) / weight) * len(batch)
        params = step(params, regularized_gradients(params, grads, alpha, weight))
    return params, total / len(order)


#: optimizer name -> its update rule, the oracle of ``fastnn.kernels.optimizers.OPTIMIZERS``:
#: ``gd`` (full batch) and ``sgd`` step down the gradient, ``momentum`` and ``nesterov`` keep a
#: velocity, ``adam`` two moments.
OPTIMIZERS = {"gd": update_parameters, "sgd": update_parameters, "momentum": sgd_step, "nesterov": sgd_step,
              "adam": adam_step}
