"""Hidden-layer activations: the name -> code table and the kernel that applies one to a row.

A kernel takes an integer code, not a function, so that it can be cached (numba cannot cache a
kernel that takes a function argument). Adding an activation: a code here, its row kernel in
``_ROWS`` and a branch in ``activate_row``, a function in ``fastnn.reference``, and the tests pick it
up from ``ACTIVATIONS`` (``tests/test_tables.py`` checks every entry has all of them).
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
def _tanh_row(code, leak, Z, row, D, drow, n):
    one = Z.dtype.type(1.0)
    for s in range(n):
        a = vmath.tanh(Z[row, s])
        Z[row, s] = a
        D[drow, s] = one - a * a


@kernel(EXACT)
def _sigmoid_row(code, leak, Z, row, D, drow, n):
    for s in range(n):
        a, a_neg = vmath.logistic(Z[row, s])  # a_neg = 1 - a, without the cancellation
        Z[row, s] = a
        D[drow, s] = a * a_neg


@kernel(EXACT)
def _relu_row(code, leak, Z, row, D, drow, n):
    one = Z.dtype.type(1.0)
    zero = Z.dtype.type(0.0)
    for s in range(n):
        z = Z[row, s]
        negative = z <= zero  # False for NaN, which then passes through
        Z[row, s] = zero if negative else z
        D[drow, s] = zero if negative else one


@kernel(EXACT)
def _leaky_relu_row(code, leak, Z, row, D, drow, n):
    one = Z.dtype.type(1.0)
    zero = Z.dtype.type(0.0)
    for s in range(n):
        z = Z[row, s]
        negative = z <= zero
        Z[row, s] = leak * z if negative else z
        D[drow, s] = leak if negative else one


@kernel(EXACT)
def _arctan_row(code, leak, Z, row, D, drow, n):
    one = Z.dtype.type(1.0)
    for s in range(n):
        z = Z[row, s]
        Z[row, s] = vmath.arctan(z)
        D[drow, s] = one / (one + z * z)


@kernel(EXACT)
def _identity_row(code, leak, Z, row, D, drow, n):
    one = Z.dtype.type(1.0)
    for s in range(n):
        D[drow, s] = one


_ROWS = {TANH: _tanh_row, SIGMOID: _sigmoid_row, RELU: _relu_row, LEAKY_RELU: _leaky_relu_row,
         ARCTAN: _arctan_row, IDENTITY: _identity_row}


@kernel(EXACT)
def activate_row(code, leak, Z, row, D, drow, n):
    """Replace ``Z[row, :n]`` (pre-activations z) by f(z) and write f'(z) to ``D[drow, :n]``.

    The derivative is taken here, in the forward pass, because arctan's needs z itself; the
    backward pass then only multiplies by ``D``. One kernel per activation (``_ROWS``), each a
    vectorised loop; a kernel that passes a constant code compiles only its own (``Kernel.cases``).
    """
    if code == TANH:
        _tanh_row(code, leak, Z, row, D, drow, n)
    elif code == SIGMOID:
        _sigmoid_row(code, leak, Z, row, D, drow, n)
    elif code == RELU:
        _relu_row(code, leak, Z, row, D, drow, n)
    elif code == LEAKY_RELU:
        _leaky_relu_row(code, leak, Z, row, D, drow, n)
    elif code == ARCTAN:
        _arctan_row(code, leak, Z, row, D, drow, n)
    else:  # IDENTITY
        _identity_row(code, leak, Z, row, D, drow, n)


activate_row.cases = _ROWS
