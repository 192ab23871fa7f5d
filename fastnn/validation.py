"""Checks and conversions at the boundary: bad input gets a ValueError that says what is wrong.

Kernels never validate; everything they receive has passed through here, converted once to a
C-contiguous array of the working dtype.
"""
import numbers
from collections import namedtuple

import numpy as np

from .errors import DivergenceError

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def float_dtype(dtype):
    """The working dtype: float64 when ``dtype`` is None, else float64 or float32."""
    if dtype is None:
        return np.dtype(np.float64)
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be float64 or float32, got {dtype!r}")
    return resolved


def as_matrix(value, name, dtype):
    """``value`` as a finite, non-empty, C-contiguous 2-D array of ``dtype`` (copied only if needed)."""
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise ValueError(f"{name} must hold real numbers, got complex dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got {array.ndim}-D with shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    with np.errstate(over="ignore"):  # a value past the dtype's range is reported below
        converted = np.ascontiguousarray(array, dtype=dtype)
    if not np.all(np.isfinite(converted)):
        if np.all(np.isfinite(array)):
            big = np.max(np.abs(array[~np.isfinite(converted)]))
            raise ValueError(f"{name} has a value of magnitude {big:.4g}, which exceeds {np.dtype(dtype).name}'s "
                             f"range (largest {np.finfo(dtype).max:.4g}): scale the data")
        raise ValueError(f"{name} contains NaN or inf")
    return converted


def binary_labels(Y, n_samples, dtype):
    """Labels as a ``(1, n_samples)`` array of 0.0/1.0; ``Y`` of shape (1, m) or (m,), values in {0, 1}."""
    array = np.asarray(Y)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[0] != 1:
        raise ValueError(f"Y must have shape (1, n_samples), got {np.shape(Y)}")
    if array.shape[1] != n_samples:
        raise ValueError(f"X has {n_samples} samples (columns) but Y has {array.shape[1]}: "
                         f"X must be (n_features, n_samples) and Y (1, n_samples)")
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"Y must hold the labels 0 and 1, got dtype {array.dtype}")
    if not np.all((array == 0) | (array == 1)):
        bad = np.unique(array[(array != 0) & (array != 1)])[:5]
        raise ValueError(f"Y must hold only the labels 0 and 1, found {bad.tolist()}")
    return np.ascontiguousarray(array, dtype=dtype)


def positive_number(value, name):
    """``value`` as a finite float > 0."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def non_negative_number(value, name):
    """``value`` as a finite float >= 0."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def count(value, name):
    """``value`` as an int >= 0."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return int(value)


def hidden_sizes(hidden_size):
    """Hidden layer sizes as a tuple: an int n >= 1 is ``(n,)``, 0 or ``()`` no hidden layer
    (logistic regression), a tuple or list one entry per hidden layer, each >= 1."""
    if isinstance(hidden_size, numbers.Integral) and not isinstance(hidden_size, bool):
        return () if hidden_size == 0 else hidden_sizes((hidden_size,))
    if not isinstance(hidden_size, (tuple, list)):
        raise ValueError(f"hidden_size must be an int or a tuple of ints, got {hidden_size!r}")
    for n in hidden_size:
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"hidden layer sizes must be ints >= 1, got {hidden_size!r}")
    return tuple(int(n) for n in hidden_size)


def choice(value, name, table):
    """``table[value]``, or a ValueError listing the valid names."""
    if not isinstance(value, str) or value not in table:
        raise ValueError(f"unknown {name} {value!r}; choose one of {sorted(table)}")
    return table[value]


#: The checked arguments of a seed-style ``fit`` (``fastnn.fit`` and ``fastnn.reference.fit``).
FitArguments = namedtuple("FitArguments", "X Y learning_rate sizes iterations activation leak dtype")


def fit_arguments(X, Y, learning_rate, hidden_size, iterations, activation, activations, init, inits,
                  leak, dtype, print_cost, callback):
    """Check and convert the arguments of a seed-style ``fit``; ``activations`` and ``inits`` are
    the caller's tables of valid names."""
    dtype = float_dtype(dtype)
    X = as_matrix(X, "X", dtype)
    Y = binary_labels(Y, X.shape[1], dtype)
    choice(activation, "activation", activations)
    choice(init, "init", inits)
    if not isinstance(print_cost, (bool, np.bool_)):
        raise ValueError(f"print_cost must be True or False, got {print_cost!r}")
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable, got {callback!r}")
    return FitArguments(X=X, Y=Y, learning_rate=positive_number(learning_rate, "learning_rate"),
                        sizes=(X.shape[0],) + hidden_sizes(hidden_size) + (1,),
                        iterations=count(iterations, "iterations"), activation=activation,
                        leak=non_negative_number(leak, "leak"), dtype=dtype)


#: The optimizer settings of a seed-style fit (``fastnn.fit``, ``fastnn.sweep``), checked; the
#: defaults are ``fastnn.fit``'s. ``batch_size`` None is the full batch.
OptimizerSettings = namedtuple("OptimizerSettings", "optimizer batch_size shuffle alpha momentum beta_1 beta_2 epsilon "
                               "learning_rate_schedule power_t",
                               defaults=("gd", None, True, 0.0, 0.9, 0.9, 0.999, 1e-8, "constant", 0.5))

#: Learning-rate schedules, scikit-learn's meaning: ``constant``, or ``invscaling``, the rate of an
#: epoch ``learning_rate / (t + 1) ** power_t`` after t samples.
SCHEDULES = dict.fromkeys(("constant", "invscaling"))


def fraction(value, name):
    """``value`` as a float in [0, 1)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def optimizer_settings(optimizers, optimizer="gd", batch_size=None, shuffle=True, alpha=0.0, momentum=0.9,
                       beta_1=0.9, beta_2=0.999, epsilon=1e-8, learning_rate_schedule="constant", power_t=0.5):
    """Checked ``OptimizerSettings``; ``optimizers`` is the table of valid optimizer names."""
    choice(optimizer, "optimizer", optimizers)
    if batch_size is not None:
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be None (the full batch) or an int >= 1, got {batch_size!r}")
        if optimizer == "gd":
            raise ValueError("batch_size must be None for optimizer 'gd', full-batch gradient descent; "
                             "minibatches without momentum are optimizer='sgd'")
        batch_size = int(batch_size)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"shuffle must be True or False, got {shuffle!r}")
    choice(learning_rate_schedule, "learning_rate_schedule", SCHEDULES)
    return OptimizerSettings(optimizer, batch_size, bool(shuffle), non_negative_number(alpha, "alpha"),
                             fraction(momentum, "momentum"), fraction(beta_1, "beta_1"), fraction(beta_2, "beta_2"),
                             positive_number(epsilon, "epsilon"), learning_rate_schedule,
                             non_negative_number(power_t, "power_t"))


def check_finite_parameters(params):
    """Raise DivergenceError if training left a NaN or inf in ``params`` (arrays)."""
    if not all(np.all(np.isfinite(p)) for p in params):
        raise DivergenceError("training diverged: the parameters contain NaN or inf after the last "
                              "update; lower the learning rate")


def diverged(cost, iteration, learning_rate):
    """The DivergenceError for a NaN or infinite ``cost`` at ``iteration``."""
    return DivergenceError(f"training diverged: the cost is {cost} at iteration {iteration}; "
                           f"lower the learning rate (now {learning_rate})")
