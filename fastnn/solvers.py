"""The Python side of the optimizers: learning-rate schedules and optimizer state, for the
estimators and the seed-style ``fit`` alike (``fastnn.engine``).

scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer`` (``_stochastic_optimizers.py``) decide the
learning rate between epochs and update the weights after every batch. Here the updates run in
the compiled epoch (``fastnn.kernels.optimizers``) over flat state buffers held by these objects,
and the between-epoch decisions stay in Python, with scikit-learn's arithmetic and messages. The
objects are plain (picklable) and persist between ``partial_fit`` calls, as scikit-learn's do.
"""
import numpy as np

from .kernels.optimizers import ADAM, OPTIMIZERS, SGD, Optimizer


class SGDOptimizer:
    """SGD with momentum (Nesterov's or not) and a constant, inverse-scaling or adaptive rate."""

    def __init__(self, n_params, dtype, learning_rate_init, lr_schedule, momentum, nesterov, power_t):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype)
        self._unused = (np.zeros(0, dtype), np.zeros(1, np.int64))  # Adam's buffers, in the kernels' tuple

    def kernel_state(self):
        """The kernels' ``Optimizer`` for the coming epoch (its rate is fixed within an epoch)."""
        return Optimizer(SGD, float(self.learning_rate), float(self.momentum), bool(self.nesterov), 0.0, 0.0, 0.0,
                         self.velocity, *self._unused)

    def iteration_ends(self, time_step):
        """After an epoch: the inverse-scaling rate for ``time_step`` samples seen."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = float(self.learning_rate_init) / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        """No improvement for too long: stop, or (adaptive rate) divide the rate by 5 and go on."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class AdamOptimizer:
    """Adam, its bias correction folded into the rate (``fastnn.kernels.optimizers.adam_update``)."""

    def __init__(self, n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.step = np.zeros(1, np.int64)  # Adam's t, counted by the kernel
        self.m = np.zeros(n_params, dtype)
        self.v = np.zeros(n_params, dtype)

    def kernel_state(self):
        return Optimizer(ADAM, float(self.learning_rate_init), 0.0, False, float(self.beta_1), float(self.beta_2),
                         float(self.epsilon), self.m, self.v, self.step)

    def iteration_ends(self, time_step):
        pass

    def trigger_stopping(self, msg, verbose):
        if verbose:
            print(msg + " Stopping.")
        return True


def optimizer(name, n_params, dtype, learning_rate, schedule="constant", power_t=0.5, momentum=0.9, beta_1=0.9,
              beta_2=0.999, epsilon=1e-8):
    """The state of optimizer ``name`` (``kernels.optimizers.OPTIMIZERS``) for ``n_params``
    parameters of ``dtype``; ``schedule`` and ``power_t`` set SGD's rate, which Adam ignores."""
    code, velocity, nesterov = OPTIMIZERS[name]
    if code == ADAM:
        return AdamOptimizer(n_params, dtype, learning_rate, beta_1, beta_2, epsilon)
    return SGDOptimizer(n_params, dtype, learning_rate, schedule, momentum if velocity else 0.0, nesterov, power_t)


def make_optimizer(estimator, n_params, dtype):
    """The optimizer ``estimator.solver`` names, with the estimator's settings."""
    name = estimator.solver
    if name == "sgd":
        name = "nesterov" if estimator.nesterovs_momentum else "momentum"
    return optimizer(name, n_params, dtype, estimator.learning_rate_init, estimator.learning_rate,
                     estimator.power_t, estimator.momentum, estimator.beta_1, estimator.beta_2, estimator.epsilon)
