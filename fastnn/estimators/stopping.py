"""scikit-learn's rules for ending the epochs of ``sgd`` and ``adam``, and what a diverging run gives.

``_StoppingRules`` is mixed into the estimators: the early-stopping validation split (or the
validation set given to ``partial_fit``), the no-improvement count after each epoch (on the
validation score, keeping the best weights and the validation loss, or on the training loss),
and the end of a run whose loss became NaN or infinite. scikit-learn trains on with
NaN weights there: without early stopping it then raises its non-finite-weights ValueError, which
fastnn raises at once (the same type and first sentence); with early stopping every later
validation score is NaN, so the count never reaches ``n_iter_no_change``, the run goes on to
``max_iter`` and ends with the best weights it saw (scikit-learn's #29504), which fastnn reproduces
without training on NaN.
"""
import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.validation import _check_sample_weight, validate_data

from ..errors import DivergenceError
from .scoring import ValidationSet, measure

#: scikit-learn's message for non-finite weights; fastnn's own detail follows it.
NON_FINITE_WEIGHTS = ("Solver produced non-finite parameter weights. The input data may contain large values and "
                      "need to be preprocessed.")


class EstimatorDivergenceError(DivergenceError, ValueError):
    """Training produced a NaN or infinite loss or weights. Also a ValueError, the type scikit-learn
    raises when its solver ends with non-finite weights."""


def non_finite_weights(detail=""):
    """The error for a run that diverged: scikit-learn's sentence, then ``detail``."""
    return EstimatorDivergenceError(NON_FINITE_WEIGHTS + (" " + detail if detail else ""))


class _StoppingRules:
    """The estimators' epoch bookkeeping, scikit-learn's arithmetic and messages."""

    def _validation_split(self, X, y, sample_weight, dtype):
        """``(X_train, y_train, sample_weight_train, validation)``: scikit-learn's early-stopping
        split (stratified for single-output classification); ``validation`` is None without early
        stopping, else a ``scoring.ValidationSet``."""
        if not self.early_stopping:
            return X, y, sample_weight, None
        stratify = y if is_classifier(self) and self.n_outputs_ == 1 else None  # not for multi-label
        arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
        split = train_test_split(*arrays, random_state=self._random_state, test_size=self.validation_fraction,
                                 stratify=stratify)
        X_train, X_val, y_train, y_val = split[:4]
        sample_weight_train, sample_weight_val = split[4:] if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of your "
                             "dataset.")
        labels = self._label_binarizer.inverse_transform(y_val) if is_classifier(self) else y_val
        return X_train, y_train, sample_weight_train, ValidationSet(X_val, labels, y_val, sample_weight_val, dtype)

    def _partial_fit_validation(self, validation_data, dtype):
        """The ``ValidationSet`` that ``partial_fit`` scores on: ``validation_data`` checked, else
        the one an earlier call was given, else None. The first one starts the bookkeeping; later
        ones replace the set and the count goes on."""
        stored = getattr(self, "_validation_set", None)
        if validation_data is None:
            return stored
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), "
                             f"got {type(validation_data).__name__}.")
        X_val, y_val, sample_weight_val = (*validation_data, None)[:3]
        try:
            X_val = validate_data(self, X_val, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32),
                                  reset=False)
            y_val = check_array(y_val, ensure_2d=False, dtype=None)
            check_consistent_length(X_val, y_val)
            if sample_weight_val is not None:
                sample_weight_val = _check_sample_weight(sample_weight_val, X_val)
            labels, Y_val = self._validation_targets(y_val)
        except ValueError as error:
            raise ValueError(f"validation_data: {error}") from None
        self._validation_set = ValidationSet(X_val, labels, Y_val, sample_weight_val, dtype)
        if stored is None:
            self.validation_scores_, self.validation_loss_curve_ = [], []
            self.best_validation_score_ = -np.inf
            self._no_improvement_count = 0
        return self._validation_set

    def _stop_message(self, validation):
        what = "Validation score" if validation is not None else "Training loss"
        return "%s did not improve more than tol=%f for %d consecutive epochs." % (what, self.tol,
                                                                                self.n_iter_no_change)

    def _update_no_improvement_count(self, validation, scorer, network, theta):
        """scikit-learn's stopping bookkeeping after an epoch: on the validation score with a
        validation set (keeping a copy of the best weights, and the validation loss), else on the
        training loss."""
        if validation is not None:
            score, loss = measure(self, scorer, validation, network, theta)
            self.validation_loss_curve_.append(loss)
            if self._count_validation_score(score):
                self._best_coefs, self._best_intercepts = network.unpack(theta, network.dtype)
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _count_validation_score(self, val_score):
        """Append an epoch's validation score and count it as scikit-learn does (NaN resets the
        count); True if it is the best so far."""
        self.validation_scores_.append(val_score)
        if self.verbose:
            print("Validation score: %f" % self.validation_scores_[-1])
        if val_score < (self.best_validation_score_ + self.tol):
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if val_score > self.best_validation_score_:
            self.best_validation_score_ = val_score
            return True
        return False

    def _diverged(self, done, n_samples, keep_best):
        """End a run whose epoch ``n_iter_ + 1`` met a NaN or infinite loss at sample ``done``.

        Without early stopping in ``fit`` (``keep_best``): raise. With it: the epochs left to
        ``max_iter`` as scikit-learn's NaN weights give them (loss, validation score and loss NaN),
        then its warning; the caller keeps the best weights."""
        if not keep_best:
            raise non_finite_weights(
                f"Training diverged: the loss of the minibatch starting at sample {done} of epoch {self.n_iter_ + 1} "
                "is NaN or infinite (or its sample weights sum to 0). Lower learning_rate_init or scale the data.")
        while self.n_iter_ < self.max_iter:
            self.n_iter_ += 1
            self.loss_ = np.nan
            self.t_ += n_samples
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
            self._count_validation_score(np.nan)
            self.validation_loss_curve_.append(np.nan)
            self._optimizer.iteration_ends(self.t_)
        self._warn_max_iter()

    def _warn_max_iter(self):
        warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the optimization hasn't converged "
                      "yet." % self.max_iter, ConvergenceWarning)
