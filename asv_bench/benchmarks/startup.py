"""Start-up: a new Python process that imports fastnn and runs a first small fit.

"cold" has an empty numba cache, so it compiles every kernel the fit needs; "warm" loads them from
numba's on-disk cache (``cache=True``), which is what a user sees from the second run on.
"""
import os
import subprocess
import sys
import tempfile
import time

from .common import NewProcess, by_profile, prepared

FIRST_FIT = """
import fastnn
X, Y = fastnn.datasets.moons(500, 0.25, seed=0)
fastnn.fit(X, Y, 0.5, 5, 10)
"""

EMPTY_CACHE = """
import atexit, os, shutil, tempfile
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="fastnn-asv-cold-")
atexit.register(shutil.rmtree, os.environ["NUMBA_CACHE_DIR"], True)
"""


class ColdAndWarm(NewProcess):
    """What the start-up benchmarks share: a cold and a warm numba cache, one run a sample."""
    params = [["cold", "warm"]]
    param_names = ["numba_cache"]
    repeat = by_profile(1, 2)  # a cold sample compiles for half a minute
    timeout = 900


class StartUp(ColdAndWarm):
    """Seconds from a new interpreter to the end of a first 10-iteration fit (500 samples, 5 units)."""

    def setup(self, numba_cache):
        if numba_cache == "warm":
            prepared("fastnn_fit", 500, (5,), "tanh", "float64")(10)()  # fills this process's numba cache

    def timeraw_first_fit(self, numba_cache):
        return FIRST_FIT, EMPTY_CACHE if numba_cache == "cold" else ""


class CompileTime:
    """Compile time of a cold process: its start-up minus a warm one's, both run back to back."""
    unit = "seconds"
    rounds = 1
    timeout = 900

    def setup(self):
        prepared("fastnn_fit", 500, (5,), "tanh", "float64")(10)()

    def track_compile_seconds(self):
        seconds = {}
        for cache in ("cold", "warm"):
            with tempfile.TemporaryDirectory(prefix="fastnn-asv-cold-") as empty:
                env = dict(os.environ, **({"NUMBA_CACHE_DIR": empty} if cache == "cold" else {}))
                began = time.perf_counter()
                subprocess.run([sys.executable, "-c", FIRST_FIT], env=env, check=True)
                seconds[cache] = time.perf_counter() - began
        return seconds["cold"] - seconds["warm"]


FIRST_ESTIMATOR_FIT = """
import warnings
import numpy as np
from fastnn import MLPClassifier
rng = np.random.RandomState(0)
X = rng.normal(size=(2000, 2))
y = (X[:, 0] * X[:, 1] > 0).astype(int)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    MLPClassifier(max_iter=3, random_state=0).fit(X, y).predict(X)
"""


class EstimatorStartUp(ColdAndWarm):
    """Seconds from a new interpreter to the end of a first ``MLPClassifier(max_iter=3).fit(X, y)
    .predict(X)`` (2,000 samples, 2 features, the default 100 relu units, adam), as issue 10 states it."""

    def setup(self, numba_cache):
        if numba_cache == "warm":  # fills the numba cache that a new process without NUMBA_CACHE_DIR reads
            subprocess.run([sys.executable, "-c", FIRST_ESTIMATOR_FIT], check=True)

    def timeraw_first_estimator_fit(self, numba_cache):
        return FIRST_ESTIMATOR_FIT, EMPTY_CACHE if numba_cache == "cold" else ""


class ScikitLearnStartUp(NewProcess):
    """The same first estimator fit with scikit-learn's own ``MLPClassifier``: the figure fastnn's
    warm start-up is held to (within 0.5 s of it)."""

    def timeraw_first_estimator_fit(self):
        return FIRST_ESTIMATOR_FIT.replace("from fastnn import", "from sklearn.neural_network import")
