"""A fitted estimator's network in the kernels' form, and back.

scikit-learn keeps ``coefs_[i]`` of shape (fan_in, fan_out) and ``intercepts_[i]`` as lists; the
kernels take one flat buffer ``theta`` (``fastnn.layout``: ``W_l`` of shape (fan_out, fan_in)
then ``b_l``) and feature-major data. ``coefs_`` and ``intercepts_`` stay the estimator's state
(so that pickles, ``warm_start`` and hand-edited weights behave as in scikit-learn); ``theta`` is
packed from them when a fit or a prediction starts, which costs one pass over the parameters.
"""
import numpy as np
import scipy.sparse

from ..kernels.activations import ACTIVATIONS, SKLEARN_NAMES
from ..kernels.losses import BINARY_LOG_LOSS, LOG_LOSS, POISSON, SQUARED_ERROR
from ..kernels.network import Data
from ..kernels.train import predict, predict_parallel
from ..layout import Layout
from ..training import blas_threads, make_net, make_workspace, prediction_groups, reads_rows
from ..twins import ParallelTwin, signature

#: scikit-learn's hidden activation names (plus fastnn's own) -> kernel codes.
HIDDEN_ACTIVATIONS = {SKLEARN_NAMES.get(name, name): code for name, code in ACTIVATIONS.items()}

#: Slope of ``leaky_relu`` for negative inputs (the functional API's default).
LEAK = 0.01

#: scikit-learn's ``out_activation_`` -> output kind of the kernels (activation and matched loss).
OUTPUT_KINDS = {"logistic": BINARY_LOG_LOSS, "softmax": LOG_LOSS, "identity": SQUARED_ERROR, "exp": POISSON}


class Network:
    """Layer sizes, kernel ``Net`` and layout of an estimator's network, in one ``dtype``."""

    def __init__(self, layer_units, activation, out_activation, dtype):
        self.sizes = tuple(int(n) for n in layer_units)
        self.layout = Layout(self.sizes)
        self.dtype = np.dtype(dtype)
        self.net = make_net(self.sizes, HIDDEN_ACTIVATIONS[activation], LEAK, OUTPUT_KINDS[out_activation], self.dtype)

    def pack(self, coefs, intercepts):
        """A new flat buffer holding ``coefs`` (scikit-learn's layout) and ``intercepts``."""
        theta = np.empty(self.layout.n_params, self.dtype)
        for layer, (coef, intercept) in enumerate(zip(coefs, intercepts), start=1):
            self.layout.weights(theta, layer)[...] = coef.T
            self.layout.biases(theta, layer)[...] = intercept
        return theta

    def unpack(self, theta, dtype):
        """``(coefs, intercepts)``: new C-contiguous arrays of ``dtype`` in scikit-learn's layout
        (copies, never views of ``theta``)."""
        coefs, intercepts = [], []
        for layer in range(1, self.layout.n_layers + 1):
            coefs.append(np.array(self.layout.weights(theta, layer).T, dtype=dtype, order="C"))
            intercepts.append(np.array(self.layout.biases(theta, layer), dtype=dtype))
        return coefs, intercepts

    def sklearn_order(self):
        """Index array ``order`` with ``theta[order]`` = scikit-learn's packed vector (all coefs
        raveled, then all intercepts), the vector its L-BFGS runs on."""
        index = np.arange(self.layout.n_params)
        coefs = [self.layout.weights(index, layer).T.ravel() for layer in range(1, self.layout.n_layers + 1)]
        intercepts = [self.layout.biases(index, layer) for layer in range(1, self.layout.n_layers + 1)]
        return np.concatenate(coefs + intercepts)

    def data(self, X, Y, sample_weight, x_rows=False):
        """Kernel ``Data``: ``X`` (n_samples, n_features; dense or sparse) feature-major, or
        sample-major (C-contiguous, copied only if it must be) if ``x_rows``; ``Y`` (n_samples,
        n_outputs) feature-major; the raw sample weights (ones for None)."""
        n_samples = X.shape[0]
        w = np.ones(n_samples, self.dtype) if sample_weight is None else np.asarray(sample_weight, self.dtype)
        Y = np.ascontiguousarray(np.asarray(Y).T, dtype=self.dtype)
        return Data(sample_major(X, self.dtype) if x_rows else feature_major(X, self.dtype), Y, w)

    def predict(self, theta, X, x_rows=False):
        """``(output, finite)``: the output activations, shape (n_samples, n_outputs), for
        feature-major ``X`` (sample-major if ``x_rows``), the blocks of samples split over numba's
        threads, and whether X was all finite (every sample is computed either way).

        A prediction large enough for threads (``prediction_groups``) runs the parallel twin once
        it is ready, never waiting for it; the first such prediction starts loading it. A small one
        does not: a short script would wait at exit for the load (the warm start-up case, 1.30 ->
        1.36 s when every wide network's first prediction loaded it)."""
        n_samples = X.shape[0] if x_rows else X.shape[1]
        threads = prediction_groups(n_samples, self.layout.n_params)
        workspace = make_workspace(self.sizes, n_samples, self.dtype, max_groups=threads)
        out = np.empty((n_samples, self.sizes[-1]), self.dtype)
        args = (theta, self.net, X, x_rows, out, workspace)
        run = predict
        if threads > 1 and workspace.A.shape[0] > 1:
            twin = ParallelTwin.of(predict_parallel, signature(predict_parallel, args))
            if twin.ready:
                run = predict_parallel
            else:
                twin.due()
        with blas_threads(self.net, x_rows):
            finite = run(*args)
        return out, finite

    def predict_samples(self, theta, X):
        """:meth:`predict` for ``X`` as scikit-learn passes it (n_samples, n_features; dense or
        sparse), read in place or transposed once as ``training.reads_rows`` says."""
        if not reads_rows(self.sizes[0]):
            return self.predict(theta, feature_major(X, self.dtype))
        return self.predict(theta, sample_major(X, self.dtype), x_rows=True)


def feature_major(X, dtype):
    """``X`` (n_samples, n_features), dense or sparse, as a C-contiguous (n_features, n_samples)
    array of ``dtype``: the kernels' layout, in which a block of samples is a range of columns."""
    if scipy.sparse.issparse(X):
        X = X.toarray()
    X = np.asarray(X)
    out = np.empty(X.shape[::-1], dtype)
    for start in range(0, X.shape[0], TRANSPOSE_ROWS):  # in slabs: 2.2x a strided copy at 20,000 x 784
        out[:, start:start + TRANSPOSE_ROWS] = X[start:start + TRANSPOSE_ROWS].T
    return out


#: Samples per slab of ``feature_major``'s transpose: a slab's rows stay in cache while its columns
#: are written out.
TRANSPOSE_ROWS = 256


def sample_major(X, dtype):
    """``X`` (n_samples, n_features), dense or sparse, as a C-contiguous array of ``dtype`` (itself
    when it already is one)."""
    if scipy.sparse.issparse(X):
        X = X.toarray()
    return np.ascontiguousarray(X, dtype=dtype)
