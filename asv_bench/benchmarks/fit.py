"""fastnn.fit, the seed-style full-batch training loop: time per call, and peak memory of a large fit."""
import fastnn

from .common import DTYPES, LEARNING_RATE, by_profile, hidden_sizes, moons, prepared, start


class TimeFit:
    """``fastnn.fit`` for 20 iterations of gradient descent on moons, the cost recorded every iteration.

    tanh is bound by transcendentals, relu by arithmetic; (64, 64) is where NumPy's BLAS is strongest.
    """
    iterations = 20
    params = [by_profile([500], [500, 2000, 20000]),
              by_profile(["5", "16x16"], ["5", "64x64"]),
              by_profile(["tanh"], ["tanh", "relu"]),
              DTYPES]
    param_names = ["n_samples", "hidden", "activation", "dtype"]

    def setup(self, n_samples, hidden, activation, dtype):
        prepare = prepared("fastnn_fit", n_samples, hidden_sizes(hidden), activation, dtype)
        prepare(2)()  # the JIT warm for both twins (two kernel calls: parallel, then serial) before timing
        self.fit = prepare(self.iterations)

    def time_fit(self, n_samples, hidden, activation, dtype):
        self.fit()


class PeakMemFit:
    """Peak memory of the process for a fit on 200,000 samples.

    The same peak after 2 and after 50 iterations shows that training allocates nothing per
    iteration (the fused kernels work in buffers allocated once per fit); compare with the input,
    200,000 x 2 float64 = 3.2 MB.
    """
    n_samples = 200_000
    params = [["10"], [2, 50], DTYPES]
    param_names = ["hidden", "iterations", "dtype"]

    def setup(self, hidden, iterations, dtype):
        self.X, self.Y = moons(self.n_samples, dtype)
        self.start = start((2,) + hidden_sizes(hidden) + (1,))
        fastnn.fit(self.X[:, :1000], self.Y[:, :1000], LEARNING_RATE, hidden_sizes(hidden), 2, params=self.start,
                   dtype=dtype)  # JIT warm (both twins) on a small slice: the measured fit is the largest thing

    def peakmem_fit(self, hidden, iterations, dtype):
        fastnn.fit(self.X, self.Y, LEARNING_RATE, hidden_sizes(hidden), iterations, params=self.start, dtype=dtype)
