"""NaN and inf in X at prediction time: the prediction kernel checks each block of X as it reads it
(scikit-learn's separate pass is skipped), and raises scikit-learn's own error."""
import numba
import numpy as np
import pytest
import scipy.sparse
import sklearn
from sklearn import neural_network
from sklearn.utils import assert_all_finite

from fastnn import MLPClassifier, MLPRegressor
from fastnn.kernels import train
from fastnn.kernels.activations import ACTIVATIONS, SKLEARN_NAMES
from fastnn.kernels.losses import OUTPUTS
from fastnn.layout import Layout
from fastnn.training import make_net, make_workspace

#: Every hidden activation, by the estimators' names.
ESTIMATOR_ACTIVATIONS = sorted(SKLEARN_NAMES.get(name, name) for name in ACTIVATIONS)


def fitted(estimator, n_features, activation, dtype):
    """``estimator`` fitted on 60 samples of ``n_features``, with the bad feature's first-layer
    weights zero: a prediction then may look finite (relu(NaN * 0), a BLAS that skips zeros), so
    only a check of X itself sees the NaN."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, n_features)).astype(dtype)
    y = rng.randint(0, 3, 60) if estimator is MLPClassifier else rng.normal(size=60)
    model = estimator(hidden_layer_sizes=(9,), activation=activation, max_iter=2, random_state=0).fit(X, y)
    model.coefs_[0][-1] = 0
    return model, X


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("activation", ESTIMATOR_ACTIVATIONS)
@pytest.mark.parametrize("n_features", [3, 12], ids=["narrow", "wide"])  # feature-major copy, rows in place
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_non_finite_X_raises_scikit_learns_error(estimator, activation, n_features, dtype, bad, sparse):
    model, X = fitted(estimator, n_features, activation, dtype)
    X = np.repeat(X, 10, axis=0)  # several blocks; the bad value in the last sample's last feature
    X[-1, -1] = bad
    X = scipy.sparse.csr_matrix(X) if sparse else X
    with pytest.raises(ValueError) as expected:
        assert_all_finite(X, estimator_name=estimator.__name__, input_name="X")
    calls = [model.predict] + ([model.predict_proba, model.predict_log_proba] if estimator is MLPClassifier else [])
    for call in calls:
        with pytest.raises(ValueError) as raised:
            call(X)
        assert str(raised.value) == str(expected.value)
    if activation in ("identity", "logistic", "tanh", "relu"):  # scikit-learn's own, on the same weights
        theirs = getattr(neural_network, estimator.__name__)(hidden_layer_sizes=(9,), activation=activation)
        for name in ("coefs_", "intercepts_", "n_features_in_", "n_layers_", "n_outputs_", "out_activation_"):
            setattr(theirs, name, getattr(model, name))
        if estimator is MLPClassifier:
            theirs._label_binarizer, theirs.classes_ = model._label_binarizer, model.classes_
        with pytest.raises(ValueError) as sklearns:
            theirs.predict(X)
        assert str(sklearns.value) == str(expected.value)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_assume_finite_skips_the_check_as_scikit_learn_does():
    model, X = fitted(MLPClassifier, 12, "relu", np.float64)
    X[0, 0] = np.nan
    with sklearn.config_context(assume_finite=True):  # every other sample's output, as scikit-learn's
        np.testing.assert_allclose(model.predict_proba(X)[1:], model.predict_proba(X[1:]), rtol=1e-12)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict_proba(X)


@pytest.mark.parametrize("kernel", [train.predict, train.predict_parallel], ids=["serial", "parallel"])
@pytest.mark.parametrize("x_rows", [True, False], ids=["sample-major", "feature-major"])
@pytest.mark.parametrize("where", [0, 700, 1299])
def test_prediction_kernel_reports_a_non_finite_block(kernel, x_rows, where):
    """Any block, on any worker: the kernel returns False for X with one NaN, True without."""
    sizes = (20, 16, 3)
    theta = np.random.RandomState(1).normal(size=Layout(sizes).n_params)
    net = make_net(sizes, ACTIVATIONS["relu"], 0.01, OUTPUTS["log_loss"], np.dtype(np.float64))
    X = np.random.RandomState(2).normal(size=(1300, 20))
    ws = make_workspace(sizes, 1300, np.dtype(np.float64), block=64, max_groups=min(2, numba.config.NUMBA_NUM_THREADS))
    out = np.empty((1300, 3))
    data = (lambda X: X) if x_rows else (lambda X: np.ascontiguousarray(X.T))
    assert kernel(theta, net, data(X), x_rows, out, ws)
    X[where, 7] = np.nan
    assert not kernel(theta, net, data(X), x_rows, out, ws)
