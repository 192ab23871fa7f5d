"""fastnn.sweep: a grid of configurations on moons, the seed 004 experiment in small.

Skipped on a fastnn without ``sweep``.
"""
from .common import by_profile, feature, moons

GRID = dict(hidden_sizes=[1, 5, 10], activations=["tanh", "relu"], learning_rates=[0.6],
            iterations=by_profile([10, 100], [100, 1000]), inits=["small"], seeds=[0])


class Sweep:
    """The grid on 1,600 training and 400 dev samples, one and two jobs."""
    params = [[1, 2]]
    param_names = ["n_jobs"]

    def setup(self, n_jobs):
        self.sweep = feature("fastnn", "sweep")
        X, Y = moons(2000, "float64")
        self.data = X[:, :1600], Y[:, :1600], X[:, 1600:], Y[:, 1600:]
        self.sweep(*self.data, **dict(GRID, iterations=[1]), n_jobs=n_jobs, progress=False)  # the JIT warm

    def time_sweep(self, n_jobs):
        self.sweep(*self.data, **GRID, n_jobs=n_jobs, progress=False)
