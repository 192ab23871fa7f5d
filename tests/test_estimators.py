"""fastnn.MLPClassifier / MLPRegressor as scikit-learn estimators: scikit-learn's own estimator
checks, meta-estimators, pickling, dtypes, fastnn's additions and errors."""
import pickle
import subprocess
import sys
import warnings

import numba
import numpy as np
import pytest
import scipy.sparse
from sklearn import neural_network
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastnn
from fastnn.estimators import EstimatorDivergenceError

X_CLS, Y_CLS = make_classification(150, 6, n_informative=4, n_classes=3, random_state=0)
X_REG, Y_REG = make_regression(150, 6, noise=1.0, random_state=0)
Y_REG = Y_REG / 100


def quiet_fit(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, **kwargs)


# max_iter=100: the setting scikit-learn's own test suite gives its MLPs for these checks
# (sklearn/utils/_test_common/instance_generator.py). None is expected to fail. Three skip, as they
# do for scikit-learn's own MLPs: the two array-API checks (they need SCIPY_ARRAY_API=1 and an
# array-API backend; scikit-learn's MLPs do not support the array API either) and the
# decision_function check (MLPClassifier has no decision_function). The pandas checks run when
# pandas is installed (the test extra installs it).
@parametrize_with_checks([fastnn.MLPClassifier(max_iter=100), fastnn.MLPRegressor(max_iter=100)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


#: The checks scikit-learn 1.9's own MLPs fail with early_stopping=True (its partial_fit refuses
#: early stopping, the checks' tiny data sets leave no validation set, and the random split differs
#: between weighted and repeated samples); fastnn's with scoring fail those, no others.
EARLY_STOPPING_FAILS = dict.fromkeys(
    ["check_estimators_partial_fit_n_features", "check_fit_score_takes_y", "check_n_features_in_after_fitting",
     "check_estimators_nan_inf", "check_fit2d_1feature", "check_classifiers_one_label",
     "check_regressors_no_decision_function", "check_sample_weight_equivalence_on_dense_data",
     "check_sample_weight_equivalence_on_sparse_data"], "fails for scikit-learn's MLP with early_stopping=True too")


@parametrize_with_checks([fastnn.MLPClassifier(max_iter=100, early_stopping=True, scoring="loss"),
                          fastnn.MLPRegressor(max_iter=100, early_stopping=True, scoring="neg_mean_squared_error")],
                         expected_failed_checks=lambda estimator: EARLY_STOPPING_FAILS)
def test_scikit_learn_estimator_checks_with_early_stopping_scoring(estimator, check):
    check(estimator)


def test_exports_are_lazy():
    """``import fastnn`` does not import scikit-learn; ``fastnn.MLPClassifier`` does."""
    code = ("import sys, fastnn; assert 'sklearn' not in sys.modules; "
            "assert fastnn.MLPClassifier.__name__ == 'MLPClassifier'; assert 'sklearn' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError):
        fastnn.NoSuchEstimator


def test_same_parameters_and_defaults_as_scikit_learn():
    for name in ("MLPClassifier", "MLPRegressor"):
        ours = getattr(fastnn, name)().get_params()
        theirs = getattr(neural_network, name)().get_params()
        assert ours.pop("dtype") is None and ours.pop("scoring") is None  # fastnn's own, after sklearn's
        assert ours == theirs
    # scikit-learn 1.9 offers partial_fit on MLPRegressor for every solver, on MLPClassifier not for lbfgs
    for name in ("MLPClassifier", "MLPRegressor"):
        assert (hasattr(getattr(fastnn, name)(solver="lbfgs"), "partial_fit")
                == hasattr(getattr(neural_network, name)(solver="lbfgs"), "partial_fit"))


def test_pipeline_grid_search_and_cross_validation():
    """Inside a Pipeline, GridSearchCV (two worker processes) and cross_val_score, fastnn's
    estimators give scikit-learn's scores."""
    scores = []
    for module in (fastnn, neural_network):
        pipeline = make_pipeline(StandardScaler(), module.MLPClassifier(max_iter=30, learning_rate_init=0.01,
                                                                        random_state=0))
        grid = GridSearchCV(pipeline, {"mlpclassifier__hidden_layer_sizes": [(5,), (8, 4)],
                                       "mlpclassifier__activation": ["relu", "tanh"]}, cv=3, n_jobs=2)
        quiet_fit(grid, X_CLS, Y_CLS)
        scores.append(grid.cv_results_["mean_test_score"])
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-12)
    assert grid.best_score_ > 0.5  # chance: 1/3
    scores = []
    for module in (fastnn, neural_network):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores.append(cross_val_score(module.MLPRegressor(max_iter=50, random_state=0), X_REG, Y_REG, cv=3))
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-9)
    assert np.all(scores[0] > 0.5)


def test_clone_and_pickle_round_trip():
    model = quiet_fit(fastnn.MLPClassifier((7,), solver="sgd", max_iter=10, random_state=0), X_CLS, Y_CLS)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict_proba(X_CLS), model.predict_proba(X_CLS))
    assert copy.loss_curve_ == model.loss_curve_
    # the optimizer state travels too: partial_fit continues identically
    model.partial_fit(X_CLS, Y_CLS)
    copy.partial_fit(X_CLS, Y_CLS)
    np.testing.assert_array_equal(copy.coefs_[0], model.coefs_[0])
    fresh = clone(model)
    assert fresh.get_params() == model.get_params() and not hasattr(fresh, "coefs_")


@pytest.mark.parametrize("dtype, X_dtype, expected", [
    (None, np.float32, np.float32), (None, np.float64, np.float64), (None, np.int64, np.float64),
    ("float32", np.float64, np.float32), (np.float64, np.float32, np.float64), (np.dtype(np.float32), np.float64,
                                                                                 np.float32)])
def test_dtype(dtype, X_dtype, expected):
    X = (X_REG * 10).astype(X_dtype)
    model = quiet_fit(fastnn.MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, dtype=dtype, random_state=0), X, Y_REG)
    assert all(p.dtype == expected for p in model.coefs_ + model.intercepts_)
    assert model.predict(X.astype(expected)).dtype == expected


def test_continuing_keeps_the_weights_dtype():
    model = fastnn.MLPClassifier((5,), solver="sgd", random_state=0)
    model.partial_fit(X_CLS, Y_CLS, classes=np.unique(Y_CLS))
    model.partial_fit(X_CLS.astype(np.float32), Y_CLS)
    assert model.coefs_[0].dtype == model._optimizer.velocity.dtype == np.float64
    model = quiet_fit(fastnn.MLPRegressor(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0),
                      X_REG.astype(np.float32), Y_REG)
    quiet_fit(model, X_REG, Y_REG)
    assert model.coefs_[0].dtype == np.float32


@pytest.mark.parametrize("dtype", ["float16", np.int32, "double", 32])
def test_bad_dtype_is_rejected(dtype):
    with pytest.raises(InvalidParameterError, match="dtype"):
        fastnn.MLPClassifier(dtype=dtype).fit(X_CLS, Y_CLS)


@pytest.mark.parametrize("activation", ["leaky_relu", "arctan"])
def test_fastnn_activations_learn(activation):
    """They train like scikit-learn's activations (kernel against reference: test_minibatch_epoch.py)."""
    model = quiet_fit(fastnn.MLPClassifier((10,), activation=activation, max_iter=200, learning_rate_init=0.01,
                                           random_state=0), X_CLS, Y_CLS)
    assert model.loss_curve_[-1] < 0.3 * model.loss_curve_[0]
    assert model.score(X_CLS, Y_CLS) > 0.8
    with pytest.raises(InvalidParameterError, match="activation"):
        neural_network.MLPClassifier(activation=activation).fit(X_CLS, Y_CLS)  # fastnn's own


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_sparse_input_trains_as_dense(solver):
    X = X_CLS.copy()
    X[np.abs(X) < 1] = 0
    dense = quiet_fit(fastnn.MLPClassifier((5,), solver=solver, max_iter=10, random_state=0), X, Y_CLS)
    sparse = quiet_fit(fastnn.MLPClassifier((5,), solver=solver, max_iter=10, random_state=0),
                       scipy.sparse.csr_matrix(X), Y_CLS)
    np.testing.assert_array_equal(sparse.coefs_[0], dense.coefs_[0])
    np.testing.assert_array_equal(sparse.predict_proba(scipy.sparse.csc_matrix(X)), dense.predict_proba(X))


def test_divergence_stops_with_a_clear_error():
    model = fastnn.MLPRegressor(hidden_layer_sizes=(20,), solver="sgd", learning_rate_init=10.0, max_iter=50, random_state=0)
    with pytest.raises(EstimatorDivergenceError, match="diverged") as error:
        quiet_fit(model, X_REG, Y_REG * 1e6)
    assert isinstance(error.value, ValueError) and isinstance(error.value, fastnn.DivergenceError)
    assert all(np.all(np.isfinite(c)) for c in model.coefs_)  # never NaN weights
    # scikit-learn trains on and ends with its ValueError for non-finite weights
    params = {name: value for name, value in model.get_params().items() if name not in ("dtype", "scoring")}
    with pytest.raises(ValueError, match="non-finite"):
        quiet_fit(neural_network.MLPRegressor(**params), X_REG, Y_REG * 1e6)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_non_finite_weights_message_starts_as_scikit_learns(solver):
    """Code that matches scikit-learn's message keeps working; fastnn's detail follows it."""
    rng = np.random.RandomState(0)
    X, y = np.finfo(np.float64).max * rng.uniform(size=(10, 2)), rng.uniform(size=10)
    errors = []
    for module in (neural_network, fastnn):
        with pytest.raises(ValueError) as error:
            quiet_fit(module.MLPRegressor(solver=solver, random_state=0), X, y)
        errors.append(str(error.value))
    assert errors[0] == ("Solver produced non-finite parameter weights. The input data may contain large values and "
                         "need to be preprocessed.")
    assert errors[1].startswith(errors[0]) and "diverged" in errors[1]


def test_poisson_rejects_negative_targets():
    with pytest.raises(ValueError, match="y >= 0"):
        fastnn.MLPRegressor(loss="poisson").fit(X_REG, Y_REG)


def test_feature_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_CLS, columns=[f"f{i}" for i in range(6)])
    model = quiet_fit(fastnn.MLPClassifier((5,), max_iter=5, random_state=0), frame, Y_CLS)
    assert list(model.feature_names_in_) == list(frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X_CLS)


def test_same_bits_at_any_thread_count():
    """A problem big enough for the parallel kernels (lbfgs over all samples at once)."""
    X, y = make_classification(3000, 20, random_state=1)
    results = []
    for threads in (1, 2, 1):
        numba.set_num_threads(threads)
        try:
            model = quiet_fit(fastnn.MLPClassifier((50,), solver="lbfgs", max_iter=10, random_state=0), X, y)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        results.append(model)
    for model in results[1:]:
        assert model.loss_ == results[0].loss_
        np.testing.assert_array_equal(model.coefs_[0], results[0].coefs_[0])


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_convergence_warning(solver):
    with pytest.warns(ConvergenceWarning, match="Maximum iterations|failed to converge"):
        fastnn.MLPClassifier((5,), solver=solver, max_iter=3, random_state=0).fit(X_CLS, Y_CLS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # stopped by tol: no warning
        fastnn.MLPClassifier((5,), solver="sgd", tol=10.0, n_iter_no_change=1, random_state=0).fit(X_CLS, Y_CLS)


def test_keyboard_interrupt_keeps_the_partial_model(monkeypatch):
    """As in scikit-learn: Ctrl-C between epochs warns and keeps the weights trained so far."""
    from fastnn import engine  # the estimators' epochs run engine.Epochs

    calls, epoch = [], engine.minibatch_epoch

    def interrupted_on_the_third_epoch(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return epoch(*args)

    monkeypatch.setattr(engine, "minibatch_epoch", interrupted_on_the_third_epoch)
    with pytest.warns(UserWarning, match="interrupted by user"):
        model = fastnn.MLPClassifier((5,), max_iter=10, random_state=0).fit(X_CLS, Y_CLS)
    reference = quiet_fit(fastnn.MLPClassifier((5,), max_iter=2, random_state=0), X_CLS, Y_CLS)
    assert model.n_iter_ == 2 and model.loss_curve_ == reference.loss_curve_
    np.testing.assert_array_equal(model.coefs_[0], reference.coefs_[0])
