"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor``, trained by fastnn's compiled kernels.

A drop-in: the constructor parameters, defaults, validation, fitted attributes and messages are
scikit-learn 1.9's (``sklearn/neural_network/_multilayer_perceptron.py``), and so is every random
draw: the initial weights, the validation split and the shuffles come from the same
``RandomState`` calls in the same order. What changes is where the work happens: an epoch of
``sgd`` or ``adam`` is one compiled call (all its minibatches, each a fused forward, loss, backward,
L2 penalty and update), and ``lbfgs`` runs scipy's L-BFGS-B over the fused loss-and-gradient kernel.

Beyond scikit-learn: the activations ``leaky_relu`` (slope 0.01) and ``arctan``, and ``dtype``.
A diverging run ends as ``fastnn.estimators.stopping`` says (scikit-learn's result, or its error).
"""
import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .base import BaseMultilayerPerceptron
from .callbacks import FitCallbacksMixin


class MLPClassifier(ClassifierMixin, FitCallbacksMixin, BaseMultilayerPerceptron):
    """Multi-layer Perceptron classifier: scikit-learn's ``MLPClassifier``, trained by fastnn's kernels.

    Same parameters, defaults, attributes and results as ``sklearn.neural_network.MLPClassifier``
    (see its documentation), and:

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'arctan'}, default='relu'
        Hidden-layer activation; ``leaky_relu`` has slope 0.01 below zero.
    dtype : {None, 'float32', 'float64'}, default=None
        Precision of training and of ``coefs_``: None follows X (float32 X trains in float32, any
        other in float64). ``solver='lbfgs'`` computes in float64 in any case, as scikit-learn's does.
    scoring : None, 'loss', str or callable, default=None
        What early stopping (and ``partial_fit``'s ``validation_data``) scores after each epoch:
        None is scikit-learn's accuracy; 'loss' minus the validation loss; a scorer name or a
        callable ``scorer(estimator, X_val, y_val)``, as ``sklearn.metrics.check_scoring`` takes them.

    With early stopping, ``validation_loss_curve_`` holds the validation loss after each epoch (the
    loss of ``loss_curve_``, L2 term included, on the validation split) and ``validation_scores_``
    the scores of ``scoring``. ``partial_fit(X, y, validation_data=(X_val, y_val))`` does the same
    for each call and sets ``should_stop_``.

    The output is a logistic unit per label (binary, multi-label) or a softmax (multi-class),
    trained on the log-loss. ``loss_curve_`` reports scikit-learn's loss, whose terms are those of
    probabilities clipped to ``[eps, 1 - eps]``; fastnn rounds and clips each probability as
    scikit-learn does, so L-BFGS sees the same loss to rounding where logits saturate.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000, dtype=None, scoring=None):
        super().__init__(hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver, alpha=alpha,
                         batch_size=batch_size, learning_rate=learning_rate, learning_rate_init=learning_rate_init,
                         power_t=power_t, max_iter=max_iter, loss="log_loss", shuffle=shuffle,
                         random_state=random_state, tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
                         nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         n_iter_no_change=n_iter_no_change, max_fun=max_fun, dtype=dtype, scoring=scoring)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # A first fit (or a fit without warm_start) learns the classes; warm_start must see the
        # same classes; partial_fit only known ones (its first call set them from `classes`).
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError("warm_start can only be used where `y` has the same classes as in the previous "
                                     f"call to fit. Previously got {self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                                 f"'y' has {classes}.")
        y = self._label_binarizer.transform(y).astype(bool)  # bool: no upcast of float32 data
        return X, y

    @staticmethod
    def _score_function(y, y_pred, sample_weight=None):
        return accuracy_score(y, y_pred, sample_weight=sample_weight)

    def _validation_targets(self, y):
        """``(labels, indicators)`` of a validation set's labels ``y``, which must be known classes."""
        if self._label_binarizer.y_type_.startswith("multilabel"):
            if y.ndim != 2 or y.shape[1] != self.n_outputs_:
                raise ValueError(f"y_val must be a label indicator matrix with {self.n_outputs_} columns, got shape "
                                 f"{y.shape}.")
        else:
            y = column_or_1d(y)
            unknown = np.setdiff1d(y, self.classes_)
            if len(unknown):
                raise ValueError(f"y_val has classes not in `self.classes_` ({self.classes_}): {unknown}.")
        return y, self._label_binarizer.transform(y).astype(bool)

    def _prediction(self, output):
        """Class labels from output activations."""
        if self.n_outputs_ == 1:
            output = output.ravel()
        return self._label_binarizer.inverse_transform(output)

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray, shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        check_is_fitted(self)
        return self._prediction(self._forward_pass_fast(X))

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None, validation_data=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required for the first call.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), default=None
            Opt-in early stopping: this call and later ones (which may omit it, or pass it again)
            are scored on this set by ``scoring``, appending to ``validation_scores_`` and
            ``validation_loss_curve_``; the last set given is kept. ``should_stop_``
            is then True when the score has not improved by ``tol`` for more than
            ``n_iter_no_change`` calls (``fit``'s rule): time to stop calling.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        with self._unchanged_on_error(validation_data):
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight=sample_weight, incremental=True, validation_data=validation_data)

    def predict_log_proba(self, X):
        """Log of the probability estimates, shape (n_samples, n_classes): ``log(predict_proba(X))``."""
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates, shape (n_samples, n_classes), classes ordered as in ``classes_``."""
        check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, FitCallbacksMixin, BaseMultilayerPerceptron):
    """Multi-layer Perceptron regressor: scikit-learn's ``MLPRegressor``, trained by fastnn's kernels.

    Same parameters, defaults, attributes and results as ``sklearn.neural_network.MLPRegressor``
    (see its documentation), and the ``activation``, ``dtype`` and ``scoring`` (None: R^2) of
    ``fastnn.MLPClassifier``, its ``validation_loss_curve_`` and ``partial_fit``'s ``validation_data``.
    ``loss='squared_error'`` trains an identity output on half the squared error, ``'poisson'`` an
    exponential output on half the Poisson deviance; the latter rejects negative targets (where
    scikit-learn's loss is NaN).
    """

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000, dtype=None, scoring=None):
        super().__init__(hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver, alpha=alpha,
                         batch_size=batch_size, learning_rate=learning_rate, learning_rate_init=learning_rate_init,
                         power_t=power_t, max_iter=max_iter, loss=loss, shuffle=shuffle, random_state=random_state,
                         tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
                         nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         n_iter_no_change=n_iter_no_change, max_fun=max_fun, dtype=dtype, scoring=scoring)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs targets y >= 0 (its loss is y log(y / prediction) - y + prediction)")
        return X, y

    @staticmethod
    def _score_function(y, y_pred, sample_weight=None):
        return r2_score(y, y_pred, sample_weight=sample_weight)

    def _validation_targets(self, y):
        """``(targets, targets)`` of a validation set's targets ``y``: the second (n, n_outputs)."""
        y = np.asarray(y, dtype=np.float64)
        Y = y.reshape((-1, 1)) if y.ndim == 1 else y
        if Y.ndim != 2 or Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y_val must have {self.n_outputs_} output(s), got shape {y.shape}.")
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError("loss='poisson' needs targets y_val >= 0.")
        return Y, Y

    def _prediction(self, output):
        return output.ravel() if output.shape[1] == 1 else output

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return self._prediction(self._forward_pass_fast(X))

    # scikit-learn 1.9 passes the bound method itself (always true) to available_if here, so its
    # MLPRegressor offers partial_fit for every solver; kept for drop-in compatibility.
    @available_if(lambda est: est._check_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, validation_data=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), default=None
            Opt-in early stopping: this call and later ones (which may omit it, or pass it again)
            are scored on this set by ``scoring``, appending to ``validation_scores_`` and
            ``validation_loss_curve_``; the last set given is kept. ``should_stop_``
            is then True when the score has not improved by ``tol`` for more than
            ``n_iter_no_change`` calls (``fit``'s rule): time to stop calling.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        with self._unchanged_on_error(validation_data):
            return self._fit(X, y, sample_weight=sample_weight, incremental=True, validation_data=validation_data)
