"""Update rules over the flat buffers: L2 penalty, SGD with (Nesterov) momentum, Adam.

Parameters, gradients and optimizer state are flat buffers of one layout (``fastnn.layout``), so
each rule is one loop over arrays. The arithmetic is scikit-learn's (``_stochastic_optimizers.py``
and ``_multilayer_perceptron.py``), operation for operation, so that training follows the same
path: the gradient is ``(sum of weighted per-sample gradients + alpha W) / total weight``, biases
unpenalised; SGD keeps a velocity ``v = momentum v - rate g``; Adam folds its bias correction into
the rate. Scalars arrive as float64 and are rounded to the buffers' dtype where NumPy's promotion
rules round scikit-learn's Python floats (float32 training stays float32).
"""
from collections import namedtuple

import numpy as np

from .options import EXACT, REDUCE, kernel

SGD, ADAM = range(2)

#: Optimizer name -> (kernel code, keeps a velocity, Nesterov's velocity): the one table of
#: optimizers (``fastnn.reference.OPTIMIZERS`` holds their NumPy rules). ``gd`` is ``sgd`` on the
#: full batch, the seeds' optimizer; scikit-learn's solver ``sgd`` is ``momentum`` or ``nesterov``
#: (its ``nesterovs_momentum``), its ``adam`` is ``adam``.
OPTIMIZERS = {
    "gd": (SGD, False, False),
    "sgd": (SGD, False, False),
    "momentum": (SGD, True, False),
    "nesterov": (SGD, True, True),
    "adam": (ADAM, False, False),
}

#: Optimizer settings and state for a training driver. ``kind`` is SGD or ADAM; float64 scalars
#: ``rate`` (SGD's current learning rate, Adam's initial one), ``momentum`` (and the bool
#: ``nesterov``) for SGD, ``beta_1``, ``beta_2``, ``epsilon`` for Adam; buffers of theta's layout
#: ``m`` the velocity (SGD) or first moment (Adam) and ``v`` the second moment (Adam; may be
#: empty for SGD); ``t`` a one-element int64 array, Adam's step count (updated in place).
Optimizer = namedtuple("Optimizer", "kind rate momentum nesterov beta_1 beta_2 epsilon m v t")


@kernel(REDUCE)
def squared_weights(theta, sizes):
    """Sum of the squared weights (biases excluded), in float64: the L2 penalty is
    ``alpha / 2 * squared_weights / total weight``. (Unsigned offsets, so that the loops
    vectorise: see ``fastnn.kernels.rows``.)"""
    total = 0.0
    p = np.uint64(0)
    for layer in range(1, sizes.shape[0]):
        n_weights = sizes[layer] * sizes[layer - 1]
        layer_total = theta.dtype.type(0.0)
        for i in range(n_weights):
            w = theta[p + np.uint64(i)]
            layer_total += w * w
        total += layer_total
        p += np.uint64(n_weights + sizes[layer])
    return total


@kernel(EXACT)
def regularized_gradient(theta, grad, sizes, alpha, total_weight):
    """``grad`` (summed per-sample gradients) becomes ``(grad + alpha W) / total_weight`` for the
    weights and ``grad / total_weight`` for the biases, in place."""
    alpha = theta.dtype.type(alpha)
    total_weight = theta.dtype.type(total_weight)
    p = np.uint64(0)
    for layer in range(1, sizes.shape[0]):
        n_weights = sizes[layer] * sizes[layer - 1]
        for i in range(n_weights):
            k = p + np.uint64(i)
            grad[k] = (grad[k] + alpha * theta[k]) / total_weight
        p += np.uint64(n_weights)
        for i in range(sizes[layer]):
            k = p + np.uint64(i)
            grad[k] = grad[k] / total_weight
        p += np.uint64(sizes[layer])


@kernel(EXACT)
def sgd_update(theta, grad, velocity, rate, momentum, nesterov):
    """``v = momentum v - rate g``; ``theta += momentum v - rate g`` (Nesterov) or ``theta += v``."""
    momentum = theta.dtype.type(momentum)
    rate = theta.dtype.type(rate)
    if nesterov:
        for p in range(theta.shape[0]):
            v = momentum * velocity[p] - rate * grad[p]
            velocity[p] = v
            theta[p] += momentum * v - rate * grad[p]
    else:
        for p in range(theta.shape[0]):
            v = momentum * velocity[p] - rate * grad[p]
            velocity[p] = v
            theta[p] += v


@kernel(EXACT)
def adam_update(theta, grad, m, v, rate, beta_1, beta_2, epsilon, t):
    """Step ``t`` (from 1) of Adam: moments ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g**2``,
    then ``theta += -rate_t m / (sqrt(v) + epsilon)`` with
    ``rate_t = rate sqrt(1 - b2**t) / (1 - b1**t)``. As in scikit-learn (NumPy's promotion rules),
    rate_t is a float64 and so is the step, added to float32 parameters before rounding; the
    moments and ``sqrt(v) + epsilon`` stay in the buffers' dtype."""
    t_ = theta.dtype.type
    step = np.float64(t)  # a float power calls libm's pow, as Python's float ** int does
    rate_t = rate * np.sqrt(1.0 - beta_2 ** step) / (1.0 - beta_1 ** step)
    one_minus_beta_1 = t_(1.0 - beta_1)
    one_minus_beta_2 = t_(1.0 - beta_2)
    beta_1 = t_(beta_1)
    beta_2 = t_(beta_2)
    epsilon = t_(epsilon)
    for p in range(theta.shape[0]):
        g = grad[p]
        m_p = beta_1 * m[p] + one_minus_beta_1 * g
        v_p = beta_2 * v[p] + one_minus_beta_2 * (g * g)
        m[p] = m_p
        v[p] = v_p
        theta[p] += -rate_t * m_p / (np.sqrt(v_p) + epsilon)


@kernel(EXACT)
def optimizer_step(theta, grad, opt):
    """One update of ``theta`` by ``opt`` (an ``Optimizer``) from the regularized gradient."""
    if opt.kind == SGD:
        sgd_update(theta, grad, opt.m, opt.rate, opt.momentum, opt.nesterov)
    else:
        opt.t[0] += 1
        adam_update(theta, grad, opt.m, opt.v, opt.rate, opt.beta_1, opt.beta_2, opt.epsilon, opt.t[0])
