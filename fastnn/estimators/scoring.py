"""What early stopping measures on its validation set after each epoch (or ``partial_fit`` call):
the model's own loss, kept in ``validation_loss_curve_``, and the score the stopping rule counts,
chosen by ``scoring``.

- ``scoring=None``: scikit-learn's score of the predictions (accuracy, R^2), as scikit-learn.
- ``"loss"``: minus the validation loss (higher is better, as scikit-learn's scores and
  ``HistGradientBoosting*``'s ``scoring="loss"``).
- any other string or a callable: the scorer ``sklearn.metrics.check_scoring`` makes of it, called
  ``scorer(model, X_val, y_val)`` (and ``sample_weight=`` when the validation set has weights),
  the model holding the epoch's weights.

The loss costs nothing beyond the validation pass: the compiled prediction kernel gives the output
activations that the score reads too, and the loss is their sample-weighted mean loss as the kernels
define it (``fastnn.kernels.losses``: the log-losses of probabilities clipped to ``[eps, 1 - eps]``,
half the squared error averaged over the outputs, half the Poisson deviance), plus the L2 term of
the compiled ``squared_weights``, ``alpha / 2 * |W|^2 / (validation weight)``: the loss
``loss_curve_`` reports for a batch, with the validation set as the batch.
"""
import warnings

import numpy as np
from scipy.special import xlogy
from sklearn.metrics import check_scoring

from ..kernels.optimizers import squared_weights
from .network import feature_major

LOSS = "loss"


def scorer_of(estimator):
    """None (scikit-learn's score), ``"loss"``, or the scorer for ``estimator.scoring``; a
    ValueError naming ``scoring`` for anything else."""
    scoring = estimator.scoring
    if scoring is None or scoring == LOSS:
        return scoring
    try:
        return check_scoring(estimator, scoring=scoring)
    except (ValueError, TypeError) as error:
        raise ValueError(f"scoring={scoring!r} is not a scorer: {error} Use None, 'loss', a scikit-learn scorer name "
                         "or a callable scorer(estimator, X, y).") from None


class ValidationSet:
    """A validation set as the scores and the loss read it: ``X`` (n, n_features) as scorers take
    it, ``X_kernel`` feature-major in the training dtype for the prediction kernel, ``y`` as score
    functions take it (class labels, or targets), ``Y`` (n, n_outputs) as the loss reads it (bool
    indicators, or targets in the training dtype), ``sample_weight`` (None for none)."""

    def __init__(self, X, y, Y, sample_weight, dtype):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.X_kernel = feature_major(X, dtype)
        self.Y = Y if Y.dtype == bool else np.asarray(Y, dtype)
        self.total_weight = float(X.shape[0] if sample_weight is None else np.sum(sample_weight))


def output_losses(out_activation, output, Y):
    """Each sample's loss, summed over its outputs, from the output activations ``output``
    (n, n_outputs) and the targets ``Y`` (bool indicators for the classifiers)."""
    if out_activation in ("logistic", "softmax"):
        eps = np.finfo(output.dtype).eps
        q = np.clip(output, eps, 1 - eps)
        if out_activation == "softmax":
            return -np.log(q[Y])  # one class a sample
        return -np.log(np.where(Y, q, 1 - q)).sum(axis=1)
    if out_activation == "identity":
        return 0.5 * np.square(output - Y).sum(axis=1) / Y.shape[1]
    return (xlogy(Y, Y / output) - Y + output).sum(axis=1)  # "exp": Poisson


def validation_loss(estimator, output, validation, theta, sizes):
    """The loss of ``output`` on ``validation``, with the L2 term of the weights ``theta``."""
    losses = output_losses(estimator.out_activation_, output, validation.Y).astype(np.float64, copy=False)
    weighted = losses.sum() if validation.sample_weight is None else np.dot(validation.sample_weight, losses)
    return float(weighted + 0.5 * estimator.alpha * squared_weights(theta, sizes)) / validation.total_weight


def measure(estimator, scorer, validation, network, theta):
    """``(score, loss)`` of the weights ``theta`` on ``validation``; a scorer that raises, or
    returns no number, gives a ValueError naming ``scoring``."""
    output, _ = network.predict(theta, validation.X_kernel)  # finite: validated by fit
    loss = validation_loss(estimator, output, validation, theta, network.net.sizes)
    if scorer is None:
        return estimator._score_output(output, validation.y, validation.sample_weight), loss
    if scorer == LOSS:
        return -loss, loss
    estimator.coefs_, estimator.intercepts_ = network.unpack(theta, network.dtype)
    y = validation.y.ravel() if validation.y.ndim == 2 and validation.y.shape[1] == 1 else validation.y
    weights = {} if validation.sample_weight is None else {"sample_weight": validation.sample_weight}
    try:
        with warnings.catch_warnings():  # the split is of validated arrays, which have no feature names
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            score = float(scorer(estimator, validation.X, y, **weights))
    except Exception as error:
        raise ValueError(f"scoring={estimator.scoring!r} failed on the validation set: "
                         f"{type(error).__name__}: {error}") from error
    return score, loss
