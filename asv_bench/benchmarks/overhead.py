"""What a user's process pays around the kernels: the Python of every epoch, and short fits in a
new process whose numba cache is warm, with nothing compiled by hand.

A long benchmark hides a per-call cost; these make it the whole measure. The seeds' network on 16
samples trains an epoch in a few microseconds of kernel, so ``EpochOverhead`` is almost all the
Python around each compiled call (it was 300 us an epoch when every call typed its arguments).
"""
import subprocess
import sys
import warnings

import numpy as np

import fastnn

from .common import NewProcess, by_profile

EPOCHS = 200


class EpochOverhead:
    """Seconds of ``EPOCHS`` epochs of ``MLPClassifier`` on the seeds' network (moons, 16 samples,
    5 tanh units, full-batch sgd): divide by ``EPOCHS`` for the cost of one."""

    def setup(self):
        X, Y = fastnn.datasets.moons(n_samples=16, noise=0.25, seed=0)
        self.X, self.y = X.T.copy(), Y.ravel()
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epochs are set, not converged
        self._model().fit(self.X, self.y)  # loads the kernels

    def _model(self):
        return fastnn.MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", batch_size=16,
                                    momentum=0.0, learning_rate_init=0.6, max_iter=EPOCHS, tol=0.0,
                                    n_iter_no_change=np.inf, random_state=0)

    def time_epochs(self):
        self._model().fit(self.X, self.y)


SHORT_FITS = """
import warnings
import fastnn
X, Y = fastnn.datasets.moons(2000, 0.25, seed=0)
warnings.simplefilter("ignore")
for _ in range({fits}):
    fastnn.fit(X, Y, 0.6, 5, 300)
    fastnn.MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", batch_size=2000, momentum=0.0,
                         learning_rate_init=0.6, max_iter=100, tol=0.0, random_state=0).fit(X.T, Y.ravel())
"""


class ShortFitsProcess(NewProcess):
    """Seconds of a new process (warm numba cache, nothing compiled by hand) that imports fastnn and
    runs a few short fits of the seeds' network: ``fastnn.fit`` for 300 iterations and
    ``MLPClassifier`` for 100 epochs, each ``fits`` times."""
    params = [[1, by_profile(3, 10)]]
    param_names = ["fits"]

    def setup(self, fits):
        subprocess.run([sys.executable, "-c", SHORT_FITS.format(fits=1)], check=True)  # fills the numba cache

    def timeraw_short_fits(self, fits):
        return SHORT_FITS.format(fits=fits)
