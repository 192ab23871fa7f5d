"""scikit-learn's rules for ending the epochs of ``sgd`` and ``adam``, and what a diverging run gives.

``_StoppingRules`` is mixed into the estimators: the early-stopping validation split, the
no-improvement count after each epoch (on the validation score, keeping the best weights, or on the
training loss), and the end of a run whose loss became NaN or infinite. scikit-learn trains on with
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

from ..errors import DivergenceError
from .network import feature_major

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
        stopping, else feature-major ``X_val``, ``y_val`` as labels, and its sample weights."""
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
        if is_classifier(self):
            y_val = self._label_binarizer.inverse_transform(y_val)
        return X_train, y_train, sample_weight_train, (feature_major(X_val, dtype), y_val, sample_weight_val)

    def _stop_message(self):
        what = "Validation score" if self.early_stopping else "Training loss"
        return "%s did not improve more than tol=%f for %d consecutive epochs." % (what, self.tol,
                                                                                self.n_iter_no_change)

    def _update_no_improvement_count(self, validation, network, theta):
        """scikit-learn's stopping bookkeeping after an epoch: on the validation score with early
        stopping (keeping a copy of the best weights), else on the training loss."""
        if validation is not None:
            X_val, y_val, sample_weight_val = validation
            if self._count_validation_score(self._score_output(network.predict(theta, X_val), y_val,
                                                                sample_weight_val)):
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

    def _diverged(self, done, n_samples):
        """End a run whose epoch ``n_iter_ + 1`` met a NaN or infinite loss at sample ``done``.

        Without early stopping: raise. With it: the epochs left to ``max_iter`` as scikit-learn's
        NaN weights give them (loss and validation score NaN), then its warning; the caller keeps
        the best weights."""
        if not self.early_stopping:
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
            self._optimizer.iteration_ends(self.t_)
        self._warn_max_iter()

    def _warn_max_iter(self):
        warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the optimization hasn't converged "
                      "yet." % self.max_iter, ConvergenceWarning)
