"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn >= 1.9) for fastnn's MLPs.

``est.set_callbacks(ProgressBar(), ScoringMonitor(scoring="accuracy"))`` before ``fit`` or
``partial_fit``. A fit is the root task; each epoch of ``sgd`` / ``adam`` and each iteration of
``lbfgs`` (scipy's ``callback``) is a subtask, begun and ended between compiled epochs, so the
kernels run as without callbacks. Ending an epoch hands the callbacks a fitted copy of the
estimator with that epoch's weights (built only when a callback asks for it); a callback that
returns True from ``on_fit_task_end`` stops the epochs (lbfgs: scipy stops on ``StopIteration``).
As in scikit-learn's own L-BFGS bridge (``sklearn.linear_model._logistic``), the next subtask is
begun when one ends, and the last one begun but never run is ended empty at the end of the fit.

Without callbacks nothing here runs beyond one attribute test per epoch; with scikit-learn older
than 1.9 there is no ``set_callbacks`` and nothing changes.
"""
import numpy as np

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callbacks
    CallbackSupportMixin = None


class FitCallbacks:
    """The callback tasks of one fit: the root context and the current epoch's subcontext."""

    def __init__(self, estimator, X, y, sample_weight, max_subtasks):
        self.estimator, self.X, self.y = estimator, X, y
        self.metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.root = estimator._init_callback_context(max_subtasks=max_subtasks)
        self.root.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=self.metadata)
        self.epoch = None
        self.n_begun, self.max_subtasks = 0, max_subtasks

    def begin_epoch(self, weights):
        """Begin the next subtask, unless the fit has no room for it."""
        self.epoch = None
        if self.n_begun < self.max_subtasks:
            self.n_begun += 1
            self.epoch = self.root.subcontext(task_name="epoch" if self.estimator.solver != "lbfgs" else "lbfgs-iter")
            self.epoch.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
                                              reconstruction_attributes=weights)

    def end_epoch(self, weights, more):
        """End the current subtask (``weights``: a callable giving its fitted attributes) and, if
        ``more`` epochs may follow, begin the next; True when a callback asks to stop."""
        stop = self.epoch.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
                                               reconstruction_attributes=weights)
        self.epoch = None
        if more and not stop:
            self.begin_epoch(weights)
        return stop

    def close(self):
        """End a subtask begun but never run (empty), then the fit's root task."""
        if self.epoch is not None:
            self.epoch.call_on_fit_task_end(estimator=self.estimator)
        self.root.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
                                       reconstruction_attributes={})


def _weights(network, theta, dtype):
    """A callable giving ``coefs_`` and ``intercepts_`` from a copy of ``theta`` taken now."""
    theta = theta.copy()

    def attributes():
        coefs, intercepts = network.unpack(theta, dtype)
        return {"coefs_": coefs, "intercepts_": intercepts}

    return attributes


class _FitCallbacksMixin:
    """Hooks the estimators' training loops call; they do nothing without callbacks."""

    def _fit(self, X, y, sample_weight=None, incremental=False, validation_data=None):
        if not getattr(self, "_skl_callbacks", None):
            return super()._fit(X, y, sample_weight=sample_weight, incremental=incremental,
                                validation_data=validation_data)
        stochastic = self.solver != "lbfgs"
        max_subtasks = (1 if incremental else self.max_iter) if stochastic else self.max_iter + 1
        self._fit_callbacks = FitCallbacks(self, X, y, sample_weight, max_subtasks)
        try:
            self._fit_callbacks.begin_epoch(None)
            super()._fit(X, y, sample_weight=sample_weight, incremental=incremental, validation_data=validation_data)
            self._fit_callbacks.close()
        finally:
            del self._fit_callbacks
        return self

    def _epoch_ends(self, network, theta, more):
        """After an sgd / adam epoch; True when a callback asks to stop."""
        if getattr(self, "_fit_callbacks", None) is None:
            return False
        return self._fit_callbacks.end_epoch(_weights(network, theta, self.coefs_[0].dtype), more)

    def _lbfgs_callback(self, network, order):
        """scipy's ``callback(xk)`` for L-BFGS-B (``xk`` in scikit-learn's packed order), or None."""
        if getattr(self, "_fit_callbacks", None) is None:
            return None
        theta = np.empty(network.layout.n_params, network.dtype)

        def callback(xk):
            theta[order] = xk
            if self._fit_callbacks.end_epoch(_weights(network, theta, self.coefs_[0].dtype), more=True):
                raise StopIteration

        return callback


if CallbackSupportMixin is None:
    class FitCallbacksMixin(_FitCallbacksMixin):
        """Without ``sklearn.callback``: the hooks alone (never active)."""
else:
    class FitCallbacksMixin(_FitCallbacksMixin, CallbackSupportMixin):
        """``set_callbacks`` (scikit-learn's ``CallbackSupportMixin``) and the training loops' hooks."""
