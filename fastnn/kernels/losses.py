"""Output layers: activation, loss and the loss's gradient with respect to the output logits.

Each output kind pairs an output activation with its matched loss, so that the gradient with
respect to the logits z is simply ``w * (a - y)`` (w the sample's weight).
"""
import numpy as np

from . import vmath
from .options import EXACT, REDUCE, kernel

#: sigmoid output with binary cross-entropy, one independent probability per output unit
LOGISTIC = 0

#: Output kind name -> kernel code.
OUTPUTS = {"logistic": LOGISTIC}


@kernel(REDUCE)
def output_loss_delta(kind, Z, row, n_out, Y, w, col, D, n):
    """Weighted loss of a block's outputs; writes dloss/dz to ``D[row:row + n_out, :n]``.

    ``Z[row + j, s]`` is the logit z of output j for sample ``col + s`` of the targets ``Y`` and
    sample weights ``w`` (1/m each for a mean). Binary cross-entropy from the logit, never from a rounded
    probability, so it is finite for any finite z (0 or 1 probabilities included):
    ``loss = max(z, 0) - y z + log1p(exp(-|z|))`` with ``log1p(exp(-|z|)) = -log(sigmoid(|z|))``,
    and ``dloss/dz = sigmoid(z) - y``. Returns the loss summed in float64. (Unsigned column index: see ``fastnn.kernels.rows``.)
    """
    zero = Z.dtype.type(0.0)
    col = np.uint64(col)
    loss = 0.0
    for j in range(n_out):
        for s in range(n):
            c = col + np.uint64(s)
            z = Z[row + j, s]
            y = Y[j, c]
            p, p_neg = vmath.logistic(abs(z))  # sigmoid(|z|) in [1/2, 1], and 1 - it
            softplus = (z if z > zero else zero) - vmath.log(p)
            loss += w[c] * (softplus - y * z)
            a = p if z >= zero else p_neg
            D[row + j, s] = w[c] * (a - y)
    return loss


@kernel(EXACT)
def output_activation(kind, Z, row, n_out, n):
    """Replace the logits ``Z[row:row + n_out, :n]`` by the output activation (probabilities)."""
    for j in range(n_out):
        for s in range(n):
            Z[row + j, s] = vmath.sigmoid(Z[row + j, s])
