"""The part of ``MLPClassifier`` and ``MLPRegressor`` they share: parameters, fitting by each
solver (``lbfgs`` over the fused loss-and-gradient kernel, ``sgd``/``adam`` an epoch per compiled
call), weights, the forward pass of a prediction. The two estimators are in ``fastnn.estimators.mlp``.
"""
import copy
import warnings
from contextlib import contextmanager
from itertools import chain
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, validate_data

from ..engine import Epochs
from ..kernels.optimizers import regularized_gradient, squared_weights
from ..kernels.train import loss_grad, loss_grad_parallel
from ..solvers import make_optimizer
from ..training import blas_threads, make_workspace
from ..twins import FasterTwin
from .convert import SklearnConversionMixin
from .network import HIDDEN_ACTIVATIONS, Network
from .scoring import scorer_of
from .stopping import _StoppingRules, non_finite_weights

_STOCHASTIC_SOLVERS = ["sgd", "adam"]


class BaseMultilayerPerceptron(SklearnConversionMixin, _StoppingRules, BaseEstimator):
    """What MLPClassifier and MLPRegressor share: parameters, fitting, the forward pass."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dtype": [None, StrOptions({"float32", "float64"}), Options(type, {np.float32, np.float64}),
                  Options(np.dtype, {np.dtype(np.float32), np.dtype(np.float64)})],
        "scoring": [None, str, callable],
    }

    def __init__(self, hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, learning_rate_init,
                 power_t, max_iter, loss, shuffle, random_state, tol, verbose, warm_start, momentum,
                 nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change,
                 max_fun, dtype, scoring):
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype
        self.scoring = scoring

    # ---- fitting -----------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data (a sparse matrix is densified: the kernels read dense columns).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        with self._unchanged_on_error():
            return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @contextmanager
    def _unchanged_on_error(self, validation_data=None):
        """Leave the estimator as it was if the fit raises, when ``scoring`` or ``validation_data``
        is given (a scorer may raise after some epochs): the fitted state that training changes
        in place is copied first, the rest it replaces."""
        if self.scoring is None and validation_data is None:
            yield
            return
        saved = dict(vars(self))
        for name in ("loss_curve_", "validation_scores_", "validation_loss_curve_", "_optimizer"):
            if name in saved:
                saved[name] = copy.deepcopy(saved[name])
        try:
            yield
        except Exception:
            vars(self).clear()
            vars(self).update(saved)
            raise

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. {self.solver} is not "
                                 "stochastic.")
        return True

    def _fit(self, X, y, sample_weight=None, incremental=False, validation_data=None):
        hidden_layer_sizes = self.hidden_layer_sizes
        if not hasattr(hidden_layer_sizes, "__iter__"):
            hidden_layer_sizes = [hidden_layer_sizes]
        hidden_layer_sizes = list(hidden_layer_sizes)
        if np.any(np.array(hidden_layer_sizes) <= 0):
            raise ValueError("hidden_layer_sizes must be > 0, got %s." % hidden_layer_sizes)
        if not all(isinstance(n, Integral) for n in hidden_layer_sizes):
            raise ValueError(f"hidden_layer_sizes must be integers, got {hidden_layer_sizes}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)

        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if not first_pass:  # warm_start and partial_fit continue in the weights' precision
            X = X.astype(self.coefs_[0].dtype, copy=False)
        elif self.dtype is not None:
            X = X.astype(self.dtype, copy=False)
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        self.n_outputs_ = y.shape[1]
        layer_units = [n_features] + hidden_layer_sizes + [self.n_outputs_]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, X.dtype)

        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, y, sample_weight, layer_units, incremental, validation_data)
        else:
            self._fit_lbfgs(X, y, sample_weight, layer_units)

        if not all(np.isfinite(w).all() for w in chain(self.coefs_, self.intercepts_)):  # as given by the user
            raise non_finite_weights()
        return self

    def _set_weights(self, network, theta, dtype):
        """``coefs_`` and ``intercepts_`` from ``theta``; never NaN or inf (raises instead)."""
        if not np.isfinite(theta).all():
            raise non_finite_weights()
        self.coefs_, self.intercepts_ = network.unpack(theta, dtype)

    def _initialize(self, y, layer_units, dtype):
        """Fitted attributes for a first fit, and initial weights: Glorot uniform, drawn as scikit-learn
        draws them (layer by layer, coefficients then intercepts)."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        if not is_classifier(self):
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"

        self.coefs_ = []
        self.intercepts_ = []
        factor = 2.0 if self.activation == "logistic" else 6.0
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            self.coefs_.append(self._random_state.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype, copy=False))
            self.intercepts_.append(self._random_state.uniform(-bound, bound, fan_out).astype(dtype, copy=False))
        self._best_coefs = [c.copy() for c in self.coefs_]
        self._best_intercepts = [i.copy() for i in self.intercepts_]
        vars(self).pop("_validation_set", None)  # partial_fit's, from an earlier fit

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.validation_loss_curve_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.validation_loss_curve_ = None
                self.best_validation_score_ = None

    def _loss_scale(self):
        """Factor from the kernels' loss (summed over outputs) to scikit-learn's: its squared error
        is averaged over the outputs (its gradient is not)."""
        return 1.0 / self.n_outputs_ if self.out_activation_ == "identity" else 1.0

    def _fit_lbfgs(self, X, y, sample_weight, layer_units):
        """scipy's L-BFGS-B on scikit-learn's packed parameter vector, evaluated by the fused
        loss-and-gradient kernel. Runs in float64 whatever X's dtype, as scikit-learn's does (its
        weights become float64 after the first evaluation); the coefficients keep X's dtype."""
        network = Network(layer_units, self.activation, self.out_activation_, np.float64)
        data = network.data(X, y, sample_weight)
        n_samples = X.shape[0]
        total_weight = float(n_samples if sample_weight is None else sample_weight.sum())
        workspace = make_workspace(network.sizes, n_samples, network.dtype)
        run = FasterTwin(loss_grad, loss_grad_parallel, workspace, units=lambda args: 1)
        order = network.sklearn_order()
        theta = network.pack(self.coefs_, self.intercepts_)
        sizes, alpha, loss_scale = network.net.sizes, float(self.alpha), self._loss_scale()

        def loss_and_gradient(packed):
            theta[order] = packed
            loss = run(theta, network.net, data, 0, n_samples, workspace)
            loss = loss * loss_scale / total_weight + 0.5 * alpha * squared_weights(theta, sizes) / total_weight
            regularized_gradient(theta, workspace.grad, sizes, alpha, total_weight)
            return loss, workspace.grad[order]

        iprint = 1 if self.verbose is True or self.verbose >= 1 else -1  # scipy >= 1.15 has no iprint
        iprint = {"iprint": iprint} if tuple(map(int, scipy.__version__.split(".")[:2])) < (1, 15) else {}
        # the whole run on one BLAS thread, not only the evaluations: L-BFGS-B's own vector
        # operations call the same BLAS, which threads them past some 10^4 parameters, and its
        # worker then spins for 0.1 s on the core fastnn's next evaluation needs (784 -> (100,) ->
        # 10, 10 iterations: 2.5 s -> 1.45 s)
        with blas_threads(network.net):
            opt_res = scipy.optimize.minimize(
                loss_and_gradient, theta[order], method="L-BFGS-B", jac=True,
                callback=self._lbfgs_callback(network, order),
                options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol, **iprint})
        self.n_iter_ = _check_optimize_result("lbfgs", opt_res, self.max_iter)
        self.loss_ = opt_res.fun
        theta[order] = opt_res.x
        self._set_weights(network, theta, X.dtype)

    def _fit_stochastic(self, X, y, sample_weight, layer_units, incremental, validation_data):
        """scikit-learn's epoch loop for sgd and adam; each epoch is one compiled call. ``fit`` with
        early stopping, or ``partial_fit`` given ``validation_data`` (once), score each epoch on a
        validation set."""
        network = Network(layer_units, self.activation, self.out_activation_, X.dtype)
        theta = network.pack(self.coefs_, self.intercepts_)
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = make_optimizer(self, theta.size, theta.dtype)

        scorer = scorer_of(self)
        if incremental:
            validation = self._partial_fit_validation(validation_data, network.dtype)
            if self.early_stopping and validation is None:
                raise ValueError("partial_fit does not support early_stopping=True; to stop on a validation score, "
                                 "pass partial_fit validation_data=(X_val, y_val)")
            X_train, y_train, sample_weight_train = X, y, sample_weight
        else:
            X_train, y_train, sample_weight_train, validation = self._validation_split(X, y, sample_weight,
                                                                                       network.dtype)
        keep_best = validation is not None and not incremental
        if validation is not None and getattr(self, "validation_loss_curve_", None) is None:
            self.validation_loss_curve_ = []  # a model converted from scikit-learn's, on with warm_start

        n_samples = X_train.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped")
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        data = network.data(X_train, y_train, sample_weight_train, x_rows=True)
        sample_idx = np.arange(n_samples, dtype=int)  # the epoch kernel copies each batch's samples into its buffers
        epoch = Epochs(network.net, network.sizes, data, batch_size, network.dtype, twins=True)
        alpha, loss_scale = float(self.alpha), self._loss_scale()
        # A full batch is the same in any order, up to the rounding of its sums, so its shuffles
        # (20 us an epoch at 2,000 samples, as long as the seeds' epoch) are drawn only from a
        # RandomState the caller passed, whose later draws they change.
        shuffle = self.shuffle and (batch_size < n_samples or isinstance(self.random_state, np.random.RandomState))

        # scikit-learn's `shuffle(sample_idx, random_state)` permutes a fresh arange with RandomState.shuffle
        # and indexes sample_idx with it; shuffling sample_idx in place makes the same swaps from the same draws.
        epochs = epoch.train(theta, sample_idx, alpha, loss_scale, self._optimizer, self.max_iter, shuffle,
                             self._random_state, seen=self.t_)
        try:
            self.n_iter_ = 0
            for loss in epochs:
                if loss is None:
                    self._diverged(epoch.done, n_samples, keep_best)  # raises, or (early stopping) runs out max_iter
                    break
                self.n_iter_ += 1
                self.loss_ = loss
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))

                self._update_no_improvement_count(validation, scorer, network, theta)
                if self._epoch_ends(network, theta, more=not incremental and self.n_iter_ < self.max_iter):
                    break  # a callback asked to stop

                stop = False
                if self._no_improvement_count > self.n_iter_no_change:
                    stop = self._optimizer.trigger_stopping(self._stop_message(validation), self.verbose)
                    if not stop:
                        self._no_improvement_count = 0
                if incremental and validation is not None:
                    self.should_stop_ = stop
                if stop:
                    break

                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    self._warn_max_iter()
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")

        if keep_best:  # restore the best weights
            self.coefs_ = self._best_coefs
            self.intercepts_ = self._best_intercepts
        else:
            self._set_weights(network, theta, network.dtype)

    # ---- predicting --------------------------------------------------------------------------

    def _forward_pass_fast(self, X, check_input=True):
        """Output activations, shape (n_samples, n_outputs), computed in the dtype NumPy would give
        ``X @ coefs_`` (float32 only when both are float32).

        X is checked for NaN and inf by the prediction kernel, block by block as it reads them
        (scikit-learn's check is a separate pass over all of X: a sixth of a wide prediction);
        where one is found, scikit-learn's own check runs on X and raises its error."""
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False, ensure_all_finite=False)
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)
        layer_units = [self.coefs_[0].shape[0]] + [coef.shape[1] for coef in self.coefs_]
        network = Network(layer_units, self.activation, self.out_activation_, dtype)
        output, finite = network.predict_samples(network.pack(self.coefs_, self.intercepts_), X)
        if not finite:  # raises, unless scikit-learn's config says assume_finite (as its own check)
            assert_all_finite(X, estimator_name=type(self).__name__, input_name="X")
        return output

    def _score(self, X, y, sample_weight=None):
        return self._score_output(self._forward_pass_fast(X, check_input=False), y, sample_weight)

    def _score_output(self, output, y, sample_weight):
        """Accuracy or R^2 of the predictions from output activations; NaN if any is not finite."""
        y_pred = self._prediction(output)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return self._score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
