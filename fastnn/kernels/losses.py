"""Output layers: activation, loss and the loss's gradient with respect to the output logits.

Each output kind pairs an output activation with its matched loss, so that the gradient with
respect to the logits z is simply ``w * (a - y)`` (w the sample's weight, a the activation).

- ``LOGISTIC``: sigmoid, binary cross-entropy from the logit (the seeds' network).
- ``BINARY_LOG_LOSS``: sigmoid, scikit-learn's ``binary_log_loss``: the cross-entropy of the
  rounded probability clipped to ``[eps, 1 - eps]`` (eps of the dtype); binary and multi-label
  classification.
- ``LOG_LOSS``: softmax, categorical cross-entropy of the probabilities clipped the same way
  (scikit-learn's ``log_loss``); multi-class classification, one-hot targets.
- ``SQUARED_ERROR``: identity, half squared error ``(z - y)**2 / 2``.
- ``POISSON``: exp, half Poisson deviance ``y log(y / a) - y + a`` (log link).

The two log-losses are computed as scikit-learn computes them, from the probability rounded to
the dtype (``log(1 - p)`` of a p near 1 keeps p's rounding error, and L-BFGS follows the loss it
is given, so only the same rounding gives the same path). The clipping only bounds the loss; the
gradient stays ``w * (a - y)`` with the unclipped a, as in scikit-learn. Losses are summed over outputs and samples; callers divide by the total weight.
"""
import numpy as np

from . import vmath
from .options import EXACT, REDUCE, kernel

LOGISTIC, BINARY_LOG_LOSS, LOG_LOSS, SQUARED_ERROR, POISSON = range(5)

#: Output kind name -> kernel code.
OUTPUTS = {
    "logistic": LOGISTIC,
    "binary_log_loss": BINARY_LOG_LOSS,
    "log_loss": LOG_LOSS,
    "squared_error": SQUARED_ERROR,
    "poisson": POISSON,
}


@kernel(REDUCE)
def _logistic_loss_delta(kind, Z, row, n_out, Y, w, col, D, n):
    """``output_loss_delta`` for LOGISTIC: the loss from the logit, never from a rounded
    probability, so it is finite for any finite z: ``loss = max(z, 0) - y z + log1p(exp(-|z|))``
    with ``log1p(exp(-|z|)) = -log(sigmoid(|z|))``, and ``dloss/dz = sigmoid(z) - y``."""
    zero = Z.dtype.type(0.0)
    col = np.uint64(col)
    loss = 0.0
    for j in range(n_out):
        for s in range(n):
            c = col + np.uint64(s)
            z = Z[row + j, s]
            y = Y[j, c]
            p, p_neg, softplus = vmath.logistic_softplus(abs(z))  # sigmoid(|z|), 1 - it, -log(it)
            # max(z, 0) - y z is exact for y in {0, 1}: no cancellation against -log(p)
            loss += w[c] * (((z if z > zero else zero) - y * z) + softplus)
            a = p if z >= zero else p_neg
            D[row + j, s] = w[c] * (a - y)
    return loss


@kernel(REDUCE)
def _squared_error_delta(kind, Z, row, n_out, Y, w, col, D, n):
    """``output_loss_delta`` for SQUARED_ERROR."""
    half = Z.dtype.type(0.5)
    col = np.uint64(col)
    loss = 0.0
    for j in range(n_out):
        for s in range(n):
            c = col + np.uint64(s)
            d = Z[row + j, s] - Y[j, c]
            loss += w[c] * (half * d * d)
            D[row + j, s] = w[c] * d
    return loss


@kernel(REDUCE)
def _poisson_loss_delta(kind, Z, row, n_out, Y, w, col, D, n):
    """``output_loss_delta`` for POISSON."""
    zero = Z.dtype.type(0.0)
    col = np.uint64(col)
    loss = 0.0
    for j in range(n_out):
        for s in range(n):
            c = col + np.uint64(s)
            a = vmath.exp(Z[row + j, s])
            y = Y[j, c]
            ylogy = y * vmath.log(y / a) if y > zero else zero  # xlogy(y, y / a)
            loss += w[c] * (ylogy - y + a)
            D[row + j, s] = w[c] * (a - y)
    return loss


@kernel(EXACT)
def clipped(p):
    """p clipped to ``[eps, 1 - eps]`` (eps of its dtype), as scikit-learn clips probabilities
    before their log; NaN passes both selects."""
    one = type(p)(1.0)
    eps = np.finfo(type(p)).eps
    p = eps if p < eps else p
    return one - eps if p > one - eps else p


@kernel(REDUCE)
def _binary_log_loss_delta(kind, Z, row, n_out, Y, w, col, D, n):
    """``output_loss_delta`` for BINARY_LOG_LOSS, scikit-learn's way: ``p = 1 / (1 + exp(-z))``
    (scipy's ``expit``: for z > 0 its only roundings are those of ``1 + exp(-z)`` and of the
    division, so exp's last-bit error does not reach p), then ``-(xlogy(y, q) + xlogy(1 - y, 1 - q))``
    of the clipped q. A term whose factor is 0 is 0, as in ``xlogy``."""
    zero = Z.dtype.type(0.0)
    one = Z.dtype.type(1.0)
    col = np.uint64(col)
    loss = 0.0
    for j in range(n_out):
        for s in range(n):
            c = col + np.uint64(s)
            y = Y[j, c]
            p = one / (one + vmath.exp(-Z[row + j, s]))
            q = clipped(p)
            term = (y * vmath.log(q) if y != zero else zero) + ((one - y) * vmath.log(one - q) if y != one else zero)
            loss -= w[c] * term
            D[row + j, s] = w[c] * (p - y)
    return loss


@kernel(REDUCE)
def _softmax_loss_delta(kind, Z, row, n_out, Y, w, col, D, n):
    """``output_loss_delta`` for LOG_LOSS: softmax over each sample's ``n_out`` logits.

    ``p_j = exp(z_j - m) / T`` and ``-log p_j = log T - (z_j - m)``, with m the sample's largest
    logit (nothing overflows) and ``T = sum_k exp(z_k - m)``. Every loop runs over the samples, so
    it vectorises: a sample's m, then T, wait in ``D[row]`` (its delta is written last), and the
    logits are shifted by m in place. The loss is ``-y log`` of the clipped rounded ``p_j``, as
    scikit-learn's ``log_loss`` takes it.
    """
    zero = Z.dtype.type(0.0)
    col = np.uint64(col)
    for s in range(n):
        D[row, s] = Z[row, s]
    for j in range(1, n_out):
        for s in range(n):
            z = Z[row + j, s]
            D[row, s] = z if z > D[row, s] else D[row, s]
    for j in range(n_out):
        for s in range(n):
            Z[row + j, s] -= D[row, s]
    for s in range(n):
        D[row, s] = zero
    for j in range(n_out):
        for s in range(n):
            D[row, s] += vmath.exp(Z[row + j, s])
    loss = 0.0
    for j in range(n_out - 1, -1, -1):
        for s in range(n):
            c = col + np.uint64(s)
            y = Y[j, c]
            p = vmath.exp(Z[row + j, s]) / D[row, s]
            loss -= w[c] * (y * vmath.log(clipped(p)) if y != zero else zero)
            D[row + j, s] = w[c] * (p - y)
    return loss


_LOSS_DELTAS = {LOGISTIC: _logistic_loss_delta, BINARY_LOG_LOSS: _binary_log_loss_delta, LOG_LOSS: _softmax_loss_delta,
                SQUARED_ERROR: _squared_error_delta, POISSON: _poisson_loss_delta}


@kernel(REDUCE)
def output_loss_delta(kind, Z, row, n_out, Y, w, col, D, n):
    """Weighted loss of a block's outputs; writes dloss/dz to ``D[row:row + n_out, :n]``.

    ``Z[row + j, s]`` is the logit z of output j for sample ``col + s`` of the targets ``Y`` and
    sample weights ``w`` (1/m each for a mean). Returns the loss summed in float64. ``LOG_LOSS``
    overwrites the logits with ``exp(z - max z)``. One kernel per kind (``_LOSS_DELTAS``); a kernel
    that passes a constant kind compiles only its own (``Kernel.cases``). (Unsigned column index:
    see ``fastnn.kernels.rows``.)
    """
    if kind == LOGISTIC:
        return _logistic_loss_delta(kind, Z, row, n_out, Y, w, col, D, n)
    if kind == BINARY_LOG_LOSS:
        return _binary_log_loss_delta(kind, Z, row, n_out, Y, w, col, D, n)
    if kind == LOG_LOSS:
        return _softmax_loss_delta(kind, Z, row, n_out, Y, w, col, D, n)
    if kind == SQUARED_ERROR:
        return _squared_error_delta(kind, Z, row, n_out, Y, w, col, D, n)
    return _poisson_loss_delta(kind, Z, row, n_out, Y, w, col, D, n)


output_loss_delta.cases = _LOSS_DELTAS


@kernel(EXACT)
def _softmax(kind, Z, row, n_out, n):
    for s in range(n):
        m = Z[row, s]
        for j in range(1, n_out):
            z = Z[row + j, s]
            m = z if z > m else m
        total = Z.dtype.type(0.0)
        for j in range(n_out):
            e = vmath.exp(Z[row + j, s] - m)
            Z[row + j, s] = e
            total += e
        for j in range(n_out):
            Z[row + j, s] /= total


@kernel(EXACT)
def _identity(kind, Z, row, n_out, n):
    return


@kernel(EXACT)
def _exp(kind, Z, row, n_out, n):
    for j in range(n_out):
        for s in range(n):
            Z[row + j, s] = vmath.exp(Z[row + j, s])


@kernel(EXACT)
def _sigmoid(kind, Z, row, n_out, n):
    for j in range(n_out):
        for s in range(n):
            Z[row + j, s] = vmath.sigmoid(Z[row + j, s])


_ACTIVATIONS = {LOGISTIC: _sigmoid, BINARY_LOG_LOSS: _sigmoid, LOG_LOSS: _softmax, SQUARED_ERROR: _identity,
                POISSON: _exp}


@kernel(EXACT)
def output_activation(kind, Z, row, n_out, n):
    """Replace the logits ``Z[row:row + n_out, :n]`` by the output activation (probabilities for
    the classification kinds, predicted values for the regression kinds); one kernel per kind
    (``_ACTIVATIONS``, ``Kernel.cases``)."""
    if kind == LOG_LOSS:
        _softmax(kind, Z, row, n_out, n)
    elif kind == SQUARED_ERROR:
        _identity(kind, Z, row, n_out, n)
    elif kind == POISSON:
        _exp(kind, Z, row, n_out, n)
    else:  # LOGISTIC, BINARY_LOG_LOSS
        _sigmoid(kind, Z, row, n_out, n)


output_activation.cases = _ACTIVATIONS
