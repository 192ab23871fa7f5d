"""fastnn's fitted MLPs to scikit-learn's and back: ``to_sklearn()`` and ``from_sklearn()``.

Both directions copy the constructor parameters, the weights and every fitted attribute either
estimator reads when it predicts or goes on training (``warm_start``, ``partial_fit``): the
counters, the loss history, the stopping bookkeeping, the label binarizer, and the stochastic
solver's state (SGD's velocities and current rate, Adam's moments and step count), converted
between scikit-learn's per-layer lists and fastnn's flat buffer. So a model converted either way
predicts the same and continues training with the same numbers.

What scikit-learn lacks is refused: the activations ``leaky_relu`` and ``arctan`` raise a
ValueError. ``coefs_`` keep their dtype both ways (scikit-learn keeps float32 weights for float32
data too); fastnn's ``dtype`` parameter has no scikit-learn counterpart and is dropped (given
float64 data, scikit-learn trains float32 weights on in mixed precision).

fastnn's early-stopping additions have no scikit-learn counterpart either and are dropped by
``to_sklearn``: the ``scoring`` parameter (scikit-learn's model scores on with accuracy or R^2,
while ``validation_scores_`` and ``best_validation_score_`` keep what ``scoring`` gave, minus
losses for ``"loss"``), ``validation_loss_curve_``, and ``partial_fit``'s validation set and
``should_stop_``.
"""
import copy

import numpy as np
from sklearn.base import is_classifier
from sklearn.neural_network._base import ACTIVATIONS as SKLEARN_FUNCTIONS
from sklearn.utils.validation import check_is_fitted

from ..sklearn_originals import original
from ..solvers import AdamOptimizer, SGDOptimizer, make_optimizer
from .network import HIDDEN_ACTIVATIONS, Network

#: Fitted attributes copied as they are (deep copies), where the model has them.
FITTED_ATTRIBUTES = ("coefs_", "intercepts_", "n_layers_", "n_outputs_", "out_activation_", "n_iter_", "t_", "loss_",
                     "loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_", "n_features_in_",
                     "feature_names_in_", "classes_", "_label_binarizer", "_no_improvement_count", "_best_coefs",
                     "_best_intercepts")

#: fastnn's parameters that scikit-learn's estimators do not have.
FASTNN_PARAMETERS = ("dtype", "scoring")

#: fastnn's hidden activations that scikit-learn's MLPs have too (fastnn's table, by scikit-learn's).
SKLEARN_ACTIVATIONS = {name for name in HIDDEN_ACTIVATIONS if name in SKLEARN_FUNCTIONS}


class SklearnConversionMixin:
    """``to_sklearn()`` and ``from_sklearn()`` for fastnn's MLPClassifier and MLPRegressor."""

    def to_sklearn(self):
        """A fitted ``sklearn.neural_network`` estimator of the same class, with the same
        parameters, weights and fitted attributes (raises ValueError for fastnn-only activations);
        fastnn's own ``dtype``, ``scoring``, ``validation_loss_curve_`` and ``partial_fit``
        validation set are dropped (see ``fastnn.estimators.convert``)."""
        return to_sklearn(self)

    @classmethod
    def from_sklearn(cls, sk_model):
        """A fitted fastnn estimator from a fitted ``sklearn.neural_network`` one of the same kind,
        ready for ``predict``, ``partial_fit`` or ``warm_start``."""
        return from_sklearn(cls, sk_model)


def sklearn_class(estimator):
    """scikit-learn's own class matching ``estimator``'s kind (also while ``fastnn.patch`` is on)."""
    return original("MLPClassifier" if is_classifier(estimator) else "MLPRegressor")


def to_sklearn(model):
    check_is_fitted(model)
    if model.activation not in SKLEARN_ACTIVATIONS:
        raise ValueError(f"scikit-learn's MLP has no activation {model.activation!r} (it has "
                         f"{sorted(SKLEARN_ACTIVATIONS)}): this model cannot be converted.")
    params = model.get_params(deep=False)
    for name in FASTNN_PARAMETERS:
        del params[name]
    sk_model = sklearn_class(model)(**params)
    _copy_fitted(model, sk_model)
    if hasattr(model, "_optimizer"):
        sk_model._optimizer = _optimizer_to_sklearn(model, sk_model)
    return sk_model


def from_sklearn(cls, sk_model):
    expected = sklearn_class(cls())
    if not isinstance(sk_model, expected):
        raise ValueError(f"{cls.__name__}.from_sklearn needs a {expected.__module__}.{expected.__name__}, got "
                         f"{type(sk_model).__module__}.{type(sk_model).__name__}.")
    check_is_fitted(sk_model)
    model = cls(**sk_model.get_params(deep=False))
    _copy_fitted(sk_model, model)
    if hasattr(sk_model, "_optimizer"):
        model._optimizer = _optimizer_from_sklearn(sk_model, model)
    return model


def _copy_fitted(source, target):
    for name in FITTED_ATTRIBUTES:
        if hasattr(source, name):
            setattr(target, name, copy.deepcopy(getattr(source, name)))


def _network(model, dtype):
    layer_units = [model.coefs_[0].shape[0]] + [coef.shape[1] for coef in model.coefs_]
    return Network(layer_units, model.activation, model.out_activation_, dtype)


def _optimizer_from_sklearn(sk_model, model):
    """fastnn's solver state from scikit-learn's (its buffers in the weights' dtype)."""
    sk_opt = sk_model._optimizer
    n_layers = len(sk_model.coefs_)
    network = _network(sk_model, sk_model.coefs_[0].dtype)
    optimizer = make_optimizer(model, network.layout.n_params, network.dtype)
    if isinstance(optimizer, SGDOptimizer):
        optimizer.learning_rate = float(sk_opt.learning_rate)
        optimizer.velocity = network.pack(sk_opt.velocities[:n_layers], sk_opt.velocities[n_layers:])
    else:
        optimizer.step[0] = sk_opt.t
        optimizer.m = network.pack(sk_opt.ms[:n_layers], sk_opt.ms[n_layers:])
        optimizer.v = network.pack(sk_opt.vs[:n_layers], sk_opt.vs[n_layers:])
    return optimizer


def _optimizer_to_sklearn(model, sk_model):
    """scikit-learn's solver state from fastnn's."""
    from sklearn.neural_network import _stochastic_optimizers as sk_optimizers

    optimizer = model._optimizer
    params = sk_model.coefs_ + sk_model.intercepts_
    if isinstance(optimizer, SGDOptimizer):
        sk_opt = sk_optimizers.SGDOptimizer(params, model.learning_rate_init, model.learning_rate, model.momentum,
                                            model.nesterovs_momentum, model.power_t)
        sk_opt.learning_rate = optimizer.learning_rate
        sk_opt.velocities = _as_lists(model, optimizer.velocity)
        return sk_opt
    assert isinstance(optimizer, AdamOptimizer)
    sk_opt = sk_optimizers.AdamOptimizer(params, model.learning_rate_init, model.beta_1, model.beta_2, model.epsilon)
    sk_opt.t = int(optimizer.step[0])
    if sk_opt.t:  # the rate of the last step, as scikit-learn leaves it
        sk_opt.learning_rate = (model.learning_rate_init * np.sqrt(1 - model.beta_2 ** sk_opt.t)
                                / (1 - model.beta_1 ** sk_opt.t))
    sk_opt.ms = _as_lists(model, optimizer.m)
    sk_opt.vs = _as_lists(model, optimizer.v)
    return sk_opt


def _as_lists(model, buffer):
    """A flat buffer as scikit-learn's list: the coefficient arrays, then the intercept arrays."""
    coefs, intercepts = _network(model, buffer.dtype).unpack(buffer, buffer.dtype)
    return coefs + intercepts
