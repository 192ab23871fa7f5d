"""Each training kernel alone, so that a regression in fit points at its kernel.

- ``Block``: one block of samples (``fastnn.training.BLOCK``) through ``forward_block``,
  ``backward_block``, and the fused step (forward + loss + backward: ``group_loss_grad`` over
  a group of one block).
- ``Gradient``: ``loss_grad`` over all samples (every block, the groups, their ordered sum) and
  ``gradient_descent`` (that plus the update ``theta -= rate * grad``: the difference of the two is
  the update), serial and parallel twins.
- ``Allocations``: numba runtime allocations per iteration of ``gradient_descent`` (should be 0).
"""
import inspect

import numpy as np

from .common import DTYPES, LEARNING_RATE, by_profile, feature, hidden_sizes, moons, start


def _problem(n_samples, hidden, activation, dtype, block=None):
    """theta, net, data and a workspace for moons, from the kernels' own modules (absent: skipped)."""
    Layout = feature("fastnn.layout", "Layout")
    Data = feature("fastnn.kernels.network", "Data")
    make_net = feature("fastnn.training", "make_net")
    make_workspace = feature("fastnn.training", "make_workspace")
    ACTIVATIONS = feature("fastnn.kernels.activations", "ACTIVATIONS")
    LOGISTIC = feature("fastnn.kernels.losses", "LOGISTIC")
    dtype = np.dtype(dtype)
    sizes = (2,) + hidden_sizes(hidden) + (1,)
    X, Y = moons(n_samples, dtype)
    theta = Layout(sizes).from_dict(start(sizes), dtype)
    net = make_net(sizes, ACTIVATIONS[activation], 0.01, LOGISTIC, dtype)
    data = Data(X, Y, np.full(n_samples, 1.0 / n_samples, dtype))
    workspace = make_workspace(sizes, n_samples, dtype) if block is None else \
        make_workspace(sizes, n_samples, dtype, block=block, max_groups=1)
    return theta, net, data, workspace


class Block:
    """The per-block kernels on one block of samples, workspace of group 0."""
    params = [by_profile(["5", "16x16"], ["5", "50", "64x64"]),
              by_profile(["tanh"], ["tanh", "relu"]),
              DTYPES]
    param_names = ["hidden", "activation", "dtype"]

    def setup(self, hidden, activation, dtype):
        BLOCK = feature("fastnn.training", "BLOCK")
        self.forward_block = feature("fastnn.kernels.network", "forward_block")
        self.backward_block = feature("fastnn.kernels.network", "backward_block")
        self.group_loss_grad = feature("fastnn.kernels.train", "group_loss_grad")
        output_row = feature("fastnn.kernels.network", "output_row")
        output_loss_delta = feature("fastnn.kernels.losses", "output_loss_delta")
        self.theta, self.net, self.data, ws = _problem(BLOCK, hidden, activation, dtype, block=BLOCK)
        self.n = BLOCK
        self.A, self.D, self.T, self.grad = ws.A[0], ws.D[0], ws.T[0], ws.gpart[0]
        # The state backward_block starts from: activations, f'(z) and the output deltas of the block.
        self.forward_block(self.theta, self.net, self.data.X, 0, self.A, self.D, self.n)
        sizes = self.net.sizes
        output_loss_delta(self.net.output, self.A, output_row(sizes), sizes[-1], self.data.Y, self.data.w, 0,
                          self.D, self.n)
        self.D_start = self.D.copy()
        # since issue 9 both take ``x_rows`` (False here: feature-major data)
        rows = (False,) if "x_rows" in inspect.signature(getattr(self.backward_block, "py_func",
                                                                 self.backward_block)).parameters else ()
        self.backward_args = (self.theta, self.net, self.data.X, 0) + rows + (self.A, self.D, self.T, self.grad, self.n)
        self.step_args = (0, 1, self.theta, self.net, self.data, 0, self.n, False, ws)
        # the JIT warm for every kernel timed below
        self.time_forward_block(hidden, activation, dtype)
        self.time_backward_block(hidden, activation, dtype)
        self.time_block_loss_grad(hidden, activation, dtype)

    def time_forward_block(self, hidden, activation, dtype):
        self.forward_block(self.theta, self.net, self.data.X, 0, self.A, self.D, self.n)

    def time_backward_block(self, hidden, activation, dtype):
        # backward_block turns D's hidden rows into deltas in place: start each call from the same D
        # (the copy of a few rows x BLOCK values is part of the time).
        np.copyto(self.D, self.D_start)
        self.backward_block(*self.backward_args)

    def time_block_loss_grad(self, hidden, activation, dtype):
        self.group_loss_grad(*self.step_args)


class Gradient:
    """Whole-data kernels, ten iterations' worth: ``loss_grad`` called 10 times, and ``gradient_descent``
    for 10 iterations (the same gradients plus the update and the cost check).

    Ten in a row because that is how fit runs them: the parallel twin's threads stay awake between
    iterations. After an idle pause, waking them costs milliseconds on a busy or virtual machine,
    which a single call would measure instead of the kernel.
    """
    calls = 10
    params = [by_profile([2000], [2000, 20000]),
              by_profile(["5"], ["5", "64x64"]),
              DTYPES,
              ["serial", "parallel"]]
    param_names = ["n_samples", "hidden", "dtype", "twin"]

    def setup(self, n_samples, hidden, dtype, twin):
        suffix = "_parallel" if twin == "parallel" else ""
        self.loss_grad = feature("fastnn.kernels.train", "loss_grad" + suffix)
        self.gradient_descent = feature("fastnn.kernels.train", "gradient_descent" + suffix)
        self.theta, self.net, self.data, self.ws = _problem(n_samples, hidden, "tanh", dtype)
        self.rate = np.dtype(dtype).type(LEARNING_RATE)
        self.costs = np.empty(self.calls)
        self.time_loss_grad(n_samples, hidden, dtype, twin)  # the JIT warm
        self.time_gradient_descent(n_samples, hidden, dtype, twin)

    def time_loss_grad(self, n_samples, hidden, dtype, twin):
        for _ in range(self.calls):
            self.loss_grad(self.theta, self.net, self.data, 0, n_samples, self.ws)

    def time_gradient_descent(self, n_samples, hidden, dtype, twin):
        self.gradient_descent(self.theta, self.net, self.data, self.rate, self.costs, self.ws)


class Allocations:
    """Allocations by numba's runtime per iteration of ``gradient_descent`` (fused kernels: none)."""
    params = [["5", "64x64"], ["serial", "parallel"]]
    param_names = ["hidden", "twin"]
    unit = "allocations"

    def setup(self, hidden, twin):
        try:
            from numba.core.runtime import _nrt_python, rtsys
        except ImportError:
            raise NotImplementedError("numba's runtime statistics are not available") from None
        _nrt_python.memsys_enable_stats()
        self.allocations = lambda: rtsys.get_allocation_stats().alloc
        suffix = "_parallel" if twin == "parallel" else ""
        self.gradient_descent = feature("fastnn.kernels.train", "gradient_descent" + suffix)
        self.theta, self.net, self.data, self.ws = _problem(2000, hidden, "tanh", "float64")

    def track_allocations_per_iteration(self, hidden, twin):
        counts = []
        for iterations in (1, 1, 11):  # the first call may compile; then 1 and 11 iterations
            before = self.allocations()
            self.gradient_descent(self.theta, self.net, self.data, LEARNING_RATE, np.empty(iterations), self.ws)
            counts.append(self.allocations() - before)
        return (counts[2] - counts[1]) / 10
