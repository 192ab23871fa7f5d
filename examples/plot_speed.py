"""
Speed: fastnn against the NumPy loop and scikit-learn
=====================================================

The seeds' network (2 -> 5 -> 1, tanh, full-batch gradient descent, learning rate 0.6) on 2,000
moons, timed on the machine that built these pages: ``fastnn.fit``, the seeds' NumPy loop
(``fastnn.reference.fit``), and the same training as an estimator, fastnn's ``MLPClassifier``
against scikit-learn's (``sgd`` on the full batch, no momentum; scikit-learn with its threaded BLAS
and with one BLAS thread, the faster counted, as ``scripts/compare_estimators.py`` does). Each is
timed in interleaved rounds after an untimed call, and the median is kept.

A quick look only: the numbers are this build machine's, and a machine shared with other jobs
moves every absolute time. The method, the tables with their machines and dates, and the limit
are on the :doc:`/performance` page.
"""
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn import neural_network
from threadpoolctl import threadpool_limits
from sklearn.exceptions import ConvergenceWarning

import fastnn

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # 300 iterations, on purpose
X, Y = fastnn.datasets.moons(n_samples=2000, noise=0.25, seed=0)
ITERATIONS = 300
estimator_settings = dict(hidden_layer_sizes=(5,), activation="tanh", solver="sgd", batch_size=2000, momentum=0.0,
                          learning_rate_init=0.6, max_iter=ITERATIONS, tol=0.0, n_iter_no_change=ITERATIONS,
                          shuffle=False, random_state=0)
runs = {
    "fastnn.fit": lambda: fastnn.fit(X, Y, 0.6, 5, ITERATIONS, seed=0),
    "NumPy loop": lambda: fastnn.reference.fit(X, Y, 0.6, 5, ITERATIONS, seed=0),
    "fastnn MLPClassifier": lambda: fastnn.MLPClassifier(**estimator_settings).fit(X.T, Y[0]),
    "scikit-learn MLPClassifier": lambda: neural_network.MLPClassifier(**estimator_settings).fit(X.T, Y[0]),
}


def one_blas_thread():
    with threadpool_limits(1, user_api="blas"):
        runs["scikit-learn MLPClassifier"]()


runs["scikit-learn, 1 BLAS thread"] = one_blas_thread

# %%
# An untimed call each (the first compiles or loads fastnn's kernels), then 3 interleaved rounds.
for run in runs.values():
    run()
seconds = {name: [] for name in runs}
for _ in range(3):
    for name, run in runs.items():
        start = time.perf_counter()
        run()
        seconds[name].append(time.perf_counter() - start)
us = {name: np.median(times) / ITERATIONS * 1e6 for name, times in seconds.items()}
us["scikit-learn MLPClassifier"] = min(us["scikit-learn MLPClassifier"], us.pop("scikit-learn, 1 BLAS thread"))
for name, value in us.items():
    print(f"{name:>27}: {value:7.1f} us an iteration")
print(f"the NumPy loop / fastnn.fit: {us['NumPy loop'] / us['fastnn.fit']:.1f}x; "
      f"scikit-learn / fastnn's MLPClassifier: {us['scikit-learn MLPClassifier'] / us['fastnn MLPClassifier']:.1f}x")

# %%
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
ax.barh(list(us), list(us.values()), color=["#1f77b4", "#7f7f7f", "#1f77b4", "#7f7f7f"])
ax.invert_yaxis()
ax.set(xlabel="microseconds per iteration (lower is faster)",
       title=f"2 -> 5 -> 1 tanh, N = 2,000, {ITERATIONS} iterations, this build machine")
plt.show()
