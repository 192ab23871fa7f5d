"""Hidden-layer activations: the name -> code table and the kernel that applies one to a row.

A kernel takes an integer code, not a function, so that it can be cached (numba cannot cache a
kernel that takes a function argument). Adding an activation: a code here, a branch in
``activate_row``, a function in ``fastnn.reference``, and the tests pick it up from ``ACTIVATIONS``
(``tests/test_tables.py`` checks every entry has all three).
"""
from . import vmath
from .options import EXACT, kernel

IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ARCTAN = range(6)

#: Activation name -> kernel code.
ACTIVATIONS = {
    "identity": IDENTITY,
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "arctan": ARCTAN,
}

#: scikit-learn's names for activations of ``ACTIVATIONS`` (its estimators take these): aliases.
SKLEARN_NAMES = {"sigmoid": "logistic"}


@kernel(EXACT)
def activate_row(code, leak, Z, row, D, drow, n):
    """Replace ``Z[row, :n]`` (pre-activations z) by f(z) and write f'(z) to ``D[drow, :n]``.

    The derivative is taken here, in the forward pass, because arctan's needs z itself; the
    backward pass then only multiplies by ``D``. One loop per activation, each vectorised.
    """
    one = Z.dtype.type(1.0)
    zero = Z.dtype.type(0.0)
    if code == TANH:
        for s in range(n):
            a = vmath.tanh(Z[row, s])
            Z[row, s] = a
            D[drow, s] = one - a * a
    elif code == SIGMOID:
        for s in range(n):
            a, a_neg = vmath.logistic(Z[row, s])  # a_neg = 1 - a, without the cancellation
            Z[row, s] = a
            D[drow, s] = a * a_neg
    elif code == RELU:
        for s in range(n):
            z = Z[row, s]
            negative = z <= zero  # False for NaN, which then passes through
            Z[row, s] = zero if negative else z
            D[drow, s] = zero if negative else one
    elif code == LEAKY_RELU:
        for s in range(n):
            z = Z[row, s]
            negative = z <= zero
            Z[row, s] = leak * z if negative else z
            D[drow, s] = leak if negative else one
    elif code == ARCTAN:
        for s in range(n):
            z = Z[row, s]
            Z[row, s] = vmath.arctan(z)
            D[drow, s] = one / (one + z * z)
    else:  # IDENTITY
        for s in range(n):
            D[drow, s] = one
