"""One training engine for the seed-style API (``fastnn.fit``, ``fastnn.sweep``) and the estimators.

An epoch is one call of the compiled epoch (``kernels.train.minibatch_epoch``, through ``Epochs``,
which the estimators call too): every minibatch a fused forward, loss, backward, L2 penalty and
update by any optimizer of ``kernels.optimizers.OPTIMIZERS``, whose state and learning-rate
schedule live in ``fastnn.solvers``, as for the estimators. Between epochs, Python shuffles the
samples (with the fit's ``RandomState``, as scikit-learn does) and sets the rate.

One specialisation: the seeds' plain full-batch gradient descent (``gd`` without L2 or
schedule) runs ``kernels.train.gradient_descent``, many iterations per call, which gives exactly
the results ``fastnn.fit`` has always given and is faster than an epoch per call (see the README).
"""
import numpy as np

from .errors import DivergenceError
from .kernels.losses import LOGISTIC
from .kernels.network import Data
from .kernels.train import gradient_descent, gradient_descent_parallel, minibatch_epoch, minibatch_epoch_parallel
from .solvers import optimizer
from .training import (blas_threads, descend, full_batch, make_batch, make_net, make_workspace,
                       minibatch_block)
from .twins import Direct, FasterTwin


class Epochs:
    """The compiled epoch (``kernels.train.minibatch_epoch``) of network ``net`` (layer ``sizes``)
    over ``data`` (sample-major ``X``) in batches of ``batch_size``, with its buffers, allocated
    once. A call ``(theta, order, alpha, loss_scale, optimizer)`` trains one epoch over the samples
    ``order`` by the ``fastnn.solvers`` optimizer and returns the kernel's ``(total, done)``.
    ``twins``: pick the faster of the serial and parallel kernels (``twins.FasterTwin``), or run
    the serial one only. What ``fit``, the sweeps and the estimators call for every epoch."""

    def __init__(self, net, sizes, data, batch_size, dtype, twins):
        self.net, self.data, self.batch_size = net, data, batch_size
        self.batch = make_batch(sizes, batch_size, dtype)
        self.workspace = make_workspace(sizes, batch_size, dtype, block=minibatch_block(sizes, batch_size, dtype))
        self.blas_threads = blas_threads(net)
        self.run = Direct(minibatch_epoch)
        if twins:
            self.run = FasterTwin(minibatch_epoch, minibatch_epoch_parallel, self.workspace, units=lambda args: 1)

    def __call__(self, theta, order, alpha, loss_scale, optimizer):
        with self.blas_threads:
            return self.run(theta, self.net, self.data, order, self.batch, self.batch_size, alpha, loss_scale,
                            optimizer.kernel_state(), self.workspace)

    def train(self, theta, order, alpha, loss_scale, optimizer, epochs, shuffle, rng, seen=0):
        """The epoch loop that ``fit``, the sweeps and the estimators share; they run their hooks
        (costs, stopping rules, callbacks) between its steps. For each of ``epochs`` epochs: shuffle
        ``order`` in place if ``shuffle`` (``rng.shuffle``, scikit-learn's draws), train it, and
        yield its mean minibatch loss, or None for a loss that became NaN or inf (the epoch
        stopped before that batch's update, at sample ``self.done``). ``seen`` samples were
        trained on before: the optimizer's schedule counts on from there."""
        n_samples = order.shape[0]
        for _ in range(epochs):
            if shuffle:
                rng.shuffle(order)
            total, self.done = self(theta, order, alpha, loss_scale, optimizer)
            if self.done < n_samples:
                yield None
                return
            seen += n_samples
            optimizer.iteration_ends(seen)
            yield total / n_samples


def plain_gradient_descent(settings):
    """Whether ``settings`` (``validation.OptimizerSettings``) are the seeds' full-batch gradient
    descent, which the dedicated loop runs."""
    return settings.optimizer == "gd" and settings.alpha == 0 and settings.learning_rate_schedule == "constant"


class Trainer:
    """Trains the flat buffer ``theta`` in place on feature-major ``X``, ``Y`` (checked, of
    theta's dtype) with the sigmoid output and binary cross-entropy, epoch by epoch.

    ``activation`` is a kernel code, ``settings`` checked ``OptimizerSettings``, ``rng`` the
    ``RandomState`` that shuffles. ``twins``: pick the faster of the serial and parallel kernels
    (``twins.FasterTwin``), or run the serial one only (a sweep's runs, one per thread).
    ``epochs(costs, start=0)`` trains iterations ``start .. len(costs) - 1``, filling ``costs`` and
    yielding ``(first, stop)`` ranges of them as they are done.
    """

    def __init__(self, X, Y, theta, sizes, activation, leak, learning_rate, settings, rng, twins=True):
        self.theta = theta
        self.learning_rate = learning_rate
        dtype = theta.dtype
        if plain_gradient_descent(settings):
            self.net, self.data, self.workspace = full_batch(X, Y, sizes, activation, leak, LOGISTIC, dtype)
            self.run = gradient_descent
            if twins:  # no net: descend runs each chunk under blas_threads(net) already
                self.run = FasterTwin(gradient_descent, gradient_descent_parallel, self.workspace,
                                      units=lambda args: len(args[4]), regions=lambda args: 1)
            self.epochs = self._descend
            return
        n_samples = X.shape[1]
        batch_size = n_samples if settings.batch_size is None else min(settings.batch_size, n_samples)
        data = Data(np.ascontiguousarray(X.T), Y, np.ones(n_samples, dtype))  # the epoch reads sample-major X
        self.run = Epochs(make_net(sizes, activation, leak, LOGISTIC, dtype), sizes, data, batch_size, dtype, twins)
        self.optimizer = optimizer(settings.optimizer, theta.size, dtype, learning_rate, settings.learning_rate_schedule,
                                   settings.power_t, settings.momentum, settings.beta_1, settings.beta_2,
                                   settings.epsilon)
        self.alpha = settings.alpha
        self.order = np.arange(n_samples)
        self.shuffle = settings.shuffle and batch_size < n_samples  # a full batch is the same in any order
        self.rng = rng
        self.epochs = self._minibatch_epochs

    def _descend(self, costs, start=0):
        return descend(self.run, self.theta, self.net, self.data, self.learning_rate, costs, self.workspace, start)

    def _minibatch_epochs(self, costs, start=0):
        """Epochs ``start .. len(costs) - 1``; ``costs[i]`` is epoch i's mean minibatch cost
        (scikit-learn's ``loss_curve_``). Yields ``(i, i + 1)`` after epoch i; raises
        DivergenceError at a minibatch whose cost is NaN or inf, before its update."""
        epochs = self.run.train(self.theta, self.order, self.alpha, 1.0, self.optimizer, len(costs) - start,
                                self.shuffle, self.rng, seen=start * self.order.shape[0])
        for i, loss in enumerate(epochs, start):
            if loss is None:
                raise DivergenceError(f"training diverged: the cost of a minibatch is NaN or inf in epoch {i}; "
                                      f"lower the learning rate (now {self.learning_rate})")
            costs[i] = loss
            yield i, i + 1
